/**
 * Users' ring-back tones where every node of a cluster finds them (the database): the WAV, and
 * its SHA-256, so a node can tell whether the copy it plays from is still the user's tone.
 */
export interface RingbackToneStore {
  /** The SHA-256 (hex) of the user's tone, or undefined when they have none. */
  version(user: string): Promise<string | undefined>;
  get(user: string): Promise<{ sha256: string; wav: Uint8Array } | undefined>;
  put(user: string, wav: Uint8Array, sha256: string): Promise<void>;
  remove(user: string): Promise<void>;
}
