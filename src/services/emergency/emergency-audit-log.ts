/**
 * The audit trail of emergency calls: who called which number, who was rung, who answered, who
 * was preempted (and whose call was cut), who was busy or did not answer, who joined and left the
 * group's conference, and how long it all took. One entry per step, in order.
 */
export type EmergencyAuditEvent =
  | "started"
  | "ringing"
  | "answered"
  | "busy"
  | "no-answer"
  | "failed"
  | "retry"
  | "preempted"
  | "joined"
  | "left"
  | "muted"
  | "unmuted"
  | "kicked"
  | "ended";

export interface EmergencyAuditEntry {
  id: string;
  /** Epoch milliseconds. */
  at: number;
  /** The emergency call's id (the CDR's). */
  callId: string;
  number: string;
  event: EmergencyAuditEvent;
  /** Who the step is about: the caller, a bound user (extension@domain), or the party cut off by a preemption. */
  party?: string;
  /** What else there is to say, as short text ("cut off sip:1003@…", "after 12 s", "SIP 486"). */
  detail?: string;
}

export interface EmergencyAuditQuery {
  callId?: string;
  number?: string;
  since?: number;
  before?: number;
  limit?: number;
}

/** Where audit entries go (SQL in production, memory in tests). `list` is oldest first within a call, newest calls first otherwise. */
export interface EmergencyAuditLog {
  record(entry: EmergencyAuditEntry): Promise<void>;
  list(query: EmergencyAuditQuery): Promise<EmergencyAuditEntry[]>;
}

export class MemoryEmergencyAuditLog implements EmergencyAuditLog {
  readonly #entries: EmergencyAuditEntry[] = [];

  async record(entry: EmergencyAuditEntry): Promise<void> {
    this.#entries.push({ ...entry });
  }

  async list(query: EmergencyAuditQuery): Promise<EmergencyAuditEntry[]> {
    const matching = this.#entries.filter(
      (e) =>
        (query.callId === undefined || e.callId === query.callId) &&
        (query.number === undefined || e.number === query.number) &&
        (query.since === undefined || e.at >= query.since) &&
        (query.before === undefined || e.at < query.before),
    );
    return sortAudit(matching, query.callId !== undefined)
      .slice(0, query.limit ?? 100)
      .map((e) => ({ ...e }));
  }
}

/** One call's steps in the order they happened; across calls, the newest first. */
export function sortAudit(entries: EmergencyAuditEntry[], oneCall: boolean): EmergencyAuditEntry[] {
  return [...entries].sort((a, b) =>
    oneCall ? a.at - b.at || a.id.localeCompare(b.id) : b.at - a.at || b.id.localeCompare(a.id),
  );
}
