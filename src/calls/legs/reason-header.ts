import { HANGUP_CAUSES, type HangupCause } from "./hangup-cause.ts";

/**
 * The Reason header (RFC 3326) Parley puts on BYE, CANCEL and final responses: the Q.850 cause
 * with its name, and for preemption the RFC 4411 value. Example:
 * `Reason: Q.850;cause=17;text="USER_BUSY"`, `Reason: preemption;cause=1;text="UA Preemption"`.
 */
export function reasonHeader(cause: HangupCause): string {
  if (cause === "PREEMPTED") return 'preemption;cause=1;text="UA Preemption"';
  if (cause === "ORIGINATOR_CANCEL") return 'SIP;cause=487;text="Request Terminated"';
  // Q.850 causes are 1..127; Parley's own number for a media timeout is sent as 102, "recovery
  // on timer expiry", keeping the name in the text.
  if (cause === "MEDIA_TIMEOUT") return 'Q.850;cause=102;text="MEDIA_TIMEOUT"';
  return `Q.850;cause=${HANGUP_CAUSES[cause]};text="${cause}"`;
}

/**
 * The cause a peer gave in its Reason header, when it is a Q.850 cause Parley knows, or RFC 4411
 * preemption; undefined otherwise (the caller then uses the status code).
 */
export function causeFromReason(values: readonly string[]): HangupCause | undefined {
  for (const value of values) {
    const protocol = /^\s*([A-Za-z0-9.]+)/.exec(value)?.[1]?.toLowerCase();
    const code = Number(/;\s*cause\s*=\s*(\d+)/i.exec(value)?.[1]);
    if (protocol === "preemption") return "PREEMPTED";
    if (protocol === "q.850" && Number.isInteger(code)) {
      // Q.850 causes are 1..127; the larger numbers in HANGUP_CAUSES are Parley's own.
      const found = (Object.entries(HANGUP_CAUSES) as Array<[HangupCause, number]>).find(
        ([, number]) => number === code && number <= 127,
      );
      if (found) return found[0];
    }
  }
  return undefined;
}
