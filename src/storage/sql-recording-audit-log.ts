import type { Kysely } from "kysely";
import type {
  RecordingAuditEntry,
  RecordingAuditLog,
  RecordingAuditQuery,
} from "../services/recording/index.ts";
import type { RecordingAuditRow, Tables } from "./tables.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The recording access audit log in SQL (SQLite or PostgreSQL), newest first. */
export class SqlRecordingAuditLog implements RecordingAuditLog {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async record(entry: RecordingAuditEntry): Promise<void> {
    await this.#db
      .insertInto("recording_audit")
      .values({
        id: entry.id,
        at: iso(entry.at),
        token_id: entry.tokenId,
        token_name: entry.tokenName,
        actor: entry.actor,
        action: entry.action,
        recording_id: entry.recordingId ?? null,
        filter: entry.filter ?? null,
        outcome: entry.outcome,
      })
      .execute();
  }

  async list(query: RecordingAuditQuery): Promise<RecordingAuditEntry[]> {
    let q = this.#db.selectFrom("recording_audit").selectAll();
    if (query.recordingId !== undefined) q = q.where("recording_id", "=", query.recordingId);
    if (query.actor !== undefined) q = q.where("actor", "=", query.actor);
    if (query.since !== undefined) q = q.where("at", ">=", iso(query.since));
    if (query.before !== undefined) q = q.where("at", "<", iso(query.before));
    const rows = await q
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT))
      .execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: RecordingAuditRow): RecordingAuditEntry {
  return {
    id: row.id,
    at: Date.parse(row.at),
    tokenId: row.token_id,
    tokenName: row.token_name,
    actor: row.actor,
    action: row.action as RecordingAuditEntry["action"],
    ...(row.recording_id !== null && { recordingId: row.recording_id }),
    ...(row.filter !== null && { filter: row.filter }),
    outcome: row.outcome as RecordingAuditEntry["outcome"],
  };
}
