import type { Kysely } from "kysely";
import type {
  MailboxSettings,
  MailboxSettingsStore,
  Signature,
  SignatureStore,
} from "../services/voicemail/index.ts";
import type { Tables } from "./tables.ts";

/** Mailbox settings in SQL: the greeting as a binary column, everything else as one JSON text. */
export class SqlMailboxSettingsStore implements MailboxSettingsStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async get(user: string): Promise<MailboxSettings | undefined> {
    const row = await this.#db
      .selectFrom("voicemail_boxes")
      .selectAll()
      .where("owner", "=", user)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...(JSON.parse(row.settings) as Omit<MailboxSettings, "greeting">),
      ...(row.greeting ? { greeting: Buffer.from(row.greeting) } : {}),
    };
  }

  async update(
    user: string,
    changes: { [K in keyof MailboxSettings]?: MailboxSettings[K] | null },
  ): Promise<MailboxSettings> {
    const next: Record<string, unknown> = { ...(await this.get(user)) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    const { greeting, ...rest } = next as MailboxSettings;
    const values = { settings: JSON.stringify(rest), greeting: greeting ?? null };
    await this.#db
      .insertInto("voicemail_boxes")
      .values({ owner: user, ...values })
      .onConflict((oc) => oc.column("owner").doUpdateSet(values))
      .execute();
    return next as MailboxSettings;
  }
}

/** Senders' signatures in SQL, one row per user. */
export class SqlSignatureStore implements SignatureStore {
  readonly #db: Kysely<Tables>;
  readonly #now: () => number;

  constructor(db: Kysely<Tables>, options: { now: () => number }) {
    this.#db = db;
    this.#now = options.now;
  }

  async get(user: string): Promise<Signature | undefined> {
    const row = await this.#db
      .selectFrom("voicemail_signatures")
      .selectAll()
      .where("owner", "=", user)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...(row.text === null ? {} : { text: row.text }),
      ...(row.voice === null ? {} : { voice: Buffer.from(row.voice) }),
      ...(row.image === null
        ? {}
        : {
            image: {
              data: Buffer.from(row.image),
              contentType: row.image_type as "image/png" | "image/jpeg",
            },
          }),
    };
  }

  async put(user: string, signature: Signature): Promise<void> {
    const values = {
      text: signature.text ?? null,
      voice: signature.voice ?? null,
      image: signature.image?.data ?? null,
      image_type: signature.image?.contentType ?? null,
      updated_at: new Date(this.#now()).toISOString(),
    };
    await this.#db
      .insertInto("voicemail_signatures")
      .values({ owner: user, ...values })
      .onConflict((oc) => oc.column("owner").doUpdateSet(values))
      .execute();
  }

  async remove(user: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("voicemail_signatures")
      .where("owner", "=", user)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
