import { isIP } from "node:net";
import { fileURLToPath } from "node:url";
import {
  CallControl,
  type CallPresence,
  CallRouter,
  type CdrStore,
  type MessageSummaryLookup,
  MessageWaitingIndicator,
  type MessageWaitingSettings,
  type Subscribers,
  TextMessaging,
  Trunk,
  TrunkRegistration,
} from "../calls/index.ts";
import type { Config } from "../config/index.ts";
import type { SubscriberDirectory } from "../directory/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { Registry } from "../kernel/metrics.ts";
import type { MediaEngine } from "../media/index.ts";
import {
  AuthFailureBan,
  type BindingFeed,
  type BindingStore,
  LocationService,
  Registrar,
  type SubscriberLookup,
} from "../registrar/index.ts";
import { DigestChallenger, type SipListenAddresses, SipStack } from "../sip/index.ts";
import { SqlBindingStore, type SqlDatabase } from "../storage/index.ts";
import { ListenError, StartError } from "./errors.ts";
import { readPem } from "./read-pem.ts";
import { PARLEY_VERSION } from "./version.ts";

export interface SipNodeDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  database: SqlDatabase;
  directory: SubscriberDirectory;
  defaultDomain: string;
  media: MediaEngine;
  cdrs?: CdrStore;
  /** Message-waiting indication (RFC 3842) settings; defaults in MessageWaitingIndicator. */
  messageWaiting?: MessageWaitingSettings;
  /** The counts behind a subscription's first NOTIFY (voicemail's, once it runs). */
  messageSummary?: MessageSummaryLookup;
  /** In a cluster (cluster.redis): registrations and call presence shared with the other nodes. */
  cluster?: { bindings: BindingStore & BindingFeed; presence: CallPresence };
}

/** The SIP side of a node: the stack, the registrar and what they share. */
export interface SipNode {
  stack: SipStack;
  location: LocationService;
  calls: CallControl;
  /** message-summary subscriptions and NOTIFYs (RFC 3842): `update(aor, summary)` lights the lamps. */
  messageWaiting: MessageWaitingIndicator;
  /** SIP MESSAGE (RFC 3428): `send(aor, text)` to a user's phones, `onText(handler)` for texts from them. */
  messaging: TextMessaging;
  /** Users as call control sees them (by extension or number), for the services' look-ups. */
  subscribers: Subscribers;
  /** Registrations with trunks that have `register = true`. */
  trunkRegistrations: TrunkRegistration[];
  addresses: SipListenAddresses;
  stop(): Promise<void>;
}

/**
 * Builds and starts the SIP stack with the registrar on it: bindings are loaded from the
 * database before the listeners open, digest credentials come from the subscriber directory,
 * and a banned source is dropped before its messages are even parsed.
 */
