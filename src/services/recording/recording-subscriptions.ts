/**
 * A user's recording subscription: which of their calls are recorded automatically, and whether
 * both parties hear "this call is being recorded" first. The on/off switch is the user's
 * `recording` feature flag; this is the detail behind it.
 */
export type RecordingPolicy = "outgoing" | "incoming" | "both";

export interface RecordingSubscription {
  policy: RecordingPolicy;
  announce: boolean;
}

export const DEFAULT_SUBSCRIPTION: Readonly<RecordingSubscription> = Object.freeze({
  policy: "both",
  announce: false,
});

/** Where subscriptions are kept, by user (extension@domain). */
export interface RecordingSubscriptions {
  get(user: string): Promise<RecordingSubscription | undefined>;
  set(user: string, subscription: RecordingSubscription): Promise<void>;
}

export class MemoryRecordingSubscriptions implements RecordingSubscriptions {
  readonly #rows = new Map<string, RecordingSubscription>();

  async get(user: string): Promise<RecordingSubscription | undefined> {
    const row = this.#rows.get(user);
    return row && { ...row };
  }

  async set(user: string, subscription: RecordingSubscription): Promise<void> {
    this.#rows.set(user, { ...subscription });
  }
}
