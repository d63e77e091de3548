/**
 * Voicemail delivery between Parley servers over SMTP: voice messages as MIME (VPIM-like, RFC
 * 3801), a receiver for peers, a sender with a per-domain route table, a retrying outbox and
 * non-delivery notices (RFC 3464). Outside src/smtp, import only this file.
 */
export type { DeliveryReport, Envelope, OutgoingMessage, RecipientFailure } from "./delivery-report.ts";
export {
  SMTP_ERROR_CODES,
  SmtpConfigError,
  type SmtpErrorCode,
  SmtpMessageError,
  SmtpStateError,
} from "./errors.ts";
export { MemoryOutboxStore } from "./memory-outbox-store.ts";
export type { MailAddress } from "./mime-encoding.ts";
export { composeNonDeliveryNotice, type NonDeliveryNoticeParts } from "./non-delivery-notice.ts";
export type { OutboxItem, OutboxStore } from "./outbox-store.ts";
export { PeerAllowList } from "./peer-allow-list.ts";
export { DEFAULT_RETRY_DELAYS_MS, SmtpOutbox, type SmtpOutboxOptions } from "./smtp-outbox.ts";
export {
  type ReceivedEnvelope,
  type RefusalStage,
  SmtpReceiver,
  type SmtpReceiverOptions,
  type SmtpRefusal,
} from "./smtp-receiver.ts";
export {
  type PeerTls,
  type SmtpPeerRoute,
  type SmtpRelayRoute,
  SmtpSender,
  type SmtpSenderOptions,
} from "./smtp-sender.ts";
export {
  composeVoiceMessage,
  type SignatureImageType,
  type SignatureKind,
  type SignatureParts,
  type SignatureStatus,
  type VoiceMessageParts,
} from "./voice-message-mime.ts";
export { type ParsedVoiceMessage, parseVoiceMessage } from "./voice-message-parser.ts";
