import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { CreditControl } from "../billing/index.ts";
import type { CdrStore } from "../calls/index.ts";
import type { Config } from "../config/index.ts";
import { buildHttpServer } from "../http/index.ts";
import { type Clock, SystemClock, type TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import { createMetricsRegistry, type Registry } from "../kernel/metrics.ts";
import { MediaEngine } from "../media/index.ts";
import type { EmergencyService } from "../services/emergency/index.ts";
import {
  type RecordingFiles,
  RecordingRetention,
  RecordingService,
  RecordingWebhook,
  RingbackTones,
} from "../services/recording/index.ts";
import type { SipListenAddresses } from "../sip/index.ts";
import {
  LocalRecordingFiles,
  loadS3RecordingFiles,
  type S3RecordingFiles,
  SqlAccountStore,
  SqlCdrStore,
  SqlMerchantStore,
  SqlPortalSessionStore,
  SqlRecordingAuditLog,
  SqlRecordingStore,
  SqlRecordingSubscriptions,
  SqlRingbackToneStore,
} from "../storage/index.ts";
import { type BackgroundCallNode, startBackgroundCallNode } from "./background-call-node.ts";
import { type ClickToCallNode, startClickToCallNode } from "./click-to-call-node.ts";
import { type ClusterNode, startClusterNode } from "./cluster-node.ts";
import { startEmergencyNode } from "./emergency-node.ts";
import { ListenError } from "./errors.ts";
import { type OpenedDirectory, openDirectory } from "./open-directory.ts";
import { type SipNode, startSipNode } from "./sip-node.ts";
import { PARLEY_VERSION } from "./version.ts";
import { startVoicemailNode, type VoicemailNode } from "./voicemail-node.ts";

export interface ParleyNodeOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
}

export type ParleyNodeState = "New" | "Starting" | "Running" | "Stopping" | "Stopped";

/**
 * The composition root: builds every module from the configuration, starts them in dependency
 * order (storage → directory → HTTP) and stops them in reverse. Stopping first closes the
 * listeners, then waits up to `shutdown_timeout` seconds for in-flight requests, then closes
 * storage, so that nothing half-written is left behind.
 */
export class ParleyNode {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
  #state: ParleyNodeState = "New";
  #opened: OpenedDirectory | undefined;
  #http: FastifyInstance | undefined;
  #sip: SipNode | undefined;
  #media: MediaEngine | undefined;
  #cdrs: SqlCdrStore | undefined;
  #recording: RecordingService | undefined;
  #retention: RecordingRetention | undefined;
  #recordingFiles: LocalRecordingFiles | S3RecordingFiles | undefined;
  #voicemail: VoicemailNode | undefined;
  #backgroundCalls: BackgroundCallNode | undefined;
  #clickToCall: ClickToCallNode | undefined;
  #emergency: EmergencyService | undefined;
  #cluster: ClusterNode | undefined;

  constructor(options: ParleyNodeOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? new SystemClock();
    this.metrics = createMetricsRegistry();
  }

  get state(): ParleyNodeState {
    return this.#state;
  }

  /** The bound HTTP address; only while running. */
  get httpAddress(): AddressInfo {
    const address = this.#http?.server.address();
    if (!address || typeof address === "string") throw new Error("the HTTP server is not listening");
    return address;
  }

  /** The bound SIP addresses (UDP and TCP); only while running. */
  get sipAddresses(): SipListenAddresses {
    return this.#sip?.addresses ?? {};
  }

