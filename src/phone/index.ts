/** The softphone's public surface (`parley phone`, tests); nothing outside phone/ imports deeper. */

export { type RingKind, ringKind } from "./alert-marking.ts";
export { PhoneRegistrationError, PhoneStateError } from "./errors.ts";
export {
  type CallOutcome,
  PREEMPTION_REASON,
  SoftPhone,
  type SoftPhoneEvents,
  type SoftPhoneOptions,
  type SoftPhoneState,
} from "./soft-phone.ts";
