import type { HangupCause } from "../legs/hangup-cause.ts";

/**
 * How a call or a leg attempt ended, in the words CDR readers expect (Asterisk's dispositions plus
 * two of Parley's): `interrupted` marks a record that was open when the process died and was
 * completed at the next start.
 */
export type CdrDisposition = "answered" | "no-answer" | "busy" | "failed" | "cancelled" | "interrupted";

/** One attempt to reach a party: an inbound INVITE, or one outbound INVITE of a fork. */
export interface LegRecord {
  /** Parley's leg id (`L…`), the one in log lines and the API. */
  id: string;
  callId: string;
  direction: "inbound" | "outbound";
  /** SIP Call-ID of this leg's dialog. */
  sipCallId: string;
  /** From and To as the leg saw them (URIs, without tags). */
  from: string;
  to: string;
  /** Where the request went or came from (contact URI, or trunk name). */
  target: string;
  /** Epoch milliseconds. */
  startedAt: number;
  ringingAt?: number;
  answeredAt?: number;
  endedAt?: number;
  disposition?: CdrDisposition;
  /** Final SIP status of the INVITE (200 for answered legs), when there was one. */
  sipStatus?: number;
  cause?: HangupCause;
  /** The Reason header received or sent at the end (RFC 3326), verbatim. */
  reason?: string;
}

/** One record per call: the first leg's view, the outcome, and the service that handled it. */
export interface CallRecord {
  /** Parley's call id (`C…`). */
  id: string;
  /** `inbound` (a phone or trunk called Parley) or `originate` (Parley placed the call: API, services). */
  kind: "inbound" | "originate";
  from: string;
  to: string;
  /** The service module that handled the call (`basic` for plain user-to-user calls). */
  service: string;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  disposition?: CdrDisposition;
  cause?: HangupCause;
  sipStatus?: number;
  reason?: string;
  /** The authenticated user who placed the call, when there was one. */
  caller?: string;
  /** The user who answered, when a local user did. */
  callee?: string;
  /** Who paid for the call (a billing account id), when a service charged it (click-to-call). */
  payer?: string;
  /** What the payer was charged, in minor units of `currency`. */
  cost?: number;
  currency?: string;
  /** The call's priority when above 0: emergency calls carry their number's level; ordinary calls none. */
  priority?: number;
  /** The cluster node that ran the call (cluster.node_id); none for a node running alone. */
  node?: string;
}

/** Filters for reading CDRs back (API, CLI). Times are epoch milliseconds; `before` is exclusive. */
export interface CdrQuery {
  since?: number;
  before?: number;
  /** Matches `from`, `to`, `caller` or `callee` containing this text. */
  party?: string;
  disposition?: CdrDisposition;
  /** Only calls with a priority (emergency calls), or only calls without one. */
  emergency?: boolean;
  limit?: number;
  /** Newest first; for paging, the `startedAt` and `id` of the last record seen. */
  after?: { startedAt: number; id: string };
}

/**
 * Where call records go (the CdrSink of the architecture): call control writes a record when a
 * call starts and updates it on each event, so a killed process leaves an open record that
 * `completeInterrupted` closes at the next start.
 */
export interface CdrStore {
  openCall(record: CallRecord): Promise<void>;
  updateCall(id: string, changes: Partial<Omit<CallRecord, "id">>): Promise<void>;
  openLeg(record: LegRecord): Promise<void>;
  updateLeg(id: string, changes: Partial<Omit<LegRecord, "id" | "callId">>): Promise<void>;
  /**
   * Marks every call (and its legs) without an end that `node` ran as `interrupted`, ended at the
   * latest time the record holds (answer, ring or start), and returns how many calls it closed.
   * Without `node`: the calls of a node running alone (records without a node).
   */
  completeInterrupted(node?: string): Promise<number>;
  /** The cluster nodes that have calls without an end (running, or left open by a node that died). */
  openNodes(): Promise<string[]>;
  /** Newest first, with their legs. */
  list(query: CdrQuery): Promise<Array<CallRecord & { legs: LegRecord[] }>>;
  get(id: string): Promise<(CallRecord & { legs: LegRecord[] }) | undefined>;
}
