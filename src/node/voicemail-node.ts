import { hostname } from "node:os";
import { join } from "node:path";
import type { CallControl } from "../calls/index.ts";
import type { LeadershipRole } from "../cluster/index.ts";
import type { Config } from "../config/index.ts";
import type { SubscriberDirectory } from "../directory/index.ts";
import { ImapServer } from "../imap/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import {
  type MessageWaitingSink,
  SignatureLookup,
  signatureServerClient,
  VoicemailService,
} from "../services/voicemail/index.ts";
import type { MessageSummary } from "../sip/index.ts";
import { SmtpOutbox, SmtpReceiver, SmtpSender } from "../smtp/index.ts";
import {
  type SqlDatabase,
  SqlMailboxSettingsStore,
  SqlOutboxStore,
  SqlSignatureStore,
  SqlVoicemailStore,
} from "../storage/index.ts";
import { ListenError, StartError } from "./errors.ts";
import { readPem } from "./read-pem.ts";

export interface VoicemailNodeDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  database: SqlDatabase;
  directory: SubscriberDirectory;
  defaultDomain: string;
  calls: CallControl;
  messageWaiting?: { update(aor: string, summary: MessageSummary | undefined): void };
  /**
   * In a cluster: the SMTP outbox's pending messages (left by a restart or a dead node) are
   * resumed by the node that leads "smtp-outbox" only; each node still sends what it enqueues.
   */
  leadership?: { join(name: string, role: LeadershipRole): void };
}

/** Service 2 on a node: the voicemail service, its IMAP4rev1 server and its SMTP receiver and outbox. */
export interface VoicemailNode {
  service: VoicemailService;
  store: SqlVoicemailStore;
  signatures: SqlSignatureStore;
  imap: ImapServer | undefined;
  smtp: SmtpReceiver | undefined;
  outbox: SmtpOutbox;
  /** The lamp counts of an AOR ("sip:alice@example.com"), for the initial NOTIFY of a subscription. */
  summary(aor: string): Promise<MessageSummary | undefined>;
  stop(): Promise<void>;
}

/**
 * Builds voicemail: SQL mailboxes shared by the service and the IMAP server, signatures (local,
 * or from the signature server), delivery to other servers through a durable SMTP outbox, the
 * SMTP receiver for peers, and message-waiting lamps fed by every mailbox change.
 */
