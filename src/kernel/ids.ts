import { randomBytes, randomUUID } from "node:crypto";

/** A new random identifier for stored entities (RFC 9562 UUID v4). */
export function newId(): string {
  return randomUUID();
}

/** `bytes` of cryptographic randomness as base64url, for secrets such as API tokens and passwords. */
export function randomSecret(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

/**
 * `bytes` random bytes as hex, drawn from a pooled buffer: SIP tags, branches and nonces need
 * randomness on every message, and one large read is far cheaper than many small ones.
 */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}
