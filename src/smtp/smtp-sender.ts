import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import type { Logger } from "../kernel/log.ts";
import {
  type DeliveryReport,
  enhancedStatus,
  type OutgoingMessage,
  type RecipientFailure,
} from "./delivery-report.ts";
import { SmtpConfigError, SmtpStateError } from "./errors.ts";

/**
 * How to secure the connection to a peer: `starttls` insists on STARTTLS (RFC 3207) and fails when
 * the peer does not offer it, `implicit` speaks TLS from the first byte (RFC 8314 §3.3, port 465
 * style), `none` sends in the clear (for a peer on a private link).
 */
export type PeerTls = "starttls" | "none" | "implicit";

/** Where mail for one domain goes. */
export interface SmtpPeerRoute {
  /** The recipient domain, matched case-insensitively and exactly (no sub-domains). */
  domain: string;
  host: string;
  port: number;
  tls: PeerTls;
  /** Verify the peer's certificate (default true); false for a peer with a self-signed one. */
  rejectUnauthorized?: boolean;
  /** Extra trust anchors (PEM) for the peer's certificate. */
  ca?: string | Buffer;
}

/** The smart host for everything no peer route covers (e-mail notifications to ordinary mailboxes). */
export type SmtpRelayRoute = Omit<SmtpPeerRoute, "domain"> & { auth?: { user: string; pass: string } };

export interface SmtpSenderOptions {
  /** The name this server gives in EHLO (RFC 5321 §4.1.1.1), normally its host name. */
  clientName: string;
  /** Routes per recipient domain. There is no MX lookup: operators list their peers. */
  peers: readonly SmtpPeerRoute[];
  /** Where every other domain goes; without it such recipients fail permanently (5.4.4). */
  relay?: SmtpRelayRoute;
  logger: Logger;
  /** Time to wait for the TCP connection (default 30 s). */
  connectionTimeoutMs?: number;
  /** Time to wait for the greeting (default 30 s). */
  greetingTimeoutMs?: number;
  /** Idle time on an open connection before giving up (default 5 min, RFC 5321 §4.5.3.2 waits up to 10). */
  socketTimeoutMs?: number;
}

type RouteKey = string;

interface Route {
  key: RouteKey;
  host: string;
  transport: Mail<SMTPTransport.SentMessageInfo>;
}

/** What nodemailer attaches to a failed send (NodemailerError, seen structurally). */
interface SendError {
  message?: string;
  code?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  rejectedErrors?: SendError[];
  recipient?: string;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: multi-line replies become one line
  return text.replace(/[\u0000-\u001f]+/g, " ").trim();
}

function replyFailure(recipient: string, error: SendError, remoteMta: string): RecipientFailure {
  const code = error.responseCode;
  const reply = error.response === undefined ? undefined : oneLine(error.response);
  const permanent = error.permanent ?? (code !== undefined && code >= 500);
  const failure: RecipientFailure = {
    recipient,
    permanent,
    status: enhancedStatus(reply, code, permanent),
    reason:
      reply !== undefined
        ? `${remoteMta} answered ${reply}`
        : `${remoteMta}: ${oneLine(error.message ?? String(error.code ?? "delivery failed"))}`,
    remoteMta,
  };
  if (code !== undefined) failure.responseCode = code;
  if (reply !== undefined) failure.reply = reply;
  return failure;
}

/**
 * Hands messages to peer Parley servers (and to a relay) over SMTP with nodemailer's SMTP
 * transport, sending the raw bytes unchanged (nodemailer's `raw` option) under the given envelope.
 * The peer for each recipient comes from the `peers` route table by recipient domain; there is no
 * DNS MX lookup (RFC 5321 §5.1), so operators configure their peers. Recipients on one route share
 * one SMTP transaction; routes are tried in parallel.
 *
 * Each recipient comes back accepted or failed; a failure is permanent for a 5xx reply
 * (RFC 5321 §4.2.1 "Permanent Negative Completion") and temporary for a 4xx reply, a connection
 * that could not be made or broke, a timeout or a TLS failure (§4.5.4.1: the sender keeps the
 * message and retries).
 */
export class SmtpSender {
  readonly #options: SmtpSenderOptions;
  readonly #routes = new Map<RouteKey, Route>();
  readonly #peerByDomain = new Map<string, SmtpPeerRoute>();
  readonly #log: Logger;
  #closed = false;

