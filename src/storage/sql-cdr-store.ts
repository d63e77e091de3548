import { type Kysely, sql } from "kysely";
import type {
  CallRecord,
  CallRecordWithLegs,
  CdrDisposition,
  CdrFeed,
  CdrQuery,
  CdrStore,
  EndedCdrQuery,
  LegRecord,
} from "../calls/index.ts";
import type { CdrCallRow, CdrLegRow, Tables } from "./tables.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : iso(ms));
const ms = (text: string) => Date.parse(text);

type CallField = keyof Omit<CallRecord, "id">;
type LegField = keyof Omit<LegRecord, "id" | "callId">;
type Encode = (value: never) => string | number | null;

const text = (value: string | undefined) => value ?? null;
const integer = (value: number | undefined) => value ?? null;

/** Record field → column and how the value is written. */
const CALL_COLUMNS: Readonly<Record<CallField, readonly [keyof CdrCallRow, Encode]>> = {
  kind: ["kind", text],
  from: ["from_uri", text],
  to: ["to_uri", text],
  service: ["service", text],
  caller: ["caller", text],
  callee: ["callee", text],
  startedAt: ["started_at", isoOrNull],
  answeredAt: ["answered_at", isoOrNull],
  endedAt: ["ended_at", isoOrNull],
  disposition: ["disposition", text],
  cause: ["cause", text],
  sipStatus: ["sip_status", integer],
  reason: ["reason", text],
  payer: ["payer", text],
  cost: ["cost", integer],
  currency: ["currency", text],
  priority: ["priority", integer],
  node: ["node", text],
};

const LEG_COLUMNS: Readonly<Record<LegField, readonly [keyof CdrLegRow, Encode]>> = {
  direction: ["direction", text],
  sipCallId: ["sip_call_id", text],
  from: ["from_uri", text],
  to: ["to_uri", text],
  target: ["target", text],
  startedAt: ["started_at", isoOrNull],
  ringingAt: ["ringing_at", isoOrNull],
  answeredAt: ["answered_at", isoOrNull],
  endedAt: ["ended_at", isoOrNull],
  disposition: ["disposition", text],
  sipStatus: ["sip_status", integer],
  cause: ["cause", text],
  reason: ["reason", text],
};

/**
 * Call detail records in SQL (tables cdr_calls and cdr_legs). Every write is one statement, so a
 * killed process leaves each record as of its last acknowledged event; `completeInterrupted`
 * closes the ones it left open.
 */
export class SqlCdrStore implements CdrStore, CdrFeed {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async openCall(record: CallRecord): Promise<void> {
    const row = { id: record.id, ...columns(CALL_COLUMNS, record, true) } as CdrCallRow;
    await this.#db.insertInto("cdr_calls").values(row).execute();
  }

  async updateCall(id: string, changes: Partial<Omit<CallRecord, "id">>): Promise<void> {
    const set = columns(CALL_COLUMNS, changes, false) as Partial<CdrCallRow>;
    if (Object.keys(set).length === 0) return;
    await this.#db.updateTable("cdr_calls").set(set).where("id", "=", id).execute();
  }

  async openLeg(record: LegRecord): Promise<void> {
    const row = { id: record.id, call_id: record.callId, ...columns(LEG_COLUMNS, record, true) } as CdrLegRow;
    await this.#db.insertInto("cdr_legs").values(row).execute();
  }

  async updateLeg(id: string, changes: Partial<Omit<LegRecord, "id" | "callId">>): Promise<void> {
    const set = columns(LEG_COLUMNS, changes, false) as Partial<CdrLegRow>;
    if (Object.keys(set).length === 0) return;
    await this.#db.updateTable("cdr_legs").set(set).where("id", "=", id).execute();
  }

