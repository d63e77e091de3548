import { createHash, randomBytes } from "node:crypto";
import type { SipRequest } from "../messages/index.ts";
import type { DigestAlgorithm } from "./digest-challenger.ts";
import { formatDigestParams, parseDigestParams } from "./digest-params.ts";

export interface DigestCredentialsInput {
  username: string;
  password: string;
}

const UNQUOTED = new Set(["algorithm", "nc", "qop"]);

/**
 * Client-side Digest (RFC 7616 §3.4) for registering to and calling through upstream trunks:
 * picks the strongest challenge it understands (SHA-256 before MD5, RFC 8760 §2.4) and computes
 * the Authorization value. Nonce-counts increase per nonce.
 */
export class DigestClient {
  readonly #credentials: DigestCredentialsInput;
  readonly #counts = new Map<string, number>();

  constructor(credentials: DigestCredentialsInput) {
    this.#credentials = credentials;
  }

  /** The Authorization value answering the challenges, or undefined when none can be answered. */
  authorize(request: SipRequest, challenges: string[]): string | undefined {
    const parsed = challenges.map(parseDigestParams).filter((p): p is Map<string, string> => p !== undefined);
    const pick =
      parsed.find((p) => (p.get("algorithm") ?? "").toUpperCase() === "SHA-256") ??
      parsed.find((p) => (p.get("algorithm") ?? "MD5").toUpperCase() === "MD5");
    if (!pick) return undefined;
    const algorithm = (pick.get("algorithm") ?? "MD5").toUpperCase() as DigestAlgorithm;
    const realm = pick.get("realm") ?? "";
    const nonce = pick.get("nonce") ?? "";
    const qops = (pick.get("qop") ?? "").split(",").map((q) => q.trim());
    const hash = algorithm === "MD5" ? "md5" : "sha256";
    const h = (text: string) => createHash(hash).update(text).digest("hex");
    const uri = request.uriText;
    const ha1 = h(`${this.#credentials.username}:${realm}:${this.#credentials.password}`);
    const ha2 = h(`${request.method}:${uri}`);
    const params: Array<[string, string]> = [
      ["username", this.#credentials.username],
      ["realm", realm],
      ["nonce", nonce],
      ["uri", uri],
    ];
    if (qops.includes("auth")) {
      const count = (this.#counts.get(nonce) ?? 0) + 1;
      this.#counts.set(nonce, count);
      const nc = count.toString(16).padStart(8, "0");
      const cnonce = randomBytes(8).toString("hex");
      params.push(
        ["response", h(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)],
        ["cnonce", cnonce],
        ["nc", nc],
        ["qop", "auth"],
      );
    } else {
      params.push(["response", h(`${ha1}:${nonce}:${ha2}`)]);
    }
    params.push(["algorithm", algorithm]);
    const opaque = pick.get("opaque");
    if (opaque !== undefined) params.push(["opaque", opaque]);
    return formatDigestParams(params, UNQUOTED);
  }
}
