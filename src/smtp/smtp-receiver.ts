import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { Logger } from "../kernel/log.ts";
import { unmapIPv4 } from "../kernel/net.ts";
import { isParleyError } from "../kernel/parley-error.ts";
import { SMTP_ERROR_CODES, SmtpConfigError, SmtpStateError } from "./errors.ts";
import { PeerAllowList } from "./peer-allow-list.ts";

/** The SMTP envelope of a received message (RFC 5321 §2.3.1); `from` is "" for the null reverse-path. */
export interface ReceivedEnvelope {
  from: string;
  to: string[];
}

/** Where in the SMTP dialogue a peer was refused. */
export type RefusalStage = "connect" | "mail" | "rcpt" | "data";

export interface SmtpRefusal {
  stage: RefusalStage;
  remoteAddress: string;
  responseCode: number;
  reason: string;
}

export interface SmtpReceiverOptions {
  /** Address to listen on ("0.0.0.0", "::", "127.0.0.1"). */
  host: string;
  /** Port to listen on; 0 picks a free one (see address()). */
  port: number;
  /** The name in the greeting and the EHLO reply (RFC 5321 §4.1.1.1); os.hostname() when left out. */
  serverName?: string;
  /** The mail domains this server accepts mail for (case-insensitive), or a predicate deciding it. */
  domains: readonly string[] | ((domain: string) => boolean);
  /** Peers allowed to connect: IPv4/IPv6 addresses and CIDR prefixes. Everyone else gets 554 at connect. */
  allowFrom: readonly string[];
  /** PEM certificate chain and key: STARTTLS (RFC 3207) is offered only when given. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Refuse MAIL FROM with 530 until the peer has done STARTTLS (needs `tls`). */
  requireTls?: boolean;
  /** Largest message accepted, in bytes; advertised as SIZE (RFC 1870), larger ones get 552. */
  maxMessageBytes: number;
  /** Whether a local mailbox exists for `address` (RCPT TO); false → 550, a rejection → 451. */
  onRecipient(address: string): Promise<boolean>;
  /**
   * Files a received message. Resolving answers 250; rejecting answers 451 (the peer keeps the
   * message and tries again), except an SmtpMessageError SMTP_MESSAGE_INVALID, which answers 554
   * because the same bytes will never become valid.
   */
  onMessage(envelope: ReceivedEnvelope, raw: Buffer, remoteAddress: string): Promise<void>;
  /** Told about every refusal, for counters; must not throw. */
  onRefused?(refusal: SmtpRefusal): void;
  logger: Logger;
  /** Idle time before a connection is dropped; smtp-server's default (60 s) when left out. */
  socketTimeoutMs?: number;
  /** How long close() waits for open connections before cutting them (default 5 s). */
  closeTimeoutMs?: number;
}

type SmtpReply = Error & { responseCode: number };

function reply(responseCode: number, text: string): SmtpReply {
  return Object.assign(new Error(text), { responseCode });
}

function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

/**
 * Receives voice messages from other Parley servers (and VPIM-capable systems) over SMTP
 * (https://www.rfc-editor.org/rfc/rfc5321), on nodemailer's smtp-server. The checks run where
 * smtp-server's hooks put them, before the next command is accepted:
 *
 * - connect: the peer must be on `allowFrom`, else 554 (RFC 5321 §3.1 "554 … no SMTP service here").
 *   There is no AUTH (the command is disabled): peers are trusted by address, operators list them.
 * - MAIL: with `requireTls`, 530 5.7.0 until STARTTLS (https://www.rfc-editor.org/rfc/rfc3207#section-4:
 *   "the server … SHOULD reply to every command other than NOOP, EHLO, STARTTLS, or QUIT with the
 *   reply code 530").
 * - RCPT: a domain that is not ours → 550 5.7.1 (no relaying); an unknown mailbox → 550 5.1.1; a
 *   failing lookup → 451 4.3.0 so the peer tries later (RFC 5321 §4.2.2, RFC 3463).
 * - DATA: over `maxMessageBytes` → 552 5.3.4 (RFC 1870 §6.3); onMessage failing → 451 4.3.0.
 */
export class SmtpReceiver {
  readonly #options: SmtpReceiverOptions;
  readonly #allowList: PeerAllowList;
  readonly #server: SMTPServer;
  readonly #log: Logger;
  #state: "Idle" | "Listening" | "Closed" = "Idle";

