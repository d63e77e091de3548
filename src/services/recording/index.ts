/** Service 1: automatic call recording by subscription, on-demand recording, ring-back tones. */
export {
  MemoryRecordingAuditLog,
  type RecordingAuditAction,
  type RecordingAuditEntry,
  type RecordingAuditLog,
  type RecordingAuditOutcome,
  type RecordingAuditQuery,
} from "./recording-audit-log.ts";
export type {
  OpenedRecording,
  RecordingByteRange,
  RecordingFiles,
} from "./recording-files.ts";
export { RecordingRetention, type RecordingRetentionOptions } from "./recording-retention.ts";
export {
  type RecordingEvent,
  RecordingService,
  type RecordingServiceOptions,
  ringbackPath,
} from "./recording-service.ts";
export {
  MemoryRecordingStore,
  type RecordingQuery,
  type RecordingRecord,
  type RecordingStatus,
  type RecordingStore,
} from "./recording-store.ts";
export {
  DEFAULT_SUBSCRIPTION,
  MemoryRecordingSubscriptions,
  type RecordingPolicy,
  type RecordingSubscription,
  type RecordingSubscriptions,
} from "./recording-subscriptions.ts";
export {
  RecordingWebhook,
  type RecordingWebhookBody,
  type RecordingWebhookOptions,
  signature as webhookSignature,
} from "./recording-webhook.ts";
export type { RingbackToneStore } from "./ringback-tone-store.ts";
export { RingbackTones, type RingbackTonesOptions } from "./ringback-tones.ts";