export async function startSipNode(deps: SipNodeDeps): Promise<SipNode> {
  const { config, clock, logger, metrics, directory } = deps;
  const ban = new AuthFailureBan({
    clock,
    logger,
    metrics,
    maxFailures: config.sip.auth_ban_failures,
    windowSeconds: config.sip.auth_ban_window,
    banSeconds: config.sip.auth_ban_time,
  });
  const stack = new SipStack({
    host: config.sip.host,
    port: config.sip.port,
    limits: {
      maxMessageBytes: config.sip.max_message_bytes,
      maxHeaderCount: config.sip.max_headers,
      maxLineBytes: config.sip.max_line_bytes,
    },
    timers: { t1: config.sip.t1, t2: config.sip.t2, t4: config.sip.t4 },
    idleTimeoutMs: config.sip.tcp_idle_timeout * 1000,
    maxConnections: config.sip.max_connections,
    clock,
    logger,
    metrics,
    product: `Parley/${PARLEY_VERSION}`,
    admit: (source) => !ban.isBanned(source.address),
    wsPort: config.sip.ws_port,
    advertisedHost: config.sip.advertised_address,
    ...(config.sip.tls_cert === ""
      ? {}
      : {
          tls: {
            port: config.sip.tls_port,
            cert: readPem(config.sip.tls_cert, "sip.tls_cert"),
            key: readPem(config.sip.tls_key, "sip.tls_key"),
          },
        }),
  });
  const location = new LocationService({
    store: deps.cluster?.bindings ?? new SqlBindingStore(deps.database.db),
    ...(deps.cluster ? { feed: deps.cluster.bindings } : {}),
    clock,
    logger,
    persistence: config.registrar.persistence,
  });
  // Domains change rarely and are asked for on every REGISTER: remember the answer for a minute.
  const domainCache = new Map<string, { domain: string | undefined; until: number }>();
  const subscribers: SubscriberLookup = {
    // A host that names a configured domain is that domain; an IP address or "localhost" (phones
    // set up with the server's address) means the default domain.
    domainFor: async (host) => {
      const cached = domainCache.get(host);
      if (cached && cached.until > clock.monotonic()) return cached.domain;
      const found = await directory.findDomain(host);
      const bare = host.replace(/^\[|\]$/g, "");
      const domain = found
        ? found.name
        : isIP(bare) !== 0 || bare === "localhost"
          ? deps.defaultDomain
          : undefined;
      if (domainCache.size > 10_000) domainCache.clear();
      domainCache.set(host, { domain, until: clock.monotonic() + 60_000 });
      return domain;
    },
  };
  const challenger = new DigestChallenger({
    clock,
    credentials: { lookup: (username, realm) => directory.digestCredentials(username, realm) },
    nonceLifetime: config.sip.nonce_lifetime,
    algorithms: config.sip.digest_algorithms,
    ...(config.sip.nonce_secret === "" ? {} : { secret: Buffer.from(config.sip.nonce_secret, "utf8") }),
  });
  const registrar = new Registrar({
    core: stack.core,
    location,
    challenger,
    subscribers,
    ban,
    clock,
    logger,
    minExpires: config.registrar.min_expires,
    maxExpires: config.registrar.max_expires,
    defaultExpires: config.registrar.default_expires,
  });
  stack.core.handle("REGISTER", (request, transaction) => registrar.handle(request, transaction));
  const messageWaiting = new MessageWaitingIndicator({
    ...deps.messageWaiting,
    ...(deps.messageSummary ? { lookup: deps.messageSummary } : {}),
    stack,
    challenger,
    subscribers,
    location,
    ban,
    clock,
    logger,
    metrics,
  });
  stack.core.handle("SUBSCRIBE", (request, transaction) => messageWaiting.handle(request, transaction));
  const subscriberView: Subscribers = {
    byExtension: async (extension, domain) => {
      const user = await directory.findUser(extension, domain).catch(() => undefined);
      return (
        user && {
          extension: user.extension,
          domain,
          displayName: user.displayName,
          phoneNumbers: user.phoneNumbers,
          features: { ...user.features },
        }
      );
    },
    byNumber: async (number) => {
      const found = await directory.findUserByNumber(number);
      return (
        found && {
          extension: found.user.extension,
          domain: found.domain,
          displayName: found.user.displayName,
          phoneNumbers: found.user.phoneNumbers,
          features: { ...found.user.features },
        }
      );
    },
  };
  const messaging = new TextMessaging({
    stack,
    challenger,
    subscribers,
    users: subscriberView,
    location,
    ban,
    clock,
    logger,
    metrics,
  });
  stack.core.handle("MESSAGE", (request, transaction) => messaging.handle(request, transaction));
  const trunks = config.trunks.map(
    (t) =>
      new Trunk({
        name: t.name,
        host: t.host,
        port: t.port,
        transport: t.transport,
        username: t.username,
        password: t.password,
        register: t.register,
        registerExpires: t.register_expires,
        prefixes: t.prefixes,
        strip: t.strip,
        prepend: t.prepend,
        callerId: t.caller_id,
        fromDomain: t.from_domain,
      }),
  );
  for (const [index, trunk] of trunks.entries()) {
    await trunk.resolve().catch((error: unknown) => {
      throw new StartError(
        `cannot resolve trunks[${index}].host ${trunk.settings.host}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    });
  }
  const calls = new CallControl({
    stack,
    engine: deps.media,
    router: new CallRouter({
      location,
      subscribers: subscriberView,
      defaultDomain: deps.defaultDomain,
      trunks,
    }),
    challenger,
    ban,
    clock,
    logger,
    noAnswerTimeout: config.calls.no_answer_timeout,
    callWaiting: config.calls.call_waiting,
    promptsDir: config.media.prompts_dir || BUNDLED_PROMPTS,
    featureCodes: config.calls.feature_codes,
    sessionTimer: config.calls.session_timer,
    ...(config.calls.normal_alert_info ? { normalAlertInfo: config.calls.normal_alert_info } : {}),
    ...(deps.cluster ? { presence: deps.cluster.presence } : {}),
    metrics,
    ...(deps.cdrs ? { cdrs: deps.cdrs } : {}),
  });
  const restored = await location.start();
  if (restored > 0) logger.info({ bindings: restored }, "registrations restored");
  const addresses = await stack.start().catch((error: unknown) => {
    throw new ListenError(
      "SIP",
      "sip.host, sip.port, sip.tls_port, sip.ws_port",
      config.sip.host,
      config.sip.port,
      error,
    );
  });
  calls.start();
  const registrations = trunks
    .filter((trunk) => trunk.settings.register)
    .map((trunk) => new TrunkRegistration({ trunk, stack, clock, logger }));
  // In a cluster one node registers to the trunks (the one that leads "trunk-registrations").
  if (!deps.cluster) for (const registration of registrations) registration.start();
  return {
    stack,
    location,
    calls,
    messageWaiting,
    messaging,
    subscribers: subscriberView,
    addresses,
    trunkRegistrations: registrations,
    async stop() {
      for (const registration of registrations) registration.stop();
      await messageWaiting.close();
      messaging.close();
      await calls.stop();
      await stack.stop();
      await location.stop();
    },
  };
}

/** The English prompts shipped in assets/prompts (generated by scripts/generate-prompts.sh). */
const BUNDLED_PROMPTS = fileURLToPath(new URL("../../assets/prompts/", import.meta.url));
