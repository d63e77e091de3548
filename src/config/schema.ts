import Type, { type Static } from "typebox";
import { BackgroundCallSection } from "./background-call-schema.ts";
import { ClickToCallSection, PortalSection } from "./click-to-call-schema.ts";
import { ClusterSection } from "./cluster-schema.ts";
import { EmergencyNumberEntry, EmergencySection, PhoneProfileEntry } from "./emergency-schema.ts";
import { Host, Port, section } from "./schema-parts.ts";
import { ImapSection, SmtpSection, VoicemailSection } from "./voicemail-schema.ts";

/**
 * The configuration schema: every key Parley reads, its type, its range and its default. This
 * file is the single place where defaults live; `parley.example.toml` documents the same keys.
 * Key names are stable: the `PARLEY_<SECTION>_<KEY>` environment overrides are derived from them.
 */

export const LogSection = section(
  {
    level: Type.Union(
      [
        Type.Literal("fatal"),
        Type.Literal("error"),
        Type.Literal("warn"),
        Type.Literal("info"),
        Type.Literal("debug"),
        Type.Literal("trace"),
        Type.Literal("silent"),
      ],
      { default: "info", description: "Lowest level written." },
    ),
    format: Type.Union([Type.Literal("auto"), Type.Literal("json"), Type.Literal("pretty")], {
      default: "auto",
      description: "json, pretty, or auto (pretty on a terminal, JSON otherwise).",
    }),
  },
  "Logging.",
);

export const DatabaseSection = section(
  {
    url: Type.String({
      default: "",
      pattern: "^$|^sqlite:.+|^postgres(ql)?://.+",
      allowed: 'empty, "sqlite:<path>", "sqlite::memory:" or "postgres://user:password@host:port/database"',
      description:
        'Where data is stored: "sqlite:<path>" (a file; relative paths are under data_dir), "sqlite::memory:", or "postgres://user:pass@host:port/db". Empty means sqlite:parley.db under data_dir.',
    }),
    pool_size: Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 10,
      description: "PostgreSQL connections per node.",
    }),
  },
  "Storage backend.",
);

export const HttpSection = section(
  {
    host: Host("127.0.0.1", "Address the REST API, portal and /metrics listen on."),
    port: Port(8080, "TCP port of the REST API, portal and /metrics (0 picks a free port)."),
    trust_proxy: Type.Boolean({
      default: false,
      description: "Take the client address from X-Forwarded-For (set when behind a reverse proxy).",
    }),
  },
  "HTTP: REST API, OpenAPI document, web portal, health and metrics.",
);

