import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import { ImapOptionsError } from "./errors.ts";
import { ImapConnection } from "./imap-connection.ts";
import { LoginRateLimit } from "./login-rate-limit.ts";
import type { MailLogin, MailStore } from "./mail-store.ts";

export interface ImapServerOptions {
  store: MailStore;
  login: MailLogin;
  clock: Clock;
  logger: Logger;
  /** Address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Plain port with STARTTLS (143 is the IANA one); 0 picks a free port. */
  port?: number;
  /** PEM certificate chain and key: enables STARTTLS and the implicit-TLS listener. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Port for IMAP over implicit TLS (RFC 8314 §3.3, 993); needs `tls`. Not opened when absent. */
  implicitTlsPort?: number;
  /** Refuse LOGIN/AUTHENTICATE before TLS and advertise LOGINDISABLED. Default false. */
  requireTls?: boolean;
  /** Largest command, literals included; bigger ones get BAD (or BYE for LITERAL+). Default 64 KiB. */
  maxCommandBytes?: number;
  /** Autologout after this long without a byte from the client. Default 30 minutes (RFC 3501 §5.4). */
  idleTimeoutMs?: number;
  /** Failed logins from one address within the window before logins answer NO [UNAVAILABLE]. Default 10 per 15 minutes. */
  loginRateLimit?: { failures: number; windowMs: number };
  /** Connections beyond this many are refused with BYE. Default 1000. */
  maxConnections?: number;
}

/**
 * Parley's IMAP4rev1 server (https://www.rfc-editor.org/rfc/rfc3501) for voice mailboxes: a
 * listener that greets each connection and owns it until it closes, built like wildduck's
 * imap-core with the MailStore port in place of its hooks. `close()` says BYE to every client
 * (§7.1.5: "the server is closing the connection") and stops listening.
 */
export class ImapServer {
  readonly #options: ImapServerOptions;
  readonly #rateLimit: LoginRateLimit;
  readonly #connections = new Set<ImapConnection>();
  #server: Server | undefined;
  #tlsServer: Server | undefined;
  #closed = false;

  constructor(options: ImapServerOptions) {
    if (!options.tls && (options.requireTls || options.implicitTlsPort !== undefined)) {
      throw new ImapOptionsError("requireTls and implicitTlsPort need tls (a certificate and key)");
    }
    this.#options = options;
    const limit = options.loginRateLimit ?? { failures: 10, windowMs: 15 * 60_000 };
    this.#rateLimit = new LoginRateLimit({ ...limit, clock: options.clock });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Starts the plain listener (and the implicit-TLS one when configured); returns the plain address. */
  async listen(): Promise<AddressInfo> {
    if (this.#server) return this.address;
    const { host = "127.0.0.1", port = 143, tls, implicitTlsPort } = this.#options;
    this.#server = await this.#open(
      createServer((socket) => this.#accept(socket, false)),
      host,
      port,
    );
    if (tls && implicitTlsPort !== undefined) {
      const secure = createTlsServer({ cert: tls.cert, key: tls.key }, (socket) =>
        this.#accept(socket, true),
      );
      secure.on("tlsClientError", (error) =>
        this.#options.logger.debug({ err: error }, "imaps handshake failed"),
      );
      this.#tlsServer = await this.#open(secure, host, implicitTlsPort);
    }
    return this.address;
  }

  /** The plain listener's address (after `listen()`). */
  get address(): AddressInfo {
    const address = this.#server?.address();
    if (!address || typeof address === "string") throw new Error("ImapServer is not listening");
    return address;
  }

  /** The implicit-TLS listener's address, when there is one. */
  get implicitTlsAddress(): AddressInfo | undefined {
    const address = this.#tlsServer?.address();
    return address && typeof address !== "string" ? address : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.logger.debug("close()");
    for (const connection of this.#connections) connection.close();
    await Promise.all(
      [this.#server, this.#tlsServer].map(
        (server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
      ),
    );
  }

  async #open(server: Server, host: string, port: number): Promise<Server> {
    server.on("error", (error) => this.#options.logger.warn({ err: error }, "imap listener error"));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return server;
  }

  #accept(socket: Socket, secure: boolean): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= (this.#options.maxConnections ?? 1000)) {
      socket.on("error", () => socket.destroy());
      socket.end("* BYE Too many connections\r\n");
      return;
    }
    const connection = new ImapConnection(socket, {
      store: this.#options.store,
      login: this.#options.login,
      clock: this.#options.clock,
      logger: this.#options.logger,
      tls: this.#options.tls,
      secure,
      requireTls: this.#options.requireTls ?? false,
      maxCommandBytes: this.#options.maxCommandBytes ?? 64 * 1024,
      idleTimeoutMs: this.#options.idleTimeoutMs ?? 30 * 60_000,
      rateLimit: this.#rateLimit,
      onClosed: (closed) => this.#connections.delete(closed),
    });
    this.#connections.add(connection);
    connection.start();
  }
}
