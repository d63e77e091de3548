/** Call control's public surface. So far: the hangup-cause vocabulary and its SIP mappings. */
export { causeFromStatus, HANGUP_CAUSES, type HangupCause, statusForCause } from "./legs/hangup-cause.ts";
export { causeFromReason, reasonHeader } from "./legs/reason-header.ts";
