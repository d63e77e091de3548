/**
 * A sender's signature (service 2, steps 1 and 3): any of a text, a voice clip and an image,
 * attached to every voice message the sender sends.
 */
export interface Signature {
  text?: string;
  /** A WAV clip. */
  voice?: Buffer;
  image?: { data: Buffer; contentType: "image/png" | "image/jpeg" };
}

/** Signature storage (the "signature receiving and storage" modules of the service description). */
export interface SignatureStore {
  get(user: string): Promise<Signature | undefined>;
  put(user: string, signature: Signature): Promise<void>;
  remove(user: string): Promise<boolean>;
}

export class MemorySignatureStore implements SignatureStore {
  readonly #signatures = new Map<string, Signature>();

  async get(user: string): Promise<Signature | undefined> {
    return this.#signatures.get(user);
  }

  async put(user: string, signature: Signature): Promise<void> {
    this.#signatures.set(user, signature);
  }

  async remove(user: string): Promise<boolean> {
    return this.#signatures.delete(user);
  }
}

/** Whether a signature has at least one part. */
export function hasParts(signature: Signature | undefined): signature is Signature {
  return (
    signature !== undefined &&
    (signature.text !== undefined || signature.voice !== undefined || signature.image !== undefined)
  );
}