export const SipSection = section(
  {
    host: Host("0.0.0.0", "Address SIP listens on (UDP and TCP)."),
    port: Port(5060, "SIP port for UDP and TCP."),
    tls_port: Port(5061, "SIP over TLS port; the TLS listener runs when tls_cert and tls_key are set."),
    tls_cert: Type.String({
      default: "",
      description: "PEM certificate chain for SIP over TLS; empty disables TLS.",
    }),
    tls_key: Type.String({ default: "", description: "PEM private key for SIP over TLS." }),
    advertised_address: Type.String({
      default: "",
      description:
        "Host or address Parley writes in Via and Contact of the requests and answers it sends; empty uses sip.host, or 127.0.0.1 when sip.host is a wildcard. Set it to the address phones reach Parley at.",
    }),
    ws_port: Port(8088, "SIP over WebSocket port (RFC 7118)."),
    t1: Type.Integer({
      minimum: 50,
      maximum: 10_000,
      default: 500,
      description: "RFC 3261 T1 in ms: RTT estimate; retransmission timers start here.",
    }),
    t2: Type.Integer({
      minimum: 500,
      maximum: 60_000,
      default: 4000,
      description: "RFC 3261 T2 in ms: longest retransmission interval.",
    }),
    t4: Type.Integer({
      minimum: 500,
      maximum: 60_000,
      default: 5000,
      description: "RFC 3261 T4 in ms: how long a message may stay in the network.",
    }),
    max_message_bytes: Type.Integer({
      minimum: 1500,
      maximum: 1_048_576,
      default: 65_535,
      description: "Largest SIP message accepted; larger ones get 513.",
    }),
    max_headers: Type.Integer({
      minimum: 16,
      maximum: 4096,
      default: 256,
      description: "Most header lines in one message; more get 400.",
    }),
    max_line_bytes: Type.Integer({
      minimum: 256,
      maximum: 1_048_576,
      default: 8192,
      description: "Longest request line or header line; longer gets 414 or 400.",
    }),
    max_connections: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description: "Most open TCP or TLS connections per listener; more are closed at once.",
    }),
    tcp_idle_timeout: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 3600,
      description: "Seconds before an idle TCP/TLS/WebSocket connection is closed.",
    }),
    digest_algorithms: Type.Array(Type.Union([Type.Literal("SHA-256"), Type.Literal("MD5")]), {
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
      default: ["MD5"],
      description:
        'Digest algorithms offered in challenges, in this order (RFC 8760). MD5 alone by default, as Asterisk, FreeSWITCH and Kamailio do: some deployed clients (baresip 1.0) refuse to register at all when any challenge names SHA-256. Set ["SHA-256", "MD5"] when every client supports it.',
    }),
    nonce_lifetime: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 300,
      description: "Seconds a digest nonce stays fresh; older ones get stale=true.",
    }),
    nonce_secret: Type.String({
      default: "",
      description:
        "HMAC key for digest nonces; empty makes a random one per start. Give every node of a cluster the same value.",
    }),
    auth_ban_failures: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 10,
      description: "Failed authentications from one address, within auth_ban_window, that ban it.",
    }),
    auth_ban_window: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 60,
      description: "Seconds over which failed authentications are counted.",
    }),
    auth_ban_time: Type.Integer({
      minimum: 1,
      maximum: 604_800,
      default: 600,
      description: "Seconds a banned address gets no answer at all.",
    }),
    domain: Type.String({
      minLength: 1,
      pattern: "^[A-Za-z0-9.-]+$",
      allowed: "a host name (letters, digits, dots and hyphens)",
      default: "localhost",
      description: "The default SIP domain, created on first start; also the digest realm of its users.",
    }),
  },
  "SIP signalling.",
);

export const RegistrarSection = section(
  {
    min_expires: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 60,
      description: "Shortest registration accepted in seconds; shorter gets 423 Interval Too Brief.",
    }),
    max_expires: Type.Integer({
      minimum: 1,
      maximum: 604_800,
      default: 7200,
      description: "Longest registration in seconds; longer requests are shortened.",
    }),
    persistence: Type.Union([Type.Literal("write-through"), Type.Literal("write-back")], {
      default: "write-through",
      description:
        "write-through stores every binding change before answering the REGISTER; write-back batches changes and stores them once a second (a crash loses at most that second; phones repair it at their next re-REGISTER).",
    }),
    default_expires: Type.Integer({
      minimum: 1,
      maximum: 604_800,
      default: 3600,
      description: "Registration time when the phone names none.",
    }),
  },
  "The SIP registrar (RFC 3261 §10).",
);

export const MediaSection = section(
  {
    address: Host("0.0.0.0", "Local address RTP sockets bind to."),
    public_address: Type.String({
      default: "",
      description:
        "Address written into SDP when it differs from the bind address (NAT); empty uses address.",
    }),
    rtp_port_min: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 20000,
      description: "Lowest RTP port.",
    }),
    rtp_port_max: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 30000,
      description: "Highest RTP port.",
    }),
    prompts_dir: Type.String({
      default: "",
      description:
        "Directory of the prompts Parley plays (8 or 16 kHz 16-bit WAV files named like goodbye.wav); empty uses the English prompts shipped with Parley.",
    }),
    rtp_timeout: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 30,
      description: "Seconds without RTP after which a call's media is reported dead (0 disables).",
    }),
  },
  "RTP media.",
);

export const CallsSection = section(
  {
    no_answer_timeout: Type.Integer({
      minimum: 1,
      maximum: 600,
      default: 30,
      description: "Seconds a callee's phones ring before the call fails with no answer (480).",
    }),
    feature_codes: Type.Record(
      Type.String({ pattern: "^[a-z][a-z0-9-]*$" }),
      Type.String({ pattern: "^[0-9*#]{1,8}$" }),
      {
        default: {},
        description:
          'DTMF codes dialled during a call, by feature name, replacing the services\' defaults, e.g. { "record-toggle" = "*9" }.',
        allowed: "a table of feature name = digits (0-9, *, #; at most 8)",
      },
    ),
    session_timer: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 0,
      description:
        "RFC 4028 session timer Parley asks for on its calls, seconds (0 or at least 90); 0 uses timers only when a phone asks for them. Dead calls are also caught by media.rtp_timeout.",
    }),
    call_waiting: Type.Boolean({
      default: false,
      description:
        "Whether a user already in a call is offered a second one; when false the caller gets 486 Busy Here.",
    }),
    normal_alert_info: Type.String({
      default: "",
      description:
        'Alert-Info on INVITEs of ordinary calls to users, e.g. "<urn:alert:service:normal>" (RFC 7462); empty sends none. Alert-Info and Resource-Priority that callers send are never passed on.',
    }),
  },
  "Call control (the back-to-back user agent).",
);

