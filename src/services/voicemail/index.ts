/** Service 2: voicemail with sender signatures, delivery between servers, IMAP access and MWI. */
export {
  type MailboxSettings,
  type MailboxSettingsStore,
  MemoryMailboxSettingsStore,
} from "./mailbox-settings.ts";
export { MemoryVoicemailStore } from "./memory-voicemail-store.ts";
export {
  type DeliveryReport,
  type MailRelay,
  MessageDelivery,
  type OutgoingVoiceMessage,
  type RecipientOutcome,
  type RelayItem,
} from "./message-delivery.ts";
export {
  type SignatureDocument,
  type SignatureFetch,
  SignatureLookup,
  type SignatureResult,
  signatureDocument,
} from "./signature-lookup.ts";
export { signatureServerClient } from "./signature-server-client.ts";
export { hasParts, MemorySignatureStore, type Signature, type SignatureStore } from "./signature-store.ts";
export {
  type MessageWaitingSink,
  VoicemailService,
  type VoicemailServiceOptions,
} from "./voicemail-service.ts";
export { trimWav } from "./voicemail-spool.ts";
export {
  countMessages,
  type MessageCounts,
  VOICEMAIL_FOLDERS,
  type VoicemailFolder,
  type VoicemailStore,
} from "./voicemail-store.ts";
