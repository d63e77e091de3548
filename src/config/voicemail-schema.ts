import Type from "typebox";
import { Host, Port, section } from "./schema-parts.ts";

/**
 * Configuration of service 2: voicemail, its IMAP4rev1 access and its SMTP delivery between
 * servers (kept apart from schema.ts to keep each file readable; the same rules apply: defaults
 * live here, key names are stable).
 */

const Pem = (what: string) =>
  Type.String({ default: "", description: `PEM ${what} file for STARTTLS; empty offers no TLS.` });

const DivertReason = Type.Union([
  Type.Literal("busy"),
  Type.Literal("no-answer"),
  Type.Literal("unregistered"),
  Type.Literal("unavailable"),
]);

export const VoicemailSection = section(
  {
    enabled: Type.Boolean({
      default: true,
      description: "Whether unanswered calls go to voicemail and *98/*99 reach the menu.",
    }),
    divert_on: Type.Array(DivertReason, {
      default: ["busy", "no-answer", "unregistered"],
      description:
        "Which unanswered calls go to the callee's voicemail: busy, no-answer, unregistered (no phone registered), unavailable (declined or failed).",
    }),
    max_message_seconds: Type.Integer({
      minimum: 5,
      maximum: 3600,
      default: 180,
      description: "Longest message a caller may leave, unless the mailbox sets its own.",
    }),
    min_message_seconds: Type.Integer({
      minimum: 0,
      maximum: 60,
      default: 1,
      description: "Messages shorter than this (a caller hanging up at the beep) are not kept.",
    }),
    max_messages: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 100,
      description:
        "Messages a mailbox holds, unless it sets its own; a full mailbox tells callers so and takes none.",
    }),
    silence_seconds: Type.Integer({
      minimum: 0,
      maximum: 60,
      default: 5,
      description: "Seconds of silence that end a message (0: silence never ends it).",
    }),
    own_box_code: Type.String({
      pattern: "^[0-9*#]{1,8}$",
      default: "*98",
      allowed: "digits, * and # (at most 8)",
      description: "Number a user dials to reach their own mailbox.",
    }),
    any_box_code: Type.String({
      pattern: "^[0-9*#]{1,8}$",
      default: "*99",
      allowed: "digits, * and # (at most 8)",
      description: "Number that asks for a mailbox and its PIN (from any phone).",
    }),
    mwi_unsolicited: Type.Boolean({
      default: false,
      description: "Send message-summary NOTIFYs (RFC 3842) to registered phones that did not SUBSCRIBE.",
    }),
    mwi_min_expires: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 60,
      description: "Shortest message-summary subscription accepted (shorter ones get 423 with Min-Expires).",
    }),
    mwi_max_expires: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 3600,
      description: "Longest message-summary subscription granted.",
    }),
    mwi_default_expires: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 3600,
      description: "Subscription length for a SUBSCRIBE without Expires.",
    }),
    signature_server_url: Type.String({
      default: "",
      pattern: "^(|https?://.+)$",
      allowed: 'empty or an "http://" or "https://" URL of another Parley',
      description:
        "Another Parley whose API holds the signatures of senders that have none here; empty uses only local signatures.",
    }),
    signature_server_token: Type.String({
      default: "",
      description: "Bearer token (an admin API token of the signature server) for signature look-ups.",
    }),
    signature_server_ca: Type.String({
      default: "",
      description:
        "PEM file of the CA that signed the signature server's certificate; empty trusts the system CAs.",
    }),
    signature_cache_seconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 300,
      description: "How long a signature fetched from the signature server is reused.",
    }),
    notify_from: Type.String({
      default: "",
      description: 'Sender address of e-mail notifications; empty uses "voicemail@" and the user\'s domain.',
    }),
  },
  "Voicemail (service 2): deposit, phone menu, signatures, message-waiting lamps.",
);

export const ImapSection = section(
  {
    enabled: Type.Boolean({ default: true, description: "Whether the IMAP4rev1 server runs." }),
    host: Host("0.0.0.0", "Address the IMAP4rev1 voicemail server listens on."),
    port: Port(1143, "IMAP port (STARTTLS on the same port when tls_cert is set)."),
    tls_cert: Pem("certificate chain"),
    tls_key: Pem("private key"),
    max_command_bytes: Type.Integer({
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      default: 65_536,
      description: "Largest command (literals included) a client may send; larger ones get BAD.",
    }),
    login_failures: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 5,
      description:
        "Failed logins from one address, within login_window_seconds, before logins from it are refused.",
    }),
    login_window_seconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description: "Window of the login rate limit.",
    }),
  },
  "IMAP4rev1 access to voice mailboxes (log in as extension@domain with the web password).",
);

export const SmtpPeer = Type.Object(
  {
    domain: Type.String({ minLength: 1, description: "Recipient domain served by this peer." }),
    host: Type.String({ minLength: 1, description: "The peer's SMTP host." }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 2525, description: "The peer's SMTP port." }),
    tls: Type.Union([Type.Literal("starttls"), Type.Literal("none"), Type.Literal("implicit")], {
      default: "starttls",
      description: "starttls (when offered), none, or implicit TLS.",
    }),
    reject_unauthorized: Type.Boolean({ default: true, description: "Check the peer's certificate." }),
  },
  { additionalProperties: false },
);

export const SmtpSection = section(
  {
    enabled: Type.Boolean({
      default: true,
      description: "Whether the server-to-server voicemail receiver runs.",
    }),
    host: Host("0.0.0.0", "Address the server-to-server voicemail receiver listens on."),
    port: Port(2525, "SMTP port for voicemail delivery between servers."),
    tls_cert: Pem("certificate chain"),
    tls_key: Pem("private key"),
    allow_from: Type.Array(Type.String({ minLength: 1 }), {
      default: ["127.0.0.1", "::1"],
      description: "Addresses or CIDR ranges of peers allowed to deliver voice messages here.",
    }),
    max_message_bytes: Type.Integer({
      minimum: 1024,
      maximum: 1024 * 1024 * 1024,
      default: 25 * 1024 * 1024,
      description: "Largest voice message accepted.",
    }),
    peers: Type.Array(SmtpPeer, {
      default: [],
      description: "Where voice messages for other domains go, as [[smtp.peers]] tables (no MX look-up).",
    }),
    relay_host: Type.String({
      default: "",
      description: "SMTP relay for e-mail notifications and for domains without a peer; empty sends none.",
    }),
    relay_port: Type.Integer({ minimum: 1, maximum: 65535, default: 25, description: "Port of relay_host." }),
    relay_tls: Type.Union([Type.Literal("starttls"), Type.Literal("none"), Type.Literal("implicit")], {
      default: "starttls",
      description: "How to reach relay_host: starttls (required), none, or implicit TLS.",
    }),
    retry_delays: Type.Array(Type.Integer({ minimum: 1, maximum: 86_400 }), {
      default: [60, 300, 900, 3600, 14_400],
      description:
        "Seconds between delivery attempts to a peer; after the last, the sender gets a non-delivery notice.",
    }),
  },
  "SMTP voicemail delivery between servers.",
);
