/**
 * Row types of every table, as Kysely sees them. Column types are the common subset of SQLite
 * and PostgreSQL: text ids (UUIDs made by Parley), ISO-8601 UTC text timestamps (they sort as
 * text), and integer 0/1 flags.
 */
import type { BillingTables } from "./billing-tables.ts";
import type { EmergencyTables } from "./emergency-tables.ts";
import type { PortalTables } from "./portal-tables.ts";

export interface RecordingRow {
  id: string;
  call_id: string;
  path: string;
  caller: string;
  callee: string;
  /** JSON array of extension@domain. */
  owners: string;
  reason: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  sha256: string | null;
  status: string;
  error: string | null;
  /** Where the saved recording is kept (`file:///…`, `s3://bucket/key`); null until archived. */
  location: string | null;
}

export interface RecordingSubscriptionRow {
  user_key: string;
  policy: string;
  announce: number;
}

/** One access to recordings through the API (RecordingAuditEntry). */
export interface RecordingAuditRow {
  id: string;
  at: string;
  token_id: string;
  token_name: string;
  /** extension@domain of a user token, or "admin". */
  actor: string;
  action: string;
  recording_id: string | null;
  /** JSON of the list filters. */
  filter: string | null;
  outcome: string;
}

export interface Tables extends BillingTables, PortalTables, EmergencyTables {
  recordings: RecordingRow;
  recording_audit: RecordingAuditRow;
  recording_subscriptions: RecordingSubscriptionRow;
  domains: DomainRow;
  users: UserRow;
  phone_numbers: PhoneNumberRow;
  api_tokens: ApiTokenRow;
  registrations: RegistrationRow;
  cdr_calls: CdrCallRow;
  cdr_legs: CdrLegRow;
  mail_mailboxes: MailMailboxRow;
  mail_messages: MailMessageRow;
  voicemail_boxes: VoicemailBoxRow;
  voicemail_signatures: VoicemailSignatureRow;
  smtp_outbox: SmtpOutboxRow;
  background_calls: BackgroundCallRow;
  background_call_blocks: BackgroundCallBlockRow;
  merchants: MerchantRow;
}

export interface MerchantRow {
  id: string;
  name: string;
  category: string;
  active: number;
  /** The whole merchant as JSON (numbers, payer, plan, widget origins). */
  merchant: string;
}

export interface BackgroundCallRow {
  id: string;
  caller: string;
  callee: string;
  state: string;
  /** 1 while the job is not in a final state. */
  active: number;
  /** BIGINT epoch ms (a string from pg). */
  created_at: number | string;
  /** The whole job as JSON (counters, limits, step log). */
  job: string;
}

export interface BackgroundCallBlockRow {
  callee: string;
  blocked: string;
}

export interface SmtpOutboxRow {
  id: string;
  /** JSON {from, to[]}. */
  envelope: string;
  raw: Buffer;
  attempts: number;
  /** BIGINT milliseconds: pg returns them as strings. */
  enqueued_at: number | string;
  next_attempt_at: number | string;
  /** JSON array of the last attempt's failures. */
  last_failures: string | null;
}

export interface MailMailboxRow {
  id: string;
  /** extension@domain */
  owner: string;
  name: string;
  /** BIGINT: pg returns it as a string. */
  uid_validity: number | string;
  uid_next: number;
}

export interface MailMessageRow {
  mailbox_id: string;
  uid: number;
  /** Space-separated IMAP flags. */
  flags: string;
  internal_date: string;
  size: number;
  source: Buffer;
}

export interface VoicemailBoxRow {
  owner: string;
  /** JSON of the mailbox settings other than the greeting. */
  settings: string;
  greeting: Buffer | null;
}

export interface VoicemailSignatureRow {
  owner: string;
  text: string | null;
  voice: Buffer | null;
  image: Buffer | null;
  image_type: string | null;
  updated_at: string;
}

export interface RegistrationRow {
  aor: string;
  contact: string;
  q: number;
  expires_at: string;
  call_id: string;
  cseq: number;
  source_protocol: string;
  source_address: string;
  source_port: number;
  flow_id: string | null;
  /** JSON array of Path header values. */
  path: string;
  user_agent: string | null;
  instance_id: string | null;
  registered_at: string;
}

export interface DomainRow {
  id: string;
  name: string;
  created_at: string;
}

export interface UserRow {
  id: string;
  domain_id: string;
  extension: string;
  display_name: string;
  ha1_md5: string;
  ha1_sha256: string;
  web_password_hash: string | null;
  feature_recording: number;
  feature_voicemail: number;
  feature_background_call: number;
  feature_click_to_call: number;
  created_at: string;
  updated_at: string;
}

export interface PhoneNumberRow {
  number: string;
  user_id: string;
  position: number;
}

export interface ApiTokenRow {
  id: string;
  name: string;
  admin: number;
  secret_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** extension@domain of the user a user token acts for; null for admin tokens. */
  user_key: string | null;
}

/** One call (CallRecord); times are ISO-8601 UTC text, null while not reached. */
export interface CdrCallRow {
  id: string;
  kind: string;
  from_uri: string;
  to_uri: string;
  service: string;
  caller: string | null;
  callee: string | null;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  disposition: string | null;
  sip_status: number | null;
  cause: string | null;
  reason: string | null;
  /** Added by migration 0012. */
  payer: string | null;
  cost: number | null;
  currency: string | null;
  /** Added by migration 0013: the priority of emergency calls. */
  priority: number | null;
  /** Added by migration 0014: the cluster node that ran the call. */
  node: string | null;
}

/** One leg attempt of a call (LegRecord). */
export interface CdrLegRow {
  id: string;
  call_id: string;
  direction: string;
  sip_call_id: string;
  from_uri: string;
  to_uri: string;
  target: string;
  started_at: string;
  ringing_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  disposition: string | null;
  sip_status: number | null;
  cause: string | null;
  reason: string | null;
}