  constructor(options: SmtpReceiverOptions) {
    if (options.requireTls === true && options.tls === undefined) {
      throw new SmtpConfigError("requireTls needs a tls certificate and key");
    }
    if (!Number.isInteger(options.maxMessageBytes) || options.maxMessageBytes <= 0) {
      throw new SmtpConfigError(`maxMessageBytes ${options.maxMessageBytes} is not a positive integer`);
    }
    this.#options = options;
    this.#allowList = new PeerAllowList(options.allowFrom);
    this.#log = options.logger.child({ component: "smtp-receiver" });
    const tls = options.tls;
    this.#server = new SMTPServer({
      ...(options.serverName !== undefined ? { name: options.serverName } : {}),
      banner: "Parley voicemail exchange",
      size: options.maxMessageBytes,
      rejectOversized: true,
      authOptional: true,
      disabledCommands: tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
      hideSTARTTLS: tls === undefined,
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      secure: false,
      logger: false,
      disableReverseLookup: true,
      ...(options.socketTimeoutMs !== undefined ? { socketTimeout: options.socketTimeoutMs } : {}),
      closeTimeout: options.closeTimeoutMs ?? 5_000,
      onConnect: (session, callback) => callback(this.#checkPeer(session)),
      onMailFrom: (_address, session, callback) => callback(this.#checkMailFrom(session)),
      onRcptTo: (address, session, callback) => {
        this.#checkRecipient(address.address, session).then(callback, (error: unknown) => {
          this.#log.warn({ err: error, recipient: address.address }, "onRecipient failed");
          callback(this.#refuse("rcpt", session, 451, "4.3.0 Mailbox lookup failed, try again later"));
        });
      },
      onData: (stream, session, callback) => {
        this.#receive(stream, session).then(
          (message) => callback(null, message),
          (error: SmtpReply) => callback(error),
        );
      },
    });
    this.#server.on("error", (error) => this.#log.debug({ err: error }, "connection error"));
  }

  get closed(): boolean {
    return this.#state === "Closed";
  }

  /** Starts listening; resolves once the socket is bound. */
  async listen(): Promise<void> {
    if (this.#state !== "Idle") throw new SmtpStateError(`listen() on a receiver that is ${this.#state}`);
    this.#state = "Listening";
    await new Promise<void>((resolve, reject) => {
      const server = this.#server.server;
      const onError = (error: Error): void => {
        this.#state = "Closed"; // nothing is bound, so there is nothing for close() to release
        reject(error);
      };
      server.once("error", onError);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    this.#log.debug({ address: this.address() }, "listen()");
  }

  /** The bound address and port (useful with port 0). */
  address(): { host: string; port: number } {
    const info = this.#server.server.address() as AddressInfo | null;
    if (info === null) throw new SmtpStateError("address() on a receiver that is not listening");
    return { host: info.address, port: info.port };
  }

  /** Stops listening and waits for open connections (cut after closeTimeoutMs). Idempotent. */
  async close(): Promise<void> {
    if (this.#state === "Closed") return;
    const wasListening = this.#state === "Listening";
    this.#state = "Closed";
    this.#log.debug("close()");
    if (wasListening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #refuse(stage: RefusalStage, session: SMTPServerSession, responseCode: number, text: string): SmtpReply {
    const remoteAddress = unmapIPv4(session.remoteAddress);
    this.#log.debug({ stage, remoteAddress, responseCode }, text);
    try {
      this.#options.onRefused?.({ stage, remoteAddress, responseCode, reason: text });
    } catch (error) {
      this.#log.warn({ err: error }, "onRefused threw");
    }
    return reply(responseCode, text);
  }

  #checkPeer(session: SMTPServerSession): SmtpReply | null {
    if (this.#allowList.allows(session.remoteAddress)) return null;
    return this.#refuse(
      "connect",
      session,
      554,
      `5.7.1 ${unmapIPv4(session.remoteAddress)} is not a peer of this voicemail exchange`,
    );
  }

  #checkMailFrom(session: SMTPServerSession): SmtpReply | null {
    if (this.#options.requireTls === true && !session.secure) {
      return this.#refuse("mail", session, 530, "5.7.0 Must issue a STARTTLS command first");
    }
    return null;
  }

  #acceptsDomain(domain: string): boolean {
    const domains = this.#options.domains;
    if (typeof domains === "function") return domains(domain);
    return domains.some((d) => d.toLowerCase() === domain);
  }

  async #checkRecipient(address: string, session: SMTPServerSession): Promise<SmtpReply | null> {
    if (!this.#acceptsDomain(domainOf(address))) {
      return this.#refuse("rcpt", session, 550, `5.7.1 Relaying to <${address}> is not permitted`);
    }
    if (!(await this.#options.onRecipient(address))) {
      return this.#refuse("rcpt", session, 550, `5.1.1 <${address}>: no such mailbox`);
    }
    return null;
  }

  /** Reads DATA into one buffer (never beyond maxMessageBytes) and hands it to onMessage. */
  async #receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= this.#options.maxMessageBytes) chunks.push(chunk);
    }
    if (stream.sizeExceeded || size > this.#options.maxMessageBytes) {
      throw this.#refuse("data", session, 552, "5.3.4 Message exceeds the fixed maximum message size");
    }
    const raw = Buffer.concat(chunks, size);
    const envelope: ReceivedEnvelope = {
      from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
      to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
    };
    const remoteAddress = unmapIPv4(session.remoteAddress);
    try {
      await this.#options.onMessage(envelope, raw, remoteAddress);
    } catch (error) {
      if (isParleyError(error) && error.code === SMTP_ERROR_CODES.messageInvalid) {
        throw this.#refuse("data", session, 554, `5.6.0 ${error.message}`);
      }
      this.#log.warn({ err: error, remoteAddress }, "onMessage failed");
      throw this.#refuse("data", session, 451, "4.3.0 The message could not be stored, try again later");
    }
    this.#log.debug({ remoteAddress, bytes: size, recipients: envelope.to.length }, "message received");
    return "2.0.0 Message accepted";
  }
}
