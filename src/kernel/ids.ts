import { randomBytes, randomUUID } from "node:crypto";

/** A new random identifier for stored entities (RFC 9562 UUID v4). */
export function newId(): string {
  return randomUUID();
}

/** `bytes` of cryptographic randomness as base64url, for secrets such as API tokens and passwords. */
export function randomSecret(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}
