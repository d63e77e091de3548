import { ParleyError } from "../kernel/parley-error.ts";

/** A datagram that is not a valid RTP packet (code `MEDIA_RTP_PARSE`). Protocol input, not a bug. */
export class RtpParseError extends ParleyError {
  constructor(message: string) {
    super("MEDIA_RTP_PARSE", message);
  }
}

/** A WAV file that cannot be written or read as 16-bit PCM (code `MEDIA_WAV`). */
export class WavError extends ParleyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MEDIA_WAV", message, options);
  }
}

/** SDP that cannot be used for a session (code `MEDIA_SDP`). Protocol input, not a bug: SIP answers 488/400. */
export class SdpError extends ParleyError {
  constructor(message: string) {
    super("MEDIA_SDP", message);
  }
}

/** A telephone-event payload or a DTMF SIP INFO body that cannot be understood (code `MEDIA_DTMF_PARSE`). */
export class DtmfParseError extends ParleyError {
  constructor(message: string) {
    super("MEDIA_DTMF_PARSE", message);
  }
}
