import type { Kysely } from "kysely";
import type {
  EmergencyAuditEntry,
  EmergencyAuditLog,
  EmergencyAuditQuery,
} from "../services/emergency/index.ts";
import type { EmergencyAuditRow } from "./emergency-tables.ts";
import type { Tables } from "./tables.ts";

const MAX_LIMIT = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The audit trail of emergency calls in SQL (SQLite or PostgreSQL): one call's steps oldest first, else newest first. */
export class SqlEmergencyAuditLog implements EmergencyAuditLog {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async record(entry: EmergencyAuditEntry): Promise<void> {
    await this.#db
      .insertInto("emergency_audit")
      .values({
        id: entry.id,
        at: iso(entry.at),
        call_id: entry.callId,
        number: entry.number,
        event: entry.event,
        party: entry.party ?? null,
        detail: entry.detail ?? null,
      })
      .execute();
  }

  async list(query: EmergencyAuditQuery): Promise<EmergencyAuditEntry[]> {
    let q = this.#db.selectFrom("emergency_audit").selectAll();
    if (query.callId !== undefined) q = q.where("call_id", "=", query.callId);
    if (query.number !== undefined) q = q.where("number", "=", query.number);
    if (query.since !== undefined) q = q.where("at", ">=", iso(query.since));
    if (query.before !== undefined) q = q.where("at", "<", iso(query.before));
    const oneCall = query.callId !== undefined;
    const rows = await q
      .orderBy("at", oneCall ? "asc" : "desc")
      .orderBy("id", oneCall ? "asc" : "desc")
      .limit(Math.min(query.limit ?? 100, MAX_LIMIT))
      .execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: EmergencyAuditRow): EmergencyAuditEntry {
  return {
    id: row.id,
    at: Date.parse(row.at),
    callId: row.call_id,
    number: row.number,
    event: row.event as EmergencyAuditEntry["event"],
    ...(row.party !== null && { party: row.party }),
    ...(row.detail !== null && { detail: row.detail }),
  };
}
