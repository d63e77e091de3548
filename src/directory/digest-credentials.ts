import { createHash } from "node:crypto";
import type { DigestCredentials } from "./types.ts";

/**
 * HA1 for one digest algorithm, RFC 7616 §3.4.2:
 * "A1 = unq(username) ":" unq(realm) ":" passwd" and HA1 = H(A1).
 * https://www.rfc-editor.org/rfc/rfc7616#section-3.4.2
 */
export function digestHa1(algorithm: "MD5" | "SHA-256", username: string, realm: string, password: string) {
  const hash = algorithm === "MD5" ? "md5" : "sha256";
  return createHash(hash).update(`${username}:${realm}:${password}`, "utf8").digest("hex");
}

/** Both HA1 values Parley offers in challenges (RFC 8760 lets a server offer SHA-256 and MD5 together). */
export function digestCredentials(username: string, realm: string, password: string): DigestCredentials {
  return {
    ha1Md5: digestHa1("MD5", username, realm, password),
    ha1Sha256: digestHa1("SHA-256", username, realm, password),
  };
}