  /** The media engine (RTP ports are opened only when a call asks for them). */
  get media(): MediaEngine {
    if (!this.#media) throw new Error("the media engine is not running");
    return this.#media;
  }

  /** The recording service (service 1). */
  get recording(): RecordingService {
    if (!this.#recording) throw new Error("the recording service is not running");
    return this.#recording;
  }

  /** Where saved recordings are kept (recording.storage). */
  get recordingFiles(): RecordingFiles {
    if (!this.#recordingFiles) throw new Error("the recording service is not running");
    return this.#recordingFiles;
  }

  /** Voicemail (service 2) with its IMAP and SMTP servers. */
  get voicemail(): VoicemailNode {
    if (!this.#voicemail) throw new Error("voicemail is not running");
    return this.#voicemail;
  }

  /** Background calls (service 3); undefined when background_call.enabled is false. */
  get backgroundCalls(): BackgroundCallNode | undefined {
    return this.#backgroundCalls;
  }

  /** Click-to-call (service 4) with its accounts, rate plans and merchants. */
  /** Service 5 (emergency numbers, calls in progress, audit), once the node runs. */
  get emergency(): EmergencyService {
    if (!this.#emergency) throw new Error("the emergency service is not running");
    return this.#emergency;
  }

  get clickToCall(): ClickToCallNode {
    if (!this.#clickToCall) throw new Error("click-to-call is not running");
    return this.#clickToCall;
  }

  /** Call detail records (read side for the API, the CLI and tests). */
  get cdrs(): CdrStore {
    if (!this.#cdrs) throw new Error("storage is not open");
    return this.#cdrs;
  }

  /** This node's name in its cluster; undefined when it runs alone. */
  get nodeId(): string | undefined {
    return this.#cluster?.nodeId;
  }

  /** The SIP side (stack, registrar's location service), for modules that build on it. */
  get sip(): SipNode {
    if (!this.#sip) throw new Error("the SIP stack is not running");
    return this.#sip;
  }

  async start(): Promise<void> {
    if (this.#state !== "New") throw new Error(`start() in state ${this.#state}`);
    this.#state = "Starting";
    const { config, logger } = this;
    try {
      this.#opened = await openDirectory(config, { logger, clock: this.clock });
      const { database, directory, tokens } = this.#opened;
      logger.info({ backend: database.backend, domain: this.#opened.defaultDomain.name }, "storage ready");
      const cdrs = new SqlCdrStore(database.db);
      this.#cdrs = cdrs;
      const files = await recordingFiles(config);
      this.#recordingFiles = files;
      this.#cluster = await startClusterNode(config, this.clock, logger);
      // Calls that were in progress when this node last died get their records closed now; in a
      // cluster, the nodes also close those of nodes that die.
      const interrupted = await cdrs.completeInterrupted(this.#cluster?.nodeId);
      if (interrupted > 0) logger.warn({ calls: interrupted }, "call records of interrupted calls completed");
      this.#cluster?.watchDeadNodes(cdrs);
      // In a cluster, users' ring-back tones live in the database, where every node finds them.
      const sharedRingback = this.#cluster
        ? new SqlRingbackToneStore(database.db, () => this.clock.now())
        : undefined;
      // Click-to-call's stores exist before the HTTP server: the portal serves them.
      const accountStore = new SqlAccountStore(database.db);
      const credit = new CreditControl({
        store: accountStore,
        now: () => this.clock.now(),
      });
      const merchants = new SqlMerchantStore(database.db);
      this.#http = await buildHttpServer({
        logger,
        metrics: this.metrics,
        directory,
        tokens,
        version: PARLEY_VERSION,
        trustProxy: config.http.trust_proxy,
        registrations: { registrations: () => this.#sip?.location.all() ?? [], now: () => this.clock.now() },
        cdrs,
        calls: () => this.#sip?.calls,
        recordingControl: () => this.#recording,
        recordings: {
          store: new SqlRecordingStore(database.db),
          files,
          audit: new SqlRecordingAuditLog(database.db),
          clock: this.clock,
        },
        recordingSubscriptions: new SqlRecordingSubscriptions(database.db),
        ringbackTones: new RingbackTones({
          directory: join(config.data_dir, "ringback"),
          library: config.recording.ringback_library || BUNDLED_RINGBACK_LIBRARY,
          ...(sharedRingback ? { shared: sharedRingback } : {}),
        }),
        backgroundCalls: () => this.#backgroundCalls?.service,
        clickToCall: () => this.#clickToCall,
        emergency: () => this.#emergency,
        ...(config.click_to_call.widget_enabled
          ? {
              widget: {
                clock: this.clock,
                merchants,
                clickToCall: () => this.#clickToCall?.service,
                perAddress: {
                  calls: config.click_to_call.widget_calls_per_address,
                  windowSeconds: config.click_to_call.widget_window_seconds,
                },
                perNumber: {
                  calls: config.click_to_call.widget_calls_per_number,
                  windowSeconds: config.click_to_call.widget_window_seconds,
                },
              },
            }
          : {}),
        ...(config.portal.enabled
          ? {
              portal: {
                clock: this.clock,
                directory,
                sessions: new SqlPortalSessionStore(database.db),
                merchants,
                clickToCall: () => this.#clickToCall?.service,
                balances: {
                  balance: async (user: string) => {
                    const account = await credit.account(`member:${user}`).catch(() => undefined);
                    return (
                      account && { amount: account.balance - account.reserved, currency: account.currency }
                    );
                  },
                },
                adminUsers: config.portal.admin_users,
                admin: {
                  accounts: (query) => accountStore.listAccounts(query),
                  account: (id) => credit.account(id),
                  openAccount: (input) => credit.openAccount(input),
                  topUp: (id, input) => credit.topUp(id, input),
                  ledger: (id, query) => credit.ledger(id, query),
                  plans: () => accountStore.listPlans(),
                  plan: (id) => credit.plan(id),
                  savePlan: (plan) => credit.savePlan(plan),
                  merchants: (query) => merchants.list(query),
                  merchant: (id) => merchants.get(id),
                  saveMerchant: (merchant) => merchants.save(merchant),
                  listUsers: (query) => directory.listUsers(query),
                  listDomains: () => directory.listDomains(),
                  callsInProgress: async () => {
                    const control = this.#sip?.calls;
                    if (!control) return undefined;
                    return Promise.all(
                      control.calls.map(async (call) => {
                        const record = await cdrs.get(call.id).catch(() => undefined);
                        return {
                          id: call.id,
                          service: call.service,
                          from: call.from.uri.toString(),
                          dialled: call.dialled,
                          parties: call.parties.map((leg) => ({
                            id: leg.id,
                            direction: leg.direction,
                            state: leg.state,
                          })),
                          ...(record && { startedAt: record.startedAt }),
                        };
                      }),
                    );
                  },
                  cdrs: (query) => cdrs.list(query),
                },
                recording: { subscriptions: new SqlRecordingSubscriptions(database.db), directory },
                // Voicemail and background calls start after the HTTP server: read when a page asks.
                voicemail: () => this.#voicemail,
                backgroundCalls: () => this.#backgroundCalls?.service,
                emergency: () => this.#emergency,
                callHistory: cdrs,
                sessionIdleSeconds: config.portal.session_idle_seconds,
                sessionLifetimeSeconds: config.portal.session_lifetime_seconds,
              },
            }
          : {}),
        voicemail: () =>
          this.#voicemail && {
            service: this.#voicemail.service,
            store: this.#voicemail.store,
            signatures: this.#voicemail.signatures,
          },
        ready: async () => {
          if (this.#state !== "Running") throw new Error(`node is ${this.#state}`);
          await database.ping();
        },
      });
      await this.#http
        .listen({
          host: config.http.host,
          port: config.http.port,
          listenTextResolver: (address) => `http listening at ${address}`,
        })
        .catch((error: unknown) => {
          throw new ListenError("HTTP", "http.host, http.port", config.http.host, config.http.port, error);
        });
      this.#media = new MediaEngine({
        address: config.media.address,
        publicAddress: sdpAddress(config),
        portMin: config.media.rtp_port_min,
        portMax: config.media.rtp_port_max,
        rtpTimeoutMs: config.media.rtp_timeout * 1000,
        clock: this.clock,
        logger,
      });
      this.#sip = await startSipNode({
        ...(this.#cluster ? { cluster: this.#cluster } : {}),
        config,
        clock: this.clock,
        logger,
        metrics: this.metrics,
        database,
        directory,
        defaultDomain: this.#opened.defaultDomain.name,
        media: this.#media,
        cdrs,
        messageWaiting: {
          unsolicited: config.voicemail.mwi_unsolicited,
          minExpires: config.voicemail.mwi_min_expires,
          maxExpires: config.voicemail.mwi_max_expires,
          defaultExpires: config.voicemail.mwi_default_expires,
        },
        messageSummary: async (aor) => this.#voicemail?.summary(aor),
      });
      await this.#cluster?.mirrorJournal(this.#sip.calls.journal);
      this.#recording = new RecordingService({
        store: new SqlRecordingStore(database.db),
        subscriptions: new SqlRecordingSubscriptions(database.db),
        directory: config.recording.dir,
        files,
        clock: this.clock,
        logger,
        announceAll: config.recording.announcement,
        forcedNumbers: config.recording.force_for_numbers,
        ringbackDir: join(config.data_dir, "ringback"),
        ...(sharedRingback ? { sharedRingback } : {}),
        pauseMode: (domain) =>
          (domain === undefined ? undefined : config.recording.pause_mode_by_domain[domain]) ??
          config.recording.pause_mode,
      });
      if (config.recording.webhook_url !== "") {
        const webhook = new RecordingWebhook({
          url: config.recording.webhook_url,
          secret: config.recording.webhook_secret,
          clock: this.clock,
          logger,
        });
        this.#recording.on("event", (event) => webhook.deliver(event));
      }
      await this.#recording.recoverInterrupted();
      this.#retention = new RecordingRetention({
        store: this.#recording.store,
        files,
        clock: this.clock,
        logger,
        days: config.recording.retention_days,
        daysByDomain: config.recording.retention_days_by_domain,
      });
      const retention = this.#retention;
      if (this.#cluster)
        this.#cluster.leadership.join("recording-retention", {
          lead: () => retention.start(),
          follow: () => retention.stop(),
        });
      else retention.start();
      this.#sip.calls.register(this.#recording.module);
      this.#emergency = await startEmergencyNode({
        config,
        clock: this.clock,
        logger,
        database,
        subscribers: this.#sip.subscribers,
        calls: this.#sip.calls,
        defaultDomain: this.#opened.defaultDomain.name,
      });
      this.#voicemail = await startVoicemailNode({
        config,
        clock: this.clock,
        logger,
        database,
        directory,
        defaultDomain: this.#opened.defaultDomain.name,
        calls: this.#sip.calls,
        messageWaiting: this.#cluster
          ? await this.#cluster.messageWaiting(this.#sip.messageWaiting)
          : this.#sip.messageWaiting,
        ...(this.#cluster ? { leadership: this.#cluster.leadership } : {}),
      });
      this.#clickToCall = startClickToCallNode({
        config,
        clock: this.clock,
        logger,
        subscribers: this.#sip.subscribers,
        calls: this.#sip.calls,
        cdrs,
        credit,
        merchants,
      });
      this.#backgroundCalls = await startBackgroundCallNode({
        config,
        clock: this.clock,
        logger,
        database,
        subscribers: this.#sip.subscribers,
        calls: this.#sip.calls,
        messaging: this.#sip.messaging,
        defaultDomain: this.#opened.defaultDomain.name,
        ...(this.#cluster ? { leadership: this.#cluster.leadership } : {}),
      });
      if (this.#cluster) {
        const registrations = this.#sip.trunkRegistrations;
        this.#cluster.leadership.join("trunk-registrations", {
          lead: () => {
            for (const registration of registrations) registration.start();
          },
          follow: () => {
            for (const registration of registrations) registration.stop();
          },
        });
      }
      const { address, port } = this.httpAddress;
      this.#state = "Running";
      const sip = {
        udp: this.#sip.addresses.udp?.port,
        tcp: this.#sip.addresses.tcp?.port,
        tls: this.#sip.addresses.tls?.port,
        ws: this.#sip.addresses.ws?.port,
      };
      logger.info({ http: { address, port }, sip, version: PARLEY_VERSION }, "parley running");
    } catch (error) {
      await this.#http?.close().catch(() => {});
      await this.#release();
      this.#state = "Stopped";
      throw error;
    }
  }

  /** Graceful stop; a second call waits for the first. */
  async stop(): Promise<void> {
    if (this.#state === "Stopped" || this.#state === "Stopping") return;
    this.#state = "Stopping";
    this.logger.info({ timeoutSeconds: this.config.shutdown_timeout }, "stopping");
    const http = this.#http;
    if (http) {
      const graceMs = this.config.shutdown_timeout * 1000;
      let timer: TimerHandle | undefined;
      const expired = new Promise<false>((resolve) => {
        timer = this.clock.setTimer(graceMs, () => resolve(false));
      });
      const drained = await Promise.race([http.close().then(() => true as const), expired]);
      timer?.cancel();
      if (!drained) {
        this.logger.warn("in-flight requests did not finish in time; closing their connections");
        http.server.closeAllConnections();
      }
    }
    await this.#release();
    this.#state = "Stopped";
    this.logger.info("stopped");
  }

  async #release(): Promise<void> {
    this.#retention?.stop();
    this.#emergency?.stop();
    this.#backgroundCalls?.stop();
    await this.#voicemail?.stop();
    await this.#sip?.stop();
    await this.#cluster?.close();
    this.#media?.close();
    await this.#drainRecordings();
    if (this.#recordingFiles && "close" in this.#recordingFiles) this.#recordingFiles.close();
    await this.#opened?.database.close();
  }

  /**
   * Recordings of the calls that just ended are archived and their rows written before the
   * database closes, for up to shutdown_timeout seconds; what is left then is completed by
   * recoverInterrupted at the next start.
   */
  async #drainRecordings(): Promise<void> {
    const recording = this.#recording;
    if (!recording) return;
    let timer: TimerHandle | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = this.clock.setTimer(this.config.shutdown_timeout * 1000, () => resolve(false));
    });
    const drained = await Promise.race([recording.drain().then(() => true as const), expired]);
    timer?.cancel();
    if (!drained)
      this.logger.warn("recordings still being archived at shutdown; the next start completes them");
  }
}

