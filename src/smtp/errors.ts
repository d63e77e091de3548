import { ParleyError } from "../kernel/parley-error.ts";

/**
 * The catalogue of coded errors thrown by src/smtp (one errors.ts per module, Fastify's
 * lib/errors.js style). Codes are stable; logs and the voicemail service match on them.
 */
export const SMTP_ERROR_CODES = {
  /** A received message is not a voice message Parley can file (no audio part, unparsable MIME). */
  messageInvalid: "SMTP_MESSAGE_INVALID",
  /** The parts handed to a composer cannot make a valid message (bad address, empty recipient list …). */
  composeInvalid: "SMTP_COMPOSE_INVALID",
  /** A receiver, sender or outbox option is unusable (a malformed allow-list entry, a peer route without host …). */
  configInvalid: "SMTP_CONFIG_INVALID",
  /** A method was called in a state that does not allow it (listen() after close(), enqueue() on a closed outbox). */
  stateInvalid: "SMTP_STATE_INVALID",
} as const;

export type SmtpErrorCode = (typeof SMTP_ERROR_CODES)[keyof typeof SMTP_ERROR_CODES];

/** A message that cannot be composed or read as a voice message. */
export class SmtpMessageError extends ParleyError {
  constructor(
    code: typeof SMTP_ERROR_CODES.messageInvalid | typeof SMTP_ERROR_CODES.composeInvalid,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** An unusable option given to SmtpReceiver, SmtpSender or SmtpOutbox. */
export class SmtpConfigError extends ParleyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SMTP_ERROR_CODES.configInvalid, message, options);
  }
}

/** A call that the object's lifecycle state does not allow. */
export class SmtpStateError extends ParleyError {
  constructor(message: string) {
    super(SMTP_ERROR_CODES.stateInvalid, message);
  }
}