/** One SIP trunk (an upstream provider), an entry of the `[[trunks]]` array. */
export const TrunkEntry = Type.Object(
  {
    name: Type.String({ pattern: "^[A-Za-z0-9_-]{1,32}$", description: "Short name, in logs and CDRs." }),
    host: Type.String({ minLength: 1, description: "The provider's SIP server (IP address or host name)." }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 5060, description: "Its SIP port." }),
    transport: Type.Union([Type.Literal("udp"), Type.Literal("tcp")], {
      default: "udp",
      description: "Transport to the provider.",
    }),
    username: Type.String({
      default: "",
      description: "Digest username (registration and INVITE challenges).",
    }),
    password: Type.String({ default: "", description: "Digest password." }),
    register: Type.Boolean({ default: false, description: "Keep a registration with the provider." }),
    register_expires: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 3600,
      description: "Registration time asked for, seconds; refreshed before it runs out.",
    }),
    prefixes: Type.Array(Type.String({ pattern: "^\\+?[0-9]*$" }), {
      default: ["+"],
      description:
        'Numbers this trunk carries, by prefix; the longest matching prefix over all trunks wins. "+" matches every E.164 number.',
    }),
    strip: Type.Integer({
      minimum: 0,
      maximum: 16,
      default: 0,
      description: "Digits removed from the front before sending.",
    }),
    prepend: Type.String({
      pattern: "^\\+?[0-9]*$",
      default: "",
      description: "Digits added in front after stripping.",
    }),
    caller_id: Type.String({
      pattern: "^\\+?[0-9]*$",
      default: "",
      description:
        "Number presented on calls out (From and P-Asserted-Identity); empty uses the caller's first phone number.",
    }),
    from_domain: Type.String({
      default: "",
      description: "Host part of From on calls out; empty uses host.",
    }),
  },
  { additionalProperties: false },
);

