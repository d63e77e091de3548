import type { Kysely } from "kysely";
import type {
  RecordingQuery,
  RecordingRecord,
  RecordingStore,
  RecordingSubscription,
  RecordingSubscriptions,
} from "../services/recording/index.ts";
import type { RecordingRow, Tables } from "./tables.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function toRecord(row: RecordingRow): RecordingRecord {
  return {
    id: row.id,
    callId: row.call_id,
    path: row.path,
    caller: row.caller,
    callee: row.callee,
    owners: JSON.parse(row.owners) as string[],
    reason: row.reason as RecordingRecord["reason"],
    startedAt: Date.parse(row.started_at),
    ...(row.ended_at === null ? {} : { endedAt: Date.parse(row.ended_at) }),
    ...(row.duration_ms === null ? {} : { durationMs: Number(row.duration_ms) }),
    ...(row.size_bytes === null ? {} : { sizeBytes: Number(row.size_bytes) }),
    ...(row.sha256 === null ? {} : { sha256: row.sha256 }),
    status: row.status as RecordingRecord["status"],
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.location === null ? {} : { location: row.location }),
  };
}

/** Recording metadata in SQL (SQLite or PostgreSQL). */
export class SqlRecordingStore implements RecordingStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async create(r: RecordingRecord): Promise<void> {
    await this.#db
      .insertInto("recordings")
      .values({
        id: r.id,
        call_id: r.callId,
        path: r.path,
        caller: r.caller,
        callee: r.callee,
        owners: JSON.stringify(r.owners),
        reason: r.reason,
        started_at: iso(r.startedAt),
        ended_at: r.endedAt === undefined ? null : iso(r.endedAt),
        duration_ms: r.durationMs ?? null,
        size_bytes: r.sizeBytes ?? null,
        sha256: r.sha256 ?? null,
        status: r.status,
        error: r.error ?? null,
        location: r.location ?? null,
      })
      .execute();
  }

  async update(id: string, c: Partial<Omit<RecordingRecord, "id" | "callId">>): Promise<void> {
    const row: Partial<RecordingRow> = {};
    if (c.path !== undefined) row.path = c.path;
    if (c.caller !== undefined) row.caller = c.caller;
    if (c.callee !== undefined) row.callee = c.callee;
    if (c.owners !== undefined) row.owners = JSON.stringify(c.owners);
    if (c.reason !== undefined) row.reason = c.reason;
    if (c.startedAt !== undefined) row.started_at = iso(c.startedAt);
    if (c.endedAt !== undefined) row.ended_at = iso(c.endedAt);
    if (c.durationMs !== undefined) row.duration_ms = c.durationMs;
    if (c.sizeBytes !== undefined) row.size_bytes = c.sizeBytes;
    if (c.sha256 !== undefined) row.sha256 = c.sha256;
    if (c.status !== undefined) row.status = c.status;
    if (c.error !== undefined) row.error = c.error;
    if (c.location !== undefined) row.location = c.location;
    if (Object.keys(row).length === 0) return;
    await this.#db.updateTable("recordings").set(row).where("id", "=", id).execute();
  }

  async get(id: string): Promise<RecordingRecord | undefined> {
    const row = await this.#db.selectFrom("recordings").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(query: RecordingQuery): Promise<RecordingRecord[]> {
    let q = this.#db.selectFrom("recordings").selectAll();
    if (query.since !== undefined) q = q.where("started_at", ">=", iso(query.since));
    if (query.before !== undefined) q = q.where("started_at", "<", iso(query.before));
    if (query.owner !== undefined) q = q.where("owners", "like", `%${JSON.stringify(query.owner)}%`);
    if (query.party !== undefined) {
      const like = `%${query.party.toLowerCase()}%`;
      q = q.where((eb) =>
        eb.or([eb(eb.fn("lower", ["caller"]), "like", like), eb(eb.fn("lower", ["callee"]), "like", like)]),
      );
    }
    const rows = await q
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(Math.min(query.limit ?? 100, 1000))
      .execute();
    return rows.map(toRecord);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("recordings").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async open(): Promise<RecordingRecord[]> {
    const rows = await this.#db
      .selectFrom("recordings")
      .selectAll()
      .where("status", "=", "recording")
      .execute();
    return rows.map(toRecord);
  }
}

/** Recording subscriptions in SQL, by user (extension@domain). */
export class SqlRecordingSubscriptions implements RecordingSubscriptions {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async get(user: string): Promise<RecordingSubscription | undefined> {
    const row = await this.#db
      .selectFrom("recording_subscriptions")
      .selectAll()
      .where("user_key", "=", user)
      .executeTakeFirst();
    return (
      row && { policy: row.policy as RecordingSubscription["policy"], announce: Number(row.announce) === 1 }
    );
  }

  async set(user: string, s: RecordingSubscription): Promise<void> {
    const values = { user_key: user, policy: s.policy, announce: s.announce ? 1 : 0 };
    await this.#db
      .insertInto("recording_subscriptions")
      .values(values)
      .onConflict((oc) => oc.column("user_key").doUpdateSet({ policy: s.policy, announce: values.announce }))
      .execute();
  }
}
