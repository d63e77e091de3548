/** Call control's public surface: the service API, call control's root, CDR types; never legs/ internals. */
// Answering-machine detection's options and verdict, for services that call `detectAnsweringMachine`.
export { type AmdOptions, type AmdReason, type AmdVerdict, DEFAULT_AMD_OPTIONS } from "../media/index.ts";
export { Call, type CallContext, type CallEvents } from "./b2bua/call.ts";
export { CallControl, type CallControlOptions, type OriginateApp } from "./b2bua/call-control.ts";
export {
  CallJournal,
  type CallJournalEvents,
  type CallProgressEvent,
  type CallStatus,
} from "./b2bua/call-journal.ts";
export type { CallPresence, NodeReply, NodeRequest, PresenceEntry } from "./b2bua/call-presence.ts";
export { ConferenceRooms } from "./b2bua/conference-rooms.ts";
export { MUSIC_ON_HOLD } from "./b2bua/pairing.ts";
export { CdrWriter, dispositionFor } from "./cdr/cdr-writer.ts";
export * from "./cdr/index.ts";
export { causeFromStatus, HANGUP_CAUSES, type HangupCause, statusForCause } from "./legs/hangup-cause.ts";
export type { DtmfEvent, LegEnd, LegState } from "./legs/leg.ts";
export { causeFromReason, reasonHeader } from "./legs/reason-header.ts";
export {
  type MessageSummaryLookup,
  MessageWaitingIndicator,
  type MessageWaitingIndicatorEvents,
  type MessageWaitingIndicatorOptions,
  type MessageWaitingNotice,
  type MessageWaitingSettings,
} from "./message-waiting/message-waiting-indicator.ts";
export {
  type IncomingText,
  type SentText,
  type TextDelivery,
  type TextHandler,
  TextMessaging,
  type TextMessagingEvents,
  type TextMessagingOptions,
  type TextMessagingSettings,
  type TextRecipients,
} from "./messaging/text-messaging.ts";
export {
  CallRouter,
  dialTarget,
  normalizeNumber,
  type Subscriber,
  type Subscribers,
} from "./routing/call-router.ts";
export { Trunk, type TrunkSettings, trunkFor } from "./routing/trunk.ts";
export { TrunkRegistration, type TrunkRegistrationState } from "./routing/trunk-registration.ts";
export * from "./service-api/call-session.ts";
