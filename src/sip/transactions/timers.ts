/**
 * RFC 3261 §17 timer values (Table 4, §A), derived from T1, T2 and T4, plus RFC 6026's L and M.
 * https://www.rfc-editor.org/rfc/rfc3261#appendix-A
 */
export interface TimerSettings {
  /** RTT estimate, default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  t2: number;
  /** Maximum duration a message remains in the network, default 5 s. */
  t4: number;
}

export const DEFAULT_TIMERS: Readonly<TimerSettings> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

export type TimerName = "A" | "B" | "D" | "E" | "F" | "G" | "H" | "I" | "J" | "K" | "L" | "M";

/** Initial duration of each timer for an unreliable (UDP) or reliable (TCP, TLS, WS) transport. */
export function timerDuration(name: TimerName, s: TimerSettings, reliable: boolean): number {
  switch (name) {
    case "A": // INVITE request retransmit interval, UDP only
    case "E": // non-INVITE request retransmit interval, UDP only
    case "G": // INVITE response retransmit interval
      return s.t1;
    case "B": // INVITE transaction timeout
    case "F": // non-INVITE transaction timeout
    case "H": // wait time for ACK receipt
    case "L": // RFC 6026: wait time for accepted INVITE request retransmits
    case "M": // RFC 6026: wait time for retransmission of 2xx to INVITE
      return 64 * s.t1;
    case "D": // wait time for response retransmits: "at least 32 seconds for unreliable transports"
      return reliable ? 0 : Math.max(32_000, 64 * s.t1);
    case "I": // wait time for ACK retransmits
    case "K": // wait time for response retransmits
      return reliable ? 0 : s.t4;
    case "J": // wait time for non-INVITE request retransmits
      return reliable ? 0 : 64 * s.t1;
  }
}