export const RecordingSection = section(
  {
    dir: Type.String({
      default: "",
      description:
        'Where call recordings are written, laid out by date (YYYY/MM/DD); empty means <data_dir>/recordings. With storage = "s3" this holds only the recordings in progress.',
    }),
    storage: Type.Union([Type.Literal("local"), Type.Literal("s3")], {
      default: "local",
      description:
        "Where saved recordings are kept: local (in dir) or s3 (uploaded to s3_bucket when the recording ends, then deleted from dir).",
    }),
    s3_bucket: Type.String({
      default: "",
      description: 'The bucket recordings are uploaded to; required with storage = "s3".',
    }),
    s3_prefix: Type.String({
      default: "recordings/",
      description:
        "Put before each recording's path (YYYY/MM/DD/<call id>-<id>.wav) to make its object key; a / is added when missing.",
    }),
    s3_endpoint: Type.String({
      default: "",
      pattern: "^$|^https?://[^\\s]+$",
      allowed: 'empty or an "http://" or "https://" URL',
      description:
        "URL of an S3-compatible store (MinIO, Ceph, Garage, ...); empty means AWS S3 in s3_region.",
    }),
    s3_region: Type.String({
      minLength: 1,
      default: "us-east-1",
      description: "The bucket's region (S3-compatible stores usually accept us-east-1).",
    }),
    s3_access_key_id: Type.String({
      default: "",
      description:
        "Access key for the bucket; empty uses the AWS SDK's default credentials (AWS_* environment variables, ~/.aws, instance roles).",
    }),
    s3_secret_access_key: Type.String({
      default: "",
      description: "Secret key going with s3_access_key_id.",
    }),
    s3_force_path_style: Type.Boolean({
      default: true,
      description:
        "Address the bucket as <s3_endpoint>/<bucket>/<key>, which most S3-compatible stores need; false uses <bucket>.<host>. Only applies with s3_endpoint: AWS S3 gets virtual-hosted style.",
    }),
    announcement: Type.Boolean({
      default: false,
      description:
        'Play "this call is being recorded" to both parties of every automatically recorded call, whatever the subscription says.',
    }),
    pause_mode: Type.Union([Type.Literal("silence"), Type.Literal("skip")], {
      default: "silence",
      description:
        "What a paused span becomes in the file: silence (the recording keeps the call's timeline) or skip (left out).",
    }),
    pause_mode_by_domain: Type.Record(
      Type.String(),
      Type.Union([Type.Literal("silence"), Type.Literal("skip")]),
      {
        default: {},
        allowed: 'a table of domain = "silence" or "skip"',
        description: "Per-tenant pause_mode, by SIP domain, overriding pause_mode.",
      },
    ),
    retention_days: Type.Integer({
      minimum: 0,
      maximum: 36_500,
      default: 0,
      description: "Days recordings are kept before the retention job deletes them; 0 keeps them forever.",
    }),
    force_for_numbers: Type.Array(Type.String({ pattern: "^[0-9*#+]{1,32}$" }), {
      default: [],
      allowed: "dialled numbers (digits, *, #, +)",
      description:
        'Dialled numbers whose calls are always recorded, whoever calls and whatever their subscription (emergency numbers, e.g. ["112", "911"]); the recording\'s reason is "emergency".',
    }),
    retention_days_by_domain: Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: 36_500 }), {
      default: {},
      allowed: "a table of domain = days",
      description: "Per-tenant retention_days, by SIP domain.",
    }),
    ringback_library: Type.String({
      default: "",
      description:
        "Directory of ring-back tones users may pick from (8 kHz mono 16-bit WAV, named like calm.wav); empty uses the few shipped with Parley.",
    }),
    webhook_url: Type.String({
      default: "",
      description:
        "HTTP(S) URL that receives a signed JSON POST for every recording saved or failed; empty sends none.",
    }),
    webhook_secret: Type.String({
      default: "",
      description: "HMAC-SHA256 key for the X-Parley-Signature header of webhook POSTs.",
    }),
  },
  "Call recording (service 1).",
);

export const ConfigSchema = Type.Object(
  {
    data_dir: Type.String({
      minLength: 1,
      default: "./var",
      description:
        "Directory for the SQLite database, recordings and voicemail; relative to the working directory.",
    }),
    shutdown_timeout: Type.Number({
      minimum: 0,
      maximum: 3600,
      default: 3,
      description: "Seconds a stopping node waits for in-flight work before it closes connections.",
    }),
    log: LogSection,
    database: DatabaseSection,
    http: HttpSection,
    sip: SipSection,
    registrar: RegistrarSection,
    media: MediaSection,
    calls: CallsSection,
    recording: RecordingSection,
    trunks: Type.Array(TrunkEntry, {
      default: [],
      description: "SIP trunks to providers, as [[trunks]] tables; see docs/trunks.md.",
    }),
    voicemail: VoicemailSection,
    background_call: BackgroundCallSection,
    click_to_call: ClickToCallSection,
    portal: PortalSection,
    imap: ImapSection,
    smtp: SmtpSection,
    emergency: EmergencySection,
    cluster: ClusterSection,
    emergency_numbers: Type.Array(EmergencyNumberEntry, {
      default: [],
      description:
        "Emergency numbers of the config file, as [[emergency_numbers]] tables (read-only in the API); see docs/emergency.md.",
    }),
    phone_profiles: Type.Array(PhoneProfileEntry, {
      default: [],
      description:
        "Vendor forms of the emergency Alert-Info per phone model or user, as [[phone_profiles]] tables; see docs/emergency.md.",
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** Keys whose values are secrets; `parley config check` masks them. */
export const SECRET_KEYS: readonly string[] = [
  "database.url",
  "sip.nonce_secret",
  "trunks[].password",
  "recording.webhook_secret",
  "recording.s3_access_key_id",
  "recording.s3_secret_access_key",
  "voicemail.signature_server_token",
  "background_call.sms_webhook_token",
  "cluster.redis",
];

export type TrunkConfig = Static<typeof TrunkEntry>;
export type EmergencyNumberConfig = Static<typeof EmergencyNumberEntry>;
export type PhoneProfileConfig = Static<typeof PhoneProfileEntry>;
