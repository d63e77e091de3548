import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../kernel/clock.ts";
import type { SipRequest } from "../messages/index.ts";
import { formatDigestParams, parseDigestParams } from "./digest-params.ts";

export type DigestAlgorithm = "MD5" | "SHA-256";

/** HA1 values for one user; declared here, served by the subscriber directory (a port). */
export interface CredentialLookup {
  lookup(username: string, realm: string): Promise<{ ha1Md5: string; ha1Sha256: string } | undefined>;
}

export interface DigestChallengerOptions {
  clock: Clock;
  credentials: CredentialLookup;
  /** HMAC key for nonces; random per process unless given (give one shared key to every node of a cluster). */
  secret?: Buffer;
  /** Algorithms offered, in this order (default SHA-256, then MD5: RFC 8760's preference). */
  algorithms?: readonly DigestAlgorithm[];
  /** Seconds a nonce stays fresh; older ones get `stale=true`. */
  nonceLifetime?: number;
  /** Most nonces whose last nonce-count is remembered (replay protection); oldest forgotten first. */
  maxTrackedNonces?: number;
}

export type DigestVerdict =
  | { kind: "authenticated"; username: string; algorithm: DigestAlgorithm }
  /** No usable credentials: challenge. `stale` when the nonce was only expired (RFC 7616 §3.3). */
  | { kind: "challenge"; stale: boolean; reason: string }
  /** Wrong password, unknown user, replayed nonce-count: a failure (counts towards a ban). */
  | { kind: "failed"; username: string | undefined; reason: string };

const UNQUOTED = new Set(["algorithm", "stale", "nc"]);
const HASH: Record<DigestAlgorithm, string> = { MD5: "md5", "SHA-256": "sha256" };

/**
 * Server-side HTTP Digest for SIP (RFC 3261 §22.4, RFC 7616, RFC 8760): challenges offering
 * SHA-256 and MD5 together, stateless nonces (timestamp + random, signed with HMAC, so any node of
 * a cluster can check them without shared state), `qop=auth`, and nonce-count replay rejection.
 */
export class DigestChallenger {
  readonly #options: DigestChallengerOptions;
  readonly #secret: Buffer;
  readonly #lifetimeMs: number;
  /** nonce → highest nonce-count seen; a Map keeps insertion order, so the oldest go first. */
  readonly #counts = new Map<string, number>();

  constructor(options: DigestChallengerOptions) {
    this.#options = options;
    this.#secret = options.secret ?? randomBytes(32);
    this.#lifetimeMs = (options.nonceLifetime ?? 300) * 1000;
  }

  /**
   * WWW-Authenticate (or Proxy-Authenticate) values, one per offered algorithm in order of
   * preference (RFC 8760 §2.4), sharing one nonce.
   */
  challenge(realm: string, stale = false): string[] {
    const nonce = this.#newNonce(realm);
    return (this.#options.algorithms ?? (["SHA-256", "MD5"] as const)).map((algorithm) =>
      formatDigestParams(
        [
          ["realm", realm],
          ["nonce", nonce],
          ["qop", "auth"],
          ["algorithm", algorithm],
          ...(stale ? ([["stale", "true"]] as Array<[string, string]>) : []),
        ],
        UNQUOTED,
      ),
    );
  }

  /** Checks the request's Authorization (or Proxy-Authorization) credentials for `realm`. */
  async verify(
    request: SipRequest,
    realm: string,
    header: "authorization" | "proxy-authorization" = "authorization",
  ): Promise<DigestVerdict> {
    const candidates = request.headers.lines(header).map(parseDigestParams);
    const params = candidates.find((p) => p !== undefined && (p.get("realm") ?? "") === realm);
    if (!params) return { kind: "challenge", stale: false, reason: "no credentials for this realm" };
    const username = params.get("username");
    const nonce = params.get("nonce");
    const uri = params.get("uri");
    const response = params.get("response")?.toLowerCase();
    const algorithm = (params.get("algorithm") ?? "MD5").toUpperCase() as DigestAlgorithm;
    if (!username || !nonce || !uri || !response)
      return { kind: "failed", username, reason: "incomplete credentials" };
    if (algorithm !== "MD5" && algorithm !== "SHA-256")
      return { kind: "failed", username, reason: "unsupported algorithm" };
    const age = this.#nonceAge(nonce, realm);
    if (age === undefined) return { kind: "challenge", stale: false, reason: "nonce not issued here" };
    const qop = params.get("qop");
    const nc = params.get("nc");
    const cnonce = params.get("cnonce");
    if (qop !== undefined && (qop !== "auth" || !nc || !/^[0-9a-f]{8}$/i.test(nc) || !cnonce)) {
      return { kind: "failed", username, reason: "bad qop, nc or cnonce" };
    }
    const stored = await this.#options.credentials.lookup(username, realm);
    if (!stored) return { kind: "failed", username, reason: "unknown user" };
    const ha1 = algorithm === "MD5" ? stored.ha1Md5 : stored.ha1Sha256;
    const h = (text: string) => createHash(HASH[algorithm]).update(text).digest("hex");
    const ha2 = h(`${request.method}:${uri}`);
    const expected = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
    if (
      expected.length !== response.length ||
      !timingSafeEqual(Buffer.from(expected), Buffer.from(response))
    ) {
      return { kind: "failed", username, reason: "wrong password" };
    }
    // A correct answer to an expired nonce: ask again with stale=true, the password was right.
    if (age > this.#lifetimeMs) return { kind: "challenge", stale: true, reason: "nonce expired" };
    if (nc !== undefined && !this.#acceptCount(nonce, Number.parseInt(nc, 16))) {
      return { kind: "failed", username, reason: "nonce-count replayed" };
    }
    return { kind: "authenticated", username, algorithm };
  }

  /** nonce = base64url(8-byte time ‖ 8 random bytes ‖ 16-byte HMAC over both and the realm). */
  #newNonce(realm: string): string {
    const body = Buffer.alloc(16);
    body.writeBigUInt64BE(BigInt(Math.floor(this.#options.clock.now())), 0);
    randomBytes(8).copy(body, 8);
    return Buffer.concat([body, this.#mac(body, realm)]).toString("base64url");
  }

  /** Milliseconds since the nonce was issued, or undefined when it was not issued by this key. */
  #nonceAge(nonce: string, realm: string): number | undefined {
    const raw = Buffer.from(nonce, "base64url");
    if (raw.length !== 32) return undefined;
    const body = raw.subarray(0, 16);
    if (!timingSafeEqual(raw.subarray(16), this.#mac(body, realm))) return undefined;
    return this.#options.clock.now() - Number(body.readBigUInt64BE(0));
  }

  #mac(body: Buffer, realm: string): Buffer {
    return createHmac("sha256", this.#secret).update(body).update(realm).digest().subarray(0, 16);
  }

  /** RFC 7616 §3.4: the server "SHOULD" reject a nonce-count it has already seen for this nonce. */
  #acceptCount(nonce: string, count: number): boolean {
    const last = this.#counts.get(nonce) ?? 0;
    if (count <= last) return false;
    this.#counts.delete(nonce);
    this.#counts.set(nonce, count);
    const max = this.#options.maxTrackedNonces ?? 100_000;
    while (this.#counts.size > max) {
      const oldest = this.#counts.keys().next().value as string;
      this.#counts.delete(oldest);
    }
    return true;
  }
}