export async function startVoicemailNode(deps: VoicemailNodeDeps): Promise<VoicemailNode> {
  const { config, clock, logger, database, directory } = deps;
  const vm = config.voicemail;
  const now = () => clock.now();
  const store = new SqlVoicemailStore(database.db, { now });
  const settings = new SqlMailboxSettingsStore(database.db);
  const signatures = new SqlSignatureStore(database.db, { now });
  const log = logger.child({ service: "voicemail" });
  const isLocalDomain = async (domain: string) =>
    (await directory.findDomain(domain).catch(() => undefined)) !== undefined;
  const userExists = async (user: string) => {
    const at = user.lastIndexOf("@");
    if (at <= 0) return false;
    return (
      (await directory.findUser(user.slice(0, at), user.slice(at + 1)).catch(() => undefined)) !== undefined
    );
  };
  const lookup = new SignatureLookup({
    store: signatures,
    clock,
    logger: log,
    ...(vm.signature_server_url === ""
      ? {}
      : {
          remote: {
            fetch: signatureServerClient({
              url: vm.signature_server_url,
              token: vm.signature_server_token,
              ...(vm.signature_server_ca === ""
                ? {}
                : { ca: readPem(vm.signature_server_ca, "voicemail.signature_server_ca") }),
            }),
            cacheSeconds: vm.signature_cache_seconds,
          },
        }),
  });
  const smtp = config.smtp;
  const sender = new SmtpSender({
    clientName: hostname(),
    peers: smtp.peers.map((peer) => ({
      domain: peer.domain,
      host: peer.host,
      port: peer.port,
      tls: peer.tls,
      rejectUnauthorized: peer.reject_unauthorized,
    })),
    ...(smtp.relay_host === ""
      ? {}
      : { relay: { host: smtp.relay_host, port: smtp.relay_port, tls: smtp.relay_tls } }),
    logger: log,
  });
  let service: VoicemailService | undefined;
  const outbox = new SmtpOutbox({
    clock,
    store: new SqlOutboxStore(database.db),
    send: (message) => sender.send(message),
    retryDelaysMs: smtp.retry_delays.map((s) => s * 1000),
    onUndeliverable: (item, failures) => service?.delivery.undeliverable(item, failures),
    logger: log,
  });
  const sink: MessageWaitingSink | undefined = deps.messageWaiting && {
    update: (aor, counts) => deps.messageWaiting?.update(aor, counts && toSummary(aor, counts)),
  };
  service = new VoicemailService({
    store,
    settings,
    signatures: lookup,
    relay: outbox,
    ...(sink ? { messageWaiting: sink } : {}),
    isLocalDomain,
    userExists,
    defaultDomain: deps.defaultDomain,
    dir: join(config.data_dir, "voicemail"),
    enabled: vm.enabled,
    divertOn: vm.divert_on,
    maxMessageSeconds: vm.max_message_seconds,
    minMessageSeconds: vm.min_message_seconds,
    maxMessages: vm.max_messages,
    silenceSeconds: vm.silence_seconds,
    ownBoxCode: vm.own_box_code,
    anyBoxCode: vm.any_box_code,
    notifyFrom: vm.notify_from,
    clock,
    logger: log,
  });
  const voicemail = service;
  await voicemail.start();
  if (deps.leadership) {
    let resumed = false;
    deps.leadership.join("smtp-outbox", {
      lead: () => {
        if (resumed) return;
        resumed = true;
        outbox.start().catch((error: unknown) => log.error({ err: error }, "SMTP outbox not resumed"));
      },
      follow: () => {},
    });
  } else await outbox.start();
  deps.calls.register(voicemail.module);

  let receiver: SmtpReceiver | undefined;
  if (smtp.enabled) {
    receiver = new SmtpReceiver({
      host: smtp.host,
      port: smtp.port,
      serverName: hostname(),
      domains: () => true,
      allowFrom: smtp.allow_from,
      ...(tlsOf(smtp.tls_cert, smtp.tls_key, "smtp") ?? {}),
      maxMessageBytes: smtp.max_message_bytes,
      onRecipient: async (address) =>
        (await isLocalDomain(address.slice(address.lastIndexOf("@") + 1))) &&
        (await userExists(address.toLowerCase())),
      onMessage: (envelope, raw) => voicemail.delivery.receive(envelope, raw),
      logger: log,
    });
    await receiver.listen().catch((error: unknown) => {
      throw new ListenError("SMTP", "smtp.host, smtp.port", smtp.host, smtp.port, error);
    });
  }

  let imap: ImapServer | undefined;
  const i = config.imap;
  if (i.enabled) {
    imap = new ImapServer({
      store,
      login: {
        verify: async (username: string, password: string) => {
          const at = username.lastIndexOf("@");
          const extension = at > 0 ? username.slice(0, at) : username;
          const domain = at > 0 ? username.slice(at + 1).toLowerCase() : deps.defaultDomain;
          const user = await directory.verifyWebPassword(extension, password, domain).catch(() => undefined);
          return user ? `${user.extension}@${domain}`.toLowerCase() : undefined;
        },
      },
      clock,
      logger: logger.child({ service: "imap" }),
      host: i.host,
      port: i.port,
      ...(tlsOf(i.tls_cert, i.tls_key, "imap") ?? {}),
      maxCommandBytes: i.max_command_bytes,
      loginRateLimit: { failures: i.login_failures, windowMs: i.login_window_seconds * 1000 },
    });
    await imap.listen().catch((error: unknown) => {
      throw new ListenError("IMAP", "imap.host, imap.port", i.host, i.port, error);
    });
  }

  return {
    service: voicemail,
    store,
    signatures,
    imap,
    smtp: receiver,
    outbox,
    async summary(aor) {
      const user = aor.replace(/^sips?:/, "").toLowerCase();
      const counts = await voicemail.counts(user);
      return counts && toSummary(aor, counts);
    },
    async stop() {
      voicemail.stop();
      await imap?.close();
      await receiver?.close();
      await outbox.close();
    },
  };
}

function toSummary(
  aor: string,
  c: { newMessages: number; oldMessages: number; urgentNew: number; urgentOld: number },
): MessageSummary {
  return {
    new: c.newMessages,
    old: c.oldMessages,
    urgentNew: c.urgentNew,
    urgentOld: c.urgentOld,
    account: aor,
  };
}

function tlsOf(
  cert: string,
  key: string,
  section: string,
): { tls: { cert: Buffer; key: Buffer } } | undefined {
  if (cert === "" && key === "") return undefined;
  if (cert === "" || key === "")
    throw new StartError(`${section}.tls_cert and ${section}.tls_key go together`);
  return { tls: { cert: readPem(cert, `${section}.tls_cert`), key: readPem(key, `${section}.tls_key`) } };
}
