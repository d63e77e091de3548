/** A user's mailbox settings (PIN, greeting, limits); absent fields take the `[voicemail]` defaults. */
export interface MailboxSettings {
  /** argon2 hash of the PIN for the phone menu. */
  pinHash?: string;
  /** The personal greeting (8 kHz mono 16-bit WAV), recorded by phone or uploaded. */
  greeting?: Buffer;
  maxMessageSeconds?: number;
  maxMessages?: number;
  /** Every call goes straight to voicemail (unconditional forward). */
  divertAlways?: boolean;
  /** Address for e-mail notifications with the audio attached. */
  notifyEmail?: string;
}

/** Where mailbox settings live (SQL by default). */
export interface MailboxSettingsStore {
  get(user: string): Promise<MailboxSettings | undefined>;
  /** Merges the given fields into the stored settings (undefined leaves a field, null clears it). */
  update(
    user: string,
    changes: { [K in keyof MailboxSettings]?: MailboxSettings[K] | null },
  ): Promise<MailboxSettings>;
}

export class MemoryMailboxSettingsStore implements MailboxSettingsStore {
  readonly #settings = new Map<string, MailboxSettings>();

  async get(user: string): Promise<MailboxSettings | undefined> {
    return this.#settings.get(user);
  }

  async update(
    user: string,
    changes: { [K in keyof MailboxSettings]?: MailboxSettings[K] | null },
  ): Promise<MailboxSettings> {
    const next: Record<string, unknown> = { ...this.#settings.get(user) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    this.#settings.set(user, next as MailboxSettings);
    return next as MailboxSettings;
  }
}
