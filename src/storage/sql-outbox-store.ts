import type { Kysely } from "kysely";
import type { OutboxItem, OutboxStore, RecipientFailure } from "../smtp/index.ts";
import type { Tables } from "./tables.ts";

/** The SMTP outbox in SQL, so messages on their way to other servers survive a restart. */
export class SqlOutboxStore implements OutboxStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async save(item: OutboxItem): Promise<void> {
    const values = {
      envelope: JSON.stringify(item.envelope),
      raw: item.raw,
      attempts: item.attempts,
      enqueued_at: item.enqueuedAt,
      next_attempt_at: item.nextAttemptAt,
      last_failures: item.lastFailures ? JSON.stringify(item.lastFailures) : null,
    };
    await this.#db
      .insertInto("smtp_outbox")
      .values({ id: item.id, ...values })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom("smtp_outbox").where("id", "=", id).execute();
  }

  async pending(): Promise<OutboxItem[]> {
    const rows = await this.#db.selectFrom("smtp_outbox").selectAll().execute();
    return rows.map((row) => ({
      id: row.id,
      envelope: JSON.parse(row.envelope) as OutboxItem["envelope"],
      raw: Buffer.from(row.raw),
      attempts: Number(row.attempts),
      enqueuedAt: Number(row.enqueued_at),
      nextAttemptAt: Number(row.next_attempt_at),
      ...(row.last_failures === null
        ? {}
        : { lastFailures: JSON.parse(row.last_failures) as RecipientFailure[] }),
    }));
  }
}
