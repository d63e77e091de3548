import type { CallRecord, CdrQuery, CdrStore, LegRecord } from "./call-detail-record.ts";
import type { CallRecordWithLegs, CdrFeed, EndedCdrQuery } from "./cdr-feed.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** The page size a query asks for, within 1‥1000 (100 when not given). */
export function cdrPageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.trunc(limit)));
}

/**
 * Call detail records in memory: the reference behaviour of {@link CdrStore} (the SQL store passes
 * the same contract tests), and the store of a node or test without a database. Records are
 * copied in and out, so a caller never holds a live reference.
 */
export class MemoryCdrStore implements CdrStore, CdrFeed {
  readonly #calls = new Map<string, CallRecord>();
  readonly #legs = new Map<string, LegRecord>();

  async openCall(record: CallRecord): Promise<void> {
    if (this.#calls.has(record.id)) throw new Error(`call record ${record.id} already exists`);
    this.#calls.set(record.id, defined({ ...record }));
  }

  async updateCall(id: string, changes: Partial<Omit<CallRecord, "id">>): Promise<void> {
    const call = this.#calls.get(id);
    if (call) this.#calls.set(id, { ...call, ...defined({ ...changes }) });
  }

  async openLeg(record: LegRecord): Promise<void> {
    if (this.#legs.has(record.id)) throw new Error(`leg record ${record.id} already exists`);
    if (!this.#calls.has(record.callId))
      throw new Error(`leg ${record.id} names unknown call ${record.callId}`);
    this.#legs.set(record.id, defined({ ...record }));
  }

  async updateLeg(id: string, changes: Partial<Omit<LegRecord, "id" | "callId">>): Promise<void> {
    const leg = this.#legs.get(id);
    if (leg) this.#legs.set(id, { ...leg, ...defined({ ...changes }) });
  }

  async completeInterrupted(node?: string): Promise<number> {
    let closed = 0;
    const calls = new Set<string>();
    for (const call of this.#calls.values()) {
      if (call.node !== node) continue;
      calls.add(call.id);
      if (call.endedAt !== undefined) continue;
      const times = [call.startedAt, call.answeredAt];
      for (const leg of this.#legsOf(call.id)) {
        times.push(leg.startedAt, leg.ringingAt, leg.answeredAt, leg.endedAt);
      }
      this.#calls.set(call.id, { ...call, disposition: "interrupted", endedAt: latest(times) });
      closed++;
    }
    for (const leg of this.#legs.values()) {
      if (leg.endedAt !== undefined || !calls.has(leg.callId)) continue;
      const endedAt = latest([leg.startedAt, leg.ringingAt, leg.answeredAt]);
      this.#legs.set(leg.id, { ...leg, disposition: "interrupted", endedAt });
    }
    return closed;
  }

  async openNodes(): Promise<string[]> {
    const nodes = [...this.#calls.values()].filter((c) => c.endedAt === undefined).map((c) => c.node);
    return [...new Set(nodes.filter((n): n is string => n !== undefined))];
  }

  async list(query: CdrQuery): Promise<CallRecordWithLegs[]> {
    const party = query.party?.toLowerCase();
    const { after } = query;
    return [...this.#calls.values()]
      .filter(
        (c) =>
          (query.since === undefined || c.startedAt >= query.since) &&
          (query.before === undefined || c.startedAt < query.before) &&
          (query.disposition === undefined || c.disposition === query.disposition) &&
          (query.emergency === undefined || (c.priority !== undefined) === query.emergency) &&
          (party === undefined ||
            [c.from, c.to, c.caller, c.callee].some((v) => v?.toLowerCase().includes(party))) &&
          (after === undefined ||
            c.startedAt < after.startedAt ||
            (c.startedAt === after.startedAt && c.id < after.id)),
      )
      .sort((a, b) => b.startedAt - a.startedAt || compare(b.id, a.id))
      .slice(0, cdrPageSize(query.limit))
      .map((c) => this.#withLegs(c));
  }

  async listEnded(query: EndedCdrQuery): Promise<CallRecordWithLegs[]> {
    const { after } = query;
    const ended = [...this.#calls.values()].filter(
      (c): c is CallRecord & { endedAt: number } =>
        c.endedAt !== undefined &&
        c.endedAt >= query.since &&
        (after === undefined ||
          c.endedAt > after.endedAt ||
          (c.endedAt === after.endedAt && c.id > after.id)),
    );
    return ended
      .sort((a, b) => a.endedAt - b.endedAt || compare(a.id, b.id))
      .slice(0, cdrPageSize(query.limit))
      .map((c) => this.#withLegs(c));
  }

  async get(id: string): Promise<CallRecordWithLegs | undefined> {
    const call = this.#calls.get(id);
    return call && this.#withLegs(call);
  }

  #legsOf(callId: string): LegRecord[] {
    return [...this.#legs.values()]
      .filter((l) => l.callId === callId)
      .sort((a, b) => a.startedAt - b.startedAt || compare(a.id, b.id));
  }

  #withLegs(call: CallRecord): CallRecordWithLegs {
    return { ...call, legs: this.#legsOf(call.id).map((l) => ({ ...l })) };
  }
}

/** Binary (code unit) order, the order SQL gives text ids under the C collation and SQLite. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function latest(times: Array<number | undefined>): number {
  return Math.max(...times.filter((t): t is number => t !== undefined));
}

/** The object without its undefined properties: an update that names a field as undefined leaves it. */
function defined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}
