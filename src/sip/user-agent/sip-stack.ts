import type { Registry } from "prom-client";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { SipParseLimits } from "../messages/index.ts";
import { type TimerSettings, TransactionLayer } from "../transactions/index.ts";
import { type RemoteAddress, type SipListenAddresses, SipTransportLayer } from "../transports/index.ts";
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
}

/**
 * The SIP stack assembled bottom-up (RFC 3261 §5): transports → transactions → the user-agent
 * core, which modules above (registrar, call control) extend with method handlers.
 */
export class SipStack {
  readonly core: UserAgentCore;
  readonly transactions: TransactionLayer;
  readonly transports: SipTransportLayer;

  constructor(options: SipStackOptions) {
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

  start(): Promise<SipListenAddresses> {
    return this.transports.start();
  }

  async stop(): Promise<void> {
    this.transactions.dispose();
    await this.transports.close();
  }
}
