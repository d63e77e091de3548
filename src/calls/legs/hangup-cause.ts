/**
 * Why a leg ended, in one vocabulary for the whole call layer (ITU-T Q.850 cause names, as
 * FreeSWITCH uses them), with exactly one mapping from SIP to a cause and one from a cause to SIP.
 * Services and CDRs speak causes; only these two functions speak SIP status codes.
 * Mappings follow RFC 3398 §7.2.4.1 (SIP → ISUP) and §8.2.6.1 (ISUP → SIP).
 */
export const HANGUP_CAUSES = {
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_DESTINATION: 3,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  BEARERCAPABILITY_NOTAVAIL: 58,
  SERVICE_UNAVAILABLE: 63,
  BEARERCAPABILITY_NOTIMPL: 65,
  INCOMPATIBLE_DESTINATION: 88,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  INTERWORKING: 127,
  /** Q.850 8, preemption: another call took this one's place (RFC 4411). */
  PREEMPTED: 8,
  /** Q.850 52, outgoing calls barred: for instance the payer's balance ran out. */
  OUTGOING_CALL_BARRED: 52,
  /** Not Q.850 (FreeSWITCH's number): the caller gave up before the answer (SIP CANCEL). */
  ORIGINATOR_CANCEL: 487,
  /** Not Q.850 (FreeSWITCH's number): no RTP for media.rtp_timeout seconds. */
  MEDIA_TIMEOUT: 604,
} as const;

export type HangupCause = keyof typeof HANGUP_CAUSES;

/** SIP final status → cause (RFC 3398 §7.2.4.1, with FreeSWITCH's additions for 480, 487). */
const FROM_STATUS: Readonly<Record<number, HangupCause>> = {
  400: "NORMAL_TEMPORARY_FAILURE",
  401: "CALL_REJECTED",
  402: "CALL_REJECTED",
  403: "CALL_REJECTED",
  404: "UNALLOCATED_NUMBER",
  405: "SERVICE_UNAVAILABLE",
  406: "SERVICE_UNAVAILABLE",
  407: "CALL_REJECTED",
  408: "RECOVERY_ON_TIMER_EXPIRE",
  410: "NUMBER_CHANGED",
  413: "INTERWORKING",
  414: "INTERWORKING",
  415: "SERVICE_UNAVAILABLE",
  416: "INTERWORKING",
  420: "INTERWORKING",
  421: "INTERWORKING",
  423: "INTERWORKING",
  480: "NO_USER_RESPONSE",
  481: "NORMAL_TEMPORARY_FAILURE",
  482: "INTERWORKING",
  483: "INTERWORKING",
  484: "INVALID_NUMBER_FORMAT",
  485: "NO_ROUTE_DESTINATION",
  486: "USER_BUSY",
  487: "ORIGINATOR_CANCEL",
  488: "INCOMPATIBLE_DESTINATION",
  500: "NORMAL_TEMPORARY_FAILURE",
  501: "SERVICE_UNAVAILABLE",
  502: "NETWORK_OUT_OF_ORDER",
  503: "NORMAL_TEMPORARY_FAILURE",
  504: "RECOVERY_ON_TIMER_EXPIRE",
  505: "INTERWORKING",
  513: "INTERWORKING",
  600: "USER_BUSY",
  603: "CALL_REJECTED",
  604: "UNALLOCATED_NUMBER",
  606: "INCOMPATIBLE_DESTINATION",
};

/** The cause for a SIP final response status; classes fall back to their x00 entry (RFC 3261 §8.1.3.2). */
export function causeFromStatus(status: number): HangupCause {
  if (status >= 200 && status < 300) return "NORMAL_CLEARING";
  return FROM_STATUS[status] ?? FROM_STATUS[Math.floor(status / 100) * 100] ?? "NORMAL_UNSPECIFIED";
}

/** Cause → SIP status for refusing an INVITE (RFC 3398 §8.2.6.1). */
const TO_STATUS: Readonly<Partial<Record<HangupCause, number>>> = {
  UNALLOCATED_NUMBER: 404,
  NO_ROUTE_DESTINATION: 404,
  USER_BUSY: 486,
  NO_USER_RESPONSE: 408,
  NO_ANSWER: 480,
  SUBSCRIBER_ABSENT: 480,
  CALL_REJECTED: 403,
  NUMBER_CHANGED: 410,
  DESTINATION_OUT_OF_ORDER: 502,
  INVALID_NUMBER_FORMAT: 484,
  NORMAL_CIRCUIT_CONGESTION: 503,
  NETWORK_OUT_OF_ORDER: 503,
  NORMAL_TEMPORARY_FAILURE: 503,
  SWITCH_CONGESTION: 503,
  BEARERCAPABILITY_NOTAVAIL: 488,
  SERVICE_UNAVAILABLE: 503,
  BEARERCAPABILITY_NOTIMPL: 488,
  INCOMPATIBLE_DESTINATION: 488,
  RECOVERY_ON_TIMER_EXPIRE: 504,
  INTERWORKING: 500,
  ORIGINATOR_CANCEL: 487,
  OUTGOING_CALL_BARRED: 403,
  PREEMPTED: 503,
  MEDIA_TIMEOUT: 408,
};

/** The status to refuse an INVITE with for a cause (500 when no better one exists). */
export function statusForCause(cause: HangupCause): number {
  return TO_STATUS[cause] ?? 500;
}
