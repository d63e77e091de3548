import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { hasParts, type Signature, type SignatureStore } from "./signature-store.ts";

/** Fetches a signature from another server: resolves the HTTP status and, on 200, the JSON body. */
export type SignatureFetch = (user: string) => Promise<{ status: number; body?: unknown }>;

export interface SignatureLookupOptions {
  store: SignatureStore;
  /** The signature server (another Parley's API), when config names one. */
  remote?: { fetch: SignatureFetch; cacheSeconds: number };
  clock: Clock;
  logger: Logger;
}

/** What a look-up found: a signature, nothing, or an error to record in the message. */
export type SignatureResult = { signature: Signature } | { none: true } | { unavailable: string };

/** The JSON a Parley signature server answers with (GET /api/v1/signatures/{user}). */
export interface SignatureDocument {
  text?: string;
  /** Base64 WAV. */
  voice?: string;
  image?: { contentType: "image/png" | "image/jpeg"; data: string };
}

export function signatureDocument(signature: Signature): SignatureDocument {
  return {
    ...(signature.text === undefined ? {} : { text: signature.text }),
    ...(signature.voice ? { voice: signature.voice.toString("base64") } : {}),
    ...(signature.image
      ? { image: { contentType: signature.image.contentType, data: signature.image.data.toString("base64") } }
      : {}),
  };
}

function fromDocument(body: unknown): Signature {
  const doc = (body ?? {}) as SignatureDocument;
  const signature: Signature = {};
  if (typeof doc.text === "string") signature.text = doc.text;
  if (typeof doc.voice === "string") signature.voice = Buffer.from(doc.voice, "base64");
  if (doc.image && typeof doc.image.data === "string" && /^image\/(png|jpeg)$/.test(doc.image.contentType))
    signature.image = { contentType: doc.image.contentType, data: Buffer.from(doc.image.data, "base64") };
  return signature;
}

/**
 * The "signature lookup" module of service 2 (step 3): the sender's signature by sender id, from
 * this server's store, else from the configured signature server. Fetched signatures (and "none")
 * are cached for `cacheSeconds` on the injected clock; a failed fetch is not cached, and the
 * message then goes out without a signature, saying why.
 */
export class SignatureLookup {
  readonly #o: SignatureLookupOptions;
  readonly #cache = new Map<string, { until: number; result: SignatureResult }>();

  constructor(options: SignatureLookupOptions) {
    this.#o = options;
  }

  async find(user: string): Promise<SignatureResult> {
    const local = await this.#o.store.get(user);
    if (hasParts(local)) return { signature: local };
    const remote = this.#o.remote;
    if (!remote) return { none: true };
    const now = this.#o.clock.monotonic();
    const cached = this.#cache.get(user);
    if (cached && cached.until > now) return cached.result;
    let result: SignatureResult;
    try {
      const answer = await remote.fetch(user);
      if (answer.status === 404) result = { none: true };
      else if (answer.status !== 200) throw new Error(`signature server answered ${answer.status}`);
      else {
        const signature = fromDocument(answer.body);
        result = hasParts(signature) ? { signature } : { none: true };
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#o.logger.warn({ user, reason }, "signature server unreachable; message goes without signature");
      return { unavailable: reason };
    }
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(user, { until: now + remote.cacheSeconds * 1000, result });
    return result;
  }
}
