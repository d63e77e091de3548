import type { Registry } from "prom-client";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { SipParseLimits, SipRequest, SipResponse } from "../messages/index.ts";
import { type ServerInviteTransaction, type TimerSettings, TransactionLayer } from "../transactions/index.ts";
import { type RemoteAddress, type SipListenAddresses, SipTransportLayer } from "../transports/index.ts";
import { IncomingInvite } from "./incoming-invite.ts";
import { LocalAddress } from "./local-address.ts";
import { OutgoingInvite, type OutgoingInviteOptions } from "./outgoing-invite.ts";
import { requestFinal, type SessionContext } from "./session-context.ts";
import { UserAgentCore } from "./user-agent-core.ts";

export interface SipStackOptions {
  host: string;
  /** UDP and TCP port (0 picks a free one; TCP then takes the same number). */
  port: number;
  limits: SipParseLimits;
  timers: TimerSettings;
  idleTimeoutMs: number;
  maxConnections?: number;
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
  product: string;
  /** SIP over WebSocket (RFC 7118), when given. */
  wsPort?: number;
  /** SIP over TLS, when a certificate is configured. */
  tls?: { port: number; key: Buffer; cert: Buffer };
  /** See SipTransportLayerOptions.admit. */
  admit?: (source: RemoteAddress) => boolean;
  /** Host written in Via and Contact (sip.advertised_address); default: `host`, or 127.0.0.1 for a wildcard. */
  advertisedHost?: string;
}

/**
 * The SIP stack assembled bottom-up (RFC 3261 §5): transports → transactions → the user-agent
 * core, which modules above (registrar, call control) extend with method handlers.
 */
export class SipStack {
  readonly core: UserAgentCore;
  readonly transactions: TransactionLayer;
  readonly transports: SipTransportLayer;
  readonly #options: SipStackOptions;
  #local: LocalAddress | undefined;
  #context: SessionContext | undefined;

  constructor(options: SipStackOptions) {
    this.#options = options;
    this.core = new UserAgentCore({ logger: options.logger, supported: ["path"], product: options.product });
    this.transactions = new TransactionLayer({
      clock: options.clock,
      timers: options.timers,
      logger: options.logger,
      user: this.core,
    });
    this.core.attach(this.transactions);
    const transactions = this.transactions;
    const core = this.core;
    this.transports = new SipTransportLayer({
      host: options.host,
      udpPort: options.port,
      tcpPort: options.port,
      tls: options.tls,
      wsPort: options.wsPort,
      limits: options.limits,
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnections: options.maxConnections,
      clock: options.clock,
      logger: options.logger,
      metrics: options.metrics,
      admit: options.admit,
      user: {
        receiveRequest: (request, reply) => transactions.receiveRequest(request, reply),
        receiveResponse: (response) => transactions.receiveResponse(response),
        receiveInvalidRequest: (partial, error, reply) => core.receiveInvalidRequest(partial, error, reply),
      },
    });
  }

  async start(): Promise<SipListenAddresses> {
    const addresses = await this.transports.start();
    const bound = this.#options.host;
    const host =
      this.#options.advertisedHost || (bound === "0.0.0.0" || bound === "::" ? "127.0.0.1" : bound);
    this.#local = new LocalAddress(host, addresses);
    return addresses;
  }

  /** What Parley writes about itself in Via and Contact (known once the listeners are bound). */
  get local(): LocalAddress {
    if (!this.#local) throw new Error("SipStack.start() has not finished");
    return this.#local;
  }

  /** New INVITEs (no To tag) go to `handler` as IncomingInvite objects. */
  onInvite(handler: (invite: IncomingInvite) => void): void {
    this.core.handle("INVITE", (request: SipRequest, transaction) => {
      handler(new IncomingInvite(this.#sessionContext(), request, transaction as ServerInviteTransaction));
    });
  }

  /** An INVITE to send; call `start()` on it after adding listeners. */
  invite(options: OutgoingInviteOptions, callId?: string): OutgoingInvite {
    return new OutgoingInvite(this.#sessionContext(), options, callId);
  }

  /** Sends a non-INVITE request outside a dialog (MESSAGE, OPTIONS, REGISTER to a trunk). */
  request(request: SipRequest, target: RemoteAddress): Promise<SipResponse> {
    if (!request.headers.has("via")) request.headers.prepend("Via", this.local.via(target));
    return requestFinal(this.#sessionContext(), request, target);
  }

  #sessionContext(): SessionContext {
    this.#context ??= {
      core: this.core,
      transactions: this.transactions,
      transports: this.transports,
      local: this.local,
      clock: this.#options.clock,
      logger: this.#options.logger,
      timers: this.#options.timers,
      product: this.#options.product,
    };
    return this.#context;
  }

  async stop(): Promise<void> {
    this.transactions.dispose();
    await this.transports.close();
  }
}
