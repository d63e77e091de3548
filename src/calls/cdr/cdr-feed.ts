import type { CallRecord, LegRecord } from "./call-detail-record.ts";

/** A call record as it is read back: the call with every leg attempt, legs in start order. */
export type CallRecordWithLegs = CallRecord & { legs: LegRecord[] };

/** Records in the order they ended, for following CDRs as calls finish (`parley cdr tail`). */
export interface EndedCdrQuery {
  /** Epoch milliseconds; records that ended at or after this time. */
  since: number;
  /** For paging: the `endedAt` and `id` of the last record seen. */
  after?: { endedAt: number; id: string };
  /** Default 100, at most 1000. */
  limit?: number;
}

/**
 * Reading ended records oldest end first. Kept beside {@link CdrStore} rather than in it: call
 * control only writes, and a follower only reads.
 */
export interface CdrFeed {
  listEnded(query: EndedCdrQuery): Promise<CallRecordWithLegs[]>;
}
