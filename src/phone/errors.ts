import { ParleyError } from "../kernel/parley-error.ts";

/**
 * A SoftPhone method called in a state that does not allow it: `answer()` with nothing ringing,
 * `call()` while in a call, anything after `close()` (code `PHONE_STATE`).
 */
export class PhoneStateError extends ParleyError {
  constructor(message: string) {
    super("PHONE_STATE", message);
  }
}

/** The server refused the phone's REGISTER, or did not answer it (code `PHONE_REGISTRATION`). */
export class PhoneRegistrationError extends ParleyError {
  readonly status: number;

  constructor(status: number, reason: string) {
    super("PHONE_REGISTRATION", `registration refused: ${status} ${reason}`);
    this.status = status;
  }
}