  constructor(options: SmtpSenderOptions) {
    for (const peer of options.peers) {
      if (
        peer.domain.length === 0 ||
        peer.host.length === 0 ||
        !Number.isInteger(peer.port) ||
        peer.port <= 0
      ) {
        throw new SmtpConfigError(`peer route ${JSON.stringify(peer)} needs a domain, a host and a port`);
      }
      const domain = peer.domain.toLowerCase();
      if (this.#peerByDomain.has(domain)) throw new SmtpConfigError(`two peer routes for domain ${domain}`);
      this.#peerByDomain.set(domain, peer);
    }
    this.#options = options;
    this.#log = options.logger.child({ component: "smtp-sender" });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Delivers `message.raw` to every recipient of `message.envelope.to`; resolves with how each
   * recipient fared (it does not reject for delivery failures).
   */
  async send(message: OutgoingMessage): Promise<DeliveryReport> {
    if (this.#closed) throw new SmtpStateError("send() on a closed SmtpSender");
    const report: DeliveryReport = { accepted: [], failed: [] };
    const groups = new Map<Route, string[]>();
    for (const recipient of message.envelope.to) {
      const route = this.#routeFor(domainOf(recipient));
      if (route === undefined) {
        report.failed.push({
          recipient,
          permanent: true,
          status: "5.4.4",
          reason: `no peer route for domain ${domainOf(recipient) || "(none)"} and no relay`,
        });
        continue;
      }
      groups.set(route, [...(groups.get(route) ?? []), recipient]);
    }
    const results = await Promise.all(
      [...groups].map(([route, recipients]) => this.#sendOnRoute(route, message, recipients)),
    );
    for (const result of results) {
      report.accepted.push(...result.accepted);
      report.failed.push(...result.failed);
    }
    return report;
  }

  /** Closes the transports; later send() calls throw. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const route of this.#routes.values()) route.transport.close();
    this.#routes.clear();
    this.#log.debug("close()");
  }

  #routeFor(domain: string): Route | undefined {
    const peer = this.#peerByDomain.get(domain);
    const target = peer ?? this.#options.relay;
    if (target === undefined) return undefined;
    const key = `${target.tls}://${target.host}:${target.port}`;
    const existing = this.#routes.get(key);
    if (existing) return existing;
    const route: Route = {
      key,
      host: target.host,
      transport: nodemailer.createTransport(this.#transportOptions(target)),
    };
    this.#routes.set(key, route);
    return route;
  }

  #transportOptions(target: SmtpRelayRoute): SMTPTransport.Options {
    const o = this.#options;
    const options: SMTPTransport.Options = {
      host: target.host,
      port: target.port,
      name: o.clientName,
      secure: target.tls === "implicit",
      requireTLS: target.tls === "starttls",
      ignoreTLS: target.tls === "none",
      tls: {
        rejectUnauthorized: target.rejectUnauthorized ?? true,
        ...(target.ca !== undefined ? { ca: target.ca } : {}),
      },
      connectionTimeout: o.connectionTimeoutMs ?? 30_000,
      greetingTimeout: o.greetingTimeoutMs ?? 30_000,
      socketTimeout: o.socketTimeoutMs ?? 300_000,
      logger: false,
    };
    if ("auth" in target && target.auth !== undefined) options.auth = target.auth;
    return options;
  }

  async #sendOnRoute(route: Route, message: OutgoingMessage, recipients: string[]): Promise<DeliveryReport> {
    const remoteMta = route.host;
    try {
      const info = await route.transport.sendMail({
        envelope: { from: message.envelope.from, to: recipients },
        raw: message.raw,
      });
      const rejectedErrors = (info as { rejectedErrors?: SendError[] }).rejectedErrors ?? [];
      const failed = info.rejected.map((recipient) => {
        const error = rejectedErrors.find((e) => e.recipient === recipient) ?? {};
        return replyFailure(String(recipient), error, remoteMta);
      });
      const accepted = info.accepted.map(String);
      this.#log.debug({ route: route.key, accepted: accepted.length, failed: failed.length }, "sent");
      return { accepted, failed };
    } catch (caught) {
      const error = (caught ?? {}) as SendError;
      this.#log.debug({ route: route.key, code: error.code, response: error.response }, "send failed");
      const perRecipient = error.rejectedErrors ?? [];
      const failed = recipients.map((recipient) =>
        replyFailure(recipient, perRecipient.find((e) => e.recipient === recipient) ?? error, remoteMta),
      );
      return { accepted: [], failed };
    }
  }
}
