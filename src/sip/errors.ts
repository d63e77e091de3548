import { ParleyError } from "../kernel/parley-error.ts";

/**
 * A SIP message that cannot be parsed or breaks a rule of RFC 3261 §7/§20/§25. `reason` is the
 * phrase for the 400 response ("Bad CSeq", "Missing Call-ID" …) when the message can be answered.
 */
export class SipParseError extends ParleyError {
  readonly reason: string;
  /** The status to answer with when the message is an answerable request: 400, or 513 when too large. */
  readonly status: number;
  /**
   * The request as far as it could be read, when the start line was a request line: the UAS
   * answers it if its Via, From, To, Call-ID and CSeq are usable, and drops it otherwise.
   */
  partial: unknown;

  constructor(reason: string, detail?: string, status = 400) {
    super("SIP_PARSE", detail ? `${reason}: ${detail}` : reason);
    this.reason = reason;
    this.status = status;
  }
}
