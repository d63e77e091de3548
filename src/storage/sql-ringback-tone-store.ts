import type { Kysely } from "kysely";
import type { RingbackToneStore } from "../services/recording/index.ts";
import type { Tables } from "./tables.ts";

/** Users' ring-back tones in SQL (SQLite or PostgreSQL), for the nodes of a cluster. */
export class SqlRingbackToneStore implements RingbackToneStore {
  readonly #db: Kysely<Tables>;
  readonly #now: () => number;

  constructor(db: Kysely<Tables>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async version(user: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom("ringback_tones")
      .select("sha256")
      .where("user_key", "=", user)
      .executeTakeFirst();
    return row?.sha256;
  }

  async get(user: string): Promise<{ sha256: string; wav: Uint8Array } | undefined> {
    const row = await this.#db
      .selectFrom("ringback_tones")
      .select(["sha256", "wav"])
      .where("user_key", "=", user)
      .executeTakeFirst();
    return row && { sha256: row.sha256, wav: new Uint8Array(row.wav) };
  }

  async put(user: string, wav: Uint8Array, sha256: string): Promise<void> {
    const values = { sha256, wav: Buffer.from(wav), updated_at: new Date(this.#now()).toISOString() };
    await this.#db
      .insertInto("ringback_tones")
      .values({ user_key: user, ...values })
      .onConflict((c) => c.column("user_key").doUpdateSet(values))
      .execute();
  }

  async remove(user: string): Promise<void> {
    await this.#db.deleteFrom("ringback_tones").where("user_key", "=", user).execute();
  }
}