/** recording.storage: the local disk (recording.dir), or an S3 bucket. */
async function recordingFiles(config: Config): Promise<LocalRecordingFiles | S3RecordingFiles> {
  const r = config.recording;
  if (r.storage === "local") return new LocalRecordingFiles({ directory: r.dir });
  return loadS3RecordingFiles({
    bucket: r.s3_bucket,
    prefix: r.s3_prefix,
    endpoint: r.s3_endpoint,
    region: r.s3_region,
    accessKeyId: r.s3_access_key_id,
    secretAccessKey: r.s3_secret_access_key,
    forcePathStyle: r.s3_force_path_style,
    directory: r.dir,
  });
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/**
 * The address written in SDP: media.public_address, else a concrete media.address, else the
 * address phones reach SIP at (sip.advertised_address, a concrete sip.host), else loopback.
 */
function sdpAddress(config: Config): string {
  if (config.media.public_address) return config.media.public_address;
  if (!WILDCARDS.has(config.media.address)) return config.media.address;
  if (config.sip.advertised_address) return config.sip.advertised_address;
  if (!WILDCARDS.has(config.sip.host)) return config.sip.host;
  return "127.0.0.1";
}

/** The ring-back tones shipped in assets/ringback (scripts/generate-ringback-library.ts makes them). */
const BUNDLED_RINGBACK_LIBRARY = fileURLToPath(new URL("../../assets/ringback/", import.meta.url));