  /**
   * One transaction of two statements. A call ends at the latest time its record holds, its legs'
   * times included (a call never ends before one of its legs); a leg at its own latest time.
   * Records that already ended are not touched, whoever wrote them.
   */
  async completeInterrupted(node?: string): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      // Legs are found through the node of their call (whether that call was open or not).
      const ofNode = trx
        .selectFrom("cdr_calls")
        .select("id")
        .where("node", node === undefined ? "is" : "=", node ?? null);
      const legTimes = (column: string) =>
        sql`select ${sql.ref(`l.${column}`)} from cdr_legs as l where l.call_id = cdr_calls.id`;
      const calls = await trx
        .updateTable("cdr_calls")
        .set({
          disposition: "interrupted" satisfies CdrDisposition,
          ended_at: sql<string>`(select max(t) from (
            select cdr_calls.started_at as t
            union all select cdr_calls.answered_at
            union all ${legTimes("started_at")}
            union all ${legTimes("ringing_at")}
            union all ${legTimes("answered_at")}
            union all ${legTimes("ended_at")}
          ) as times)`,
        })
        .where("ended_at", "is", null)
        .where("node", node === undefined ? "is" : "=", node ?? null)
        .executeTakeFirst();
      await trx
        .updateTable("cdr_legs")
        .set({
          disposition: "interrupted" satisfies CdrDisposition,
          ended_at: sql<string>`(select max(t) from (
            select cdr_legs.started_at as t
            union all select cdr_legs.ringing_at
            union all select cdr_legs.answered_at
          ) as times)`,
        })
        .where("ended_at", "is", null)
        .where("call_id", "in", ofNode)
        .execute();
      return Number(calls.numUpdatedRows);
    });
  }

  async openNodes(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("cdr_calls")
      .select("node")
      .distinct()
      .where("ended_at", "is", null)
      .where("node", "is not", null)
      .execute();
    return rows.map((row) => row.node as string);
  }

  async list(query: CdrQuery): Promise<CallRecordWithLegs[]> {
    let select = this.#db.selectFrom("cdr_calls").selectAll();
    if (query.since !== undefined) select = select.where("started_at", ">=", iso(query.since));
    if (query.before !== undefined) select = select.where("started_at", "<", iso(query.before));
    if (query.disposition !== undefined) select = select.where("disposition", "=", query.disposition);
    if (query.emergency !== undefined)
      select = select.where("priority", query.emergency ? "is not" : "is", null);
    if (query.party !== undefined) {
      // Case-insensitive substring; % and _ in the text are literal.
      const pattern = `%${query.party.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;
      select = select.where((eb) =>
        eb.or(
          (["from_uri", "to_uri", "caller", "callee"] as const).map(
            (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
          ),
        ),
      );
    }
    const { after } = query;
    if (after !== undefined) {
      const startedAt = iso(after.startedAt);
      select = select.where((eb) =>
        eb.or([
          eb("started_at", "<", startedAt),
          eb.and([eb("started_at", "=", startedAt), eb("id", "<", after.id)]),
        ]),
      );
    }
    const rows = await select
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(pageSize(query.limit))
      .execute();
    return this.#withLegs(rows);
  }

  async listEnded(query: EndedCdrQuery): Promise<CallRecordWithLegs[]> {
    let select = this.#db.selectFrom("cdr_calls").selectAll().where("ended_at", ">=", iso(query.since));
    const { after } = query;
    if (after !== undefined) {
      const endedAt = iso(after.endedAt);
      select = select.where((eb) =>
        eb.or([
          eb("ended_at", ">", endedAt),
          eb.and([eb("ended_at", "=", endedAt), eb("id", ">", after.id)]),
        ]),
      );
    }
    const rows = await select.orderBy("ended_at").orderBy("id").limit(pageSize(query.limit)).execute();
    return this.#withLegs(rows);
  }

  async get(id: string): Promise<CallRecordWithLegs | undefined> {
    const row = await this.#db.selectFrom("cdr_calls").selectAll().where("id", "=", id).executeTakeFirst();
    return row && (await this.#withLegs([row]))[0];
  }

  async #withLegs(rows: CdrCallRow[]): Promise<CallRecordWithLegs[]> {
    if (rows.length === 0) return [];
    const legs = await this.#db
      .selectFrom("cdr_legs")
      .selectAll()
      .where(
        "call_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("started_at")
      .orderBy("id")
      .execute();
    const byCall = new Map<string, LegRecord[]>();
    for (const leg of legs) {
      const list = byCall.get(leg.call_id);
      if (list) list.push(toLeg(leg));
      else byCall.set(leg.call_id, [toLeg(leg)]);
    }
    return rows.map((row) => ({ ...toCall(row), legs: byCall.get(row.id) ?? [] }));
  }
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.trunc(limit)));
}

/**
 * The columns for the fields of `record`. An insert writes every column (null when absent); an
 * update only the fields present with a value, so naming a field as undefined leaves it.
 */
function columns<F extends string>(
  map: Readonly<Record<F, readonly [string, Encode]>>,
  record: Partial<Record<F, unknown>>,
  all: boolean,
): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [field, [column, encode]] of Object.entries(map) as Array<[F, readonly [string, Encode]]>) {
    const value = record[field];
    if (value !== undefined || all) out[column] = encode(value as never);
  }
  return out;
}

function toCall(row: CdrCallRow): CallRecord {
  return {
    id: row.id,
    kind: row.kind as CallRecord["kind"],
    from: row.from_uri,
    to: row.to_uri,
    service: row.service,
    startedAt: ms(row.started_at),
    ...(row.answered_at !== null && { answeredAt: ms(row.answered_at) }),
    ...(row.ended_at !== null && { endedAt: ms(row.ended_at) }),
    ...(row.disposition !== null && { disposition: row.disposition as CdrDisposition }),
    ...(row.cause !== null && { cause: row.cause as CallRecord["cause"] }),
    ...(row.sip_status !== null && { sipStatus: Number(row.sip_status) }),
    ...(row.reason !== null && { reason: row.reason }),
    ...(row.caller !== null && { caller: row.caller }),
    ...(row.payer !== null && row.payer !== undefined && { payer: row.payer }),
    ...(row.cost !== null && row.cost !== undefined && { cost: Number(row.cost) }),
    ...(row.currency !== null && row.currency !== undefined && { currency: row.currency }),
    ...(row.priority !== null && row.priority !== undefined && { priority: Number(row.priority) }),
    ...(row.node !== null && row.node !== undefined && { node: row.node }),
    ...(row.callee !== null && { callee: row.callee }),
  };
}

function toLeg(row: CdrLegRow): LegRecord {
  return {
    id: row.id,
    callId: row.call_id,
    direction: row.direction as LegRecord["direction"],
    sipCallId: row.sip_call_id,
    from: row.from_uri,
    to: row.to_uri,
    target: row.target,
    startedAt: ms(row.started_at),
    ...(row.ringing_at !== null && { ringingAt: ms(row.ringing_at) }),
    ...(row.answered_at !== null && { answeredAt: ms(row.answered_at) }),
    ...(row.ended_at !== null && { endedAt: ms(row.ended_at) }),
    ...(row.disposition !== null && { disposition: row.disposition as CdrDisposition }),
    ...(row.sip_status !== null && { sipStatus: Number(row.sip_status) }),
    ...(row.cause !== null && { cause: row.cause as LegRecord["cause"] }),
    ...(row.reason !== null && { reason: row.reason }),
  };
}
