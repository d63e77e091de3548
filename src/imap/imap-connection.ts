import type { Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { CommandContext, CommandResult, ImapSession, ImapState } from "./commands/command.ts";
import { commandNames, commandsByState } from "./commands/command-table.ts";
import { compile, type ResponseItem } from "./compiler/response.ts";
import { ImapCommandError, ImapParseError } from "./errors.ts";
import type { LoginRateLimit } from "./login-rate-limit.ts";
import type { MailLogin, MailStore } from "./mail-store.ts";
import { parseCommand } from "./parser/command-parser.ts";
import { CommandReader } from "./parser/command-reader.ts";
import type { SelectedMailbox } from "./selected-mailbox.ts";

export interface ImapConnectionOptions {
  store: MailStore;
  login: MailLogin;
  clock: Clock;
  logger: Logger;
  /** Certificate and key for STARTTLS; without them STARTTLS is not offered. */
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** The socket is TLS from the first byte (implicit TLS, RFC 8314 §3.3). */
  secure: boolean;
  /** Refuse LOGIN and AUTHENTICATE before TLS (LOGINDISABLED, RFC 3501 §6.2.3). */
  requireTls: boolean;
  maxCommandBytes: number;
  /** The autologout timer (RFC 3501 §5.4: "at least 30 minutes"). */
  idleTimeoutMs: number;
  rateLimit: LoginRateLimit;
  /** Called once, when the socket is gone. */
  onClosed: (connection: ImapConnection) => void;
}

type InboxEvent =
  | { kind: "command"; bytes: Buffer }
  | { kind: "reject"; tag: string | undefined; text: string };

const CRLF = "\r\n";
/** How long a connection that was told BYE may linger while the peer still sends. */
const LINGER_MS = 5_000;
let nextConnectionId = 0;

/**
 * One client connection (https://www.rfc-editor.org/rfc/rfc3501#section-3): the state machine
 * NotAuthenticated → Authenticated ⇄ Selected → Logout, with one command table per state
 * (commands/command-table.ts) so a command in the wrong state is refused before its handler runs.
 * Commands run one at a time in arrival order; anything a client sends becomes a BAD or NO answer,
 * never an exception out of the socket handler (§7.1). Untagged updates from other writers are
 * written before a command's tagged answer (§7: "the server MAY send ... untagged data ... at the
 * end of a command").
 */
export class ImapConnection implements ImapSession {
  readonly id: string;
  readonly remoteAddress: string;
  readonly #options: ImapConnectionOptions;
  readonly #logger: Logger;
  readonly #reader: CommandReader;
  readonly #inbox: InboxEvent[] = [];
  #socket: Socket;
  #state: ImapState = "NotAuthenticated";
  #user: string | undefined;
  #selected: SelectedMailbox | undefined;
  #secure: boolean;
  #running = false;
  #closing = false;
  #closed = false;
  #lineWaiter: ((line: Buffer | undefined) => void) | undefined;
  #idleTimer: TimerHandle | undefined;
  #lingerTimer: TimerHandle | undefined;

  constructor(socket: Socket, options: ImapConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#secure = options.secure;
    this.id = `imap-${++nextConnectionId}`;
    this.remoteAddress = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    this.#logger = options.logger.child({ imapConnection: this.id, remote: this.remoteAddress });
    this.#reader = new CommandReader(options.maxCommandBytes);
  }

  /** Attaches to the socket and writes the greeting (§7.1.1: "* OK [CAPABILITY ...]"). */
  start(): void {
    this.#socket.setNoDelay(true);
    this.#attach(this.#socket);
    this.#armIdleTimer();
    this.#write(`* OK [CAPABILITY ${this.capabilities().join(" ")}] Parley IMAP4rev1 ready${CRLF}`);
    this.#logger.debug("imap connection opened");
  }

  get state(): ImapState {
    return this.#state;
  }

  get user(): string | undefined {
    return this.#user;
  }

  get selected(): SelectedMailbox | undefined {
    return this.#selected;
  }

  get secure(): boolean {
    return this.#secure;
  }

  get tlsAvailable(): boolean {
    return this.#options.tls !== undefined;
  }

  get requireTls(): boolean {
    return this.#options.requireTls;
  }

  get store(): MailStore {
    return this.#options.store;
  }

  get login(): MailLogin {
    return this.#options.login;
  }

  get closed(): boolean {
    return this.#closed;
  }

  capabilities(): string[] {
    const caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "IDLE", "UIDPLUS", "UNSELECT"];
    if (this.tlsAvailable && !this.#secure && this.#state === "NotAuthenticated") caps.push("STARTTLS");
    caps.push(this.#options.requireTls && !this.#secure ? "LOGINDISABLED" : "AUTH=PLAIN");
    return caps;
  }

  loginAllowed(): boolean {
    return this.#options.rateLimit.allowed(this.remoteAddress);
  }

  loginFailed(): void {
    this.#options.rateLimit.recordFailure(this.remoteAddress);
  }

  authenticated(user: string): void {
    this.#user = user;
    this.#state = "Authenticated";
    this.#logger.debug({ user }, "imap authenticated");
  }

  select(mailbox: SelectedMailbox): void {
    this.#selected?.close();
    this.#selected = mailbox;
    this.#state = "Selected";
  }

  unselect(): void {
    this.#selected?.close();
    this.#selected = undefined;
    if (this.#state === "Selected") this.#state = "Authenticated";
  }

  /**
   * Starts TLS on the connection after STARTTLS's OK (https://www.rfc-editor.org/rfc/rfc3501#section-6.2.1).
   * Whatever the client pipelined after STARTTLS is dropped unread (the RFC 3501 §11.1 / CVE-2011-0411
   * command injection).
   */
  async startTls(): Promise<void> {
    const tls = this.#options.tls;
    if (!tls || this.#closing) return;
    this.#inbox.length = 0;
    this.#reader.reset();
    const plain = this.#socket;
    this.#detach(plain);
    const secure = new TLSSocket(plain, {
      isServer: true,
      secureContext: createSecureContext({ cert: tls.cert, key: tls.key }),
    });
    this.#socket = secure;
    this.#secure = true;
    this.#attach(secure);
    await new Promise<void>((resolve) => {
      secure.once("secure", () => resolve());
      secure.once("close", () => resolve());
    });
  }

  logout(): void {
    this.#end(undefined, true);
  }

  /** Ends the connection, telling the client why with an untagged BYE (server shutdown). */
  close(reason = "Server shutting down"): void {
    this.#end(`* BYE ${reason}${CRLF}`, true);
  }

  #attach(socket: Socket): void {
    socket.on("data", this.#onData);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  #detach(socket: Socket): void {
    socket.off("data", this.#onData);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
  }

  readonly #onData = (data: Buffer): void => {
    if (this.#closing) return;
    this.#armIdleTimer();
    for (const event of this.#reader.push(data)) {
      if (event.kind === "continue") {
        this.#write(`+ Ready for literal data${CRLF}`);
      } else if (event.kind === "overflow") {
        this.#logger.debug({ reason: event.text }, "imap command over the size limit");
        this.#end(`* BYE ${event.text}${CRLF}`, false);
        return;
      } else {
        this.#inbox.push(event);
      }
    }
    this.#deliver();
  };

  readonly #onError = (error: Error): void => {
    this.#logger.debug({ err: error }, "imap socket error");
    this.#socket.destroy();
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    this.#state = "Logout";
    this.#idleTimer?.cancel();
    this.#lingerTimer?.cancel();
    this.#selected?.close();
    this.#selected = undefined;
    this.#inbox.length = 0;
    this.#takeWaiter()?.(undefined);
    this.#logger.debug("imap connection closed");
    this.#options.onClosed(this);
  };

  #takeWaiter(): ((line: Buffer | undefined) => void) | undefined {
    const waiter = this.#lineWaiter;
    this.#lineWaiter = undefined;
    return waiter;
  }

  #deliver(): void {
    if (this.#lineWaiter && this.#inbox.length > 0) {
      const event = this.#inbox.shift() as InboxEvent;
      this.#takeWaiter()?.(event.kind === "command" ? event.bytes : Buffer.alloc(0));
    }
    if (!this.#running && this.#inbox.length > 0) void this.#pump();
  }

  #readLine(): Promise<Buffer | undefined> {
    if (this.#closing) return Promise.resolve(undefined);
    const event = this.#inbox.shift();
    if (event) return Promise.resolve(event.kind === "command" ? event.bytes : Buffer.alloc(0));
    return new Promise((resolve) => {
      this.#lineWaiter = resolve;
    });
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closing && this.#inbox.length > 0) {
        const event = this.#inbox.shift() as InboxEvent;
        await this.#process(event);
        if (this.#socket.writableNeedDrain && !this.#closing) await this.#drained();
      }
    } catch (error) {
      this.#logger.error({ err: error }, "imap connection failed");
      this.#end(`* BYE Internal server error${CRLF}`, true);
    } finally {
      this.#running = false;
    }
  }

  #drained(): Promise<void> {
    const socket = this.#socket;
    return new Promise((resolve) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
  }

  async #process(event: InboxEvent): Promise<void> {
    if (event.kind === "reject") {
      this.#write(`${event.tag ?? "*"} BAD ${event.text}${CRLF}`);
      return;
    }
    let parsed: ReturnType<typeof parseCommand>;
    try {
      parsed = parseCommand(event.bytes);
    } catch (error) {
      if (!(error instanceof ImapParseError)) throw error;
      this.#write(`${error.tag ?? "*"} BAD ${error.message}${CRLF}`);
      return;
    }
    const command = commandsByState[this.#state].get(parsed.name);
    if (!command) {
      const text = commandNames.has(parsed.name)
        ? `${parsed.name} is not allowed in the ${this.#state} state`
        : "Unknown command";
      this.#tagged(parsed.tag, { status: "BAD", text });
      return;
    }
    const context = this.#context(parsed.tag, parsed.name);
    const result = await this.#run(() => command.handle(context, parsed.args));
    if (this.#closing) return;
    if (command.updates !== "none") await this.#writeUpdates(command.updates === "all");
    this.#tagged(parsed.tag, result);
    if (result.after) await result.after();
  }

  async #run(handler: () => Promise<CommandResult>): Promise<CommandResult> {
    try {
      return await handler();
    } catch (error) {
      if (error instanceof ImapParseError) return { status: "BAD", text: error.message };
      if (error instanceof ImapCommandError) {
        return error.responseCode === undefined
          ? { status: error.status, text: error.message }
          : { status: error.status, code: error.responseCode, text: error.message };
      }
      this.#logger.error({ err: error }, "imap command failed");
      return { status: "NO", code: "SERVERBUG", text: "Internal error" };
    }
  }

  #context(tag: string, name: string): CommandContext {
    return {
      tag,
      name,
      session: this,
      send: (...items: ResponseItem[]) =>
        this.#write(Buffer.concat([Buffer.from("* "), compile(items), Buffer.from(CRLF)])),
      continuation: (text: string) => this.#write(`+ ${text}${CRLF}`),
      readLine: () => this.#readLine(),
      flushUpdates: () => this.#writeUpdates(true),
    };
  }

  async #writeUpdates(allowExpunge: boolean): Promise<void> {
    const selected = this.#selected;
    if (!selected) return;
    try {
      for (const line of await selected.updates(allowExpunge)) {
        this.#write(Buffer.concat([Buffer.from("* "), compile(line), Buffer.from(CRLF)]));
      }
    } catch (error) {
      this.#logger.warn({ err: error }, "imap mailbox update failed");
    }
  }

  #tagged(tag: string, result: CommandResult): void {
    const code = result.code === undefined ? "" : `[${result.code}] `;
    this.#write(`${tag} ${result.status} ${code}${result.text}${CRLF}`);
  }

  #write(data: string | Buffer): void {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || socket.writableEnded) return;
    socket.write(data);
  }

  #armIdleTimer(): void {
    this.#idleTimer?.cancel();
    this.#idleTimer = this.#options.clock.setTimer(this.#options.idleTimeoutMs, () => {
      this.#logger.debug("imap autologout");
      this.#end(`* BYE Autologout; idle for too long${CRLF}`, true);
    });
  }

  /**
   * Stops reading commands and ends the socket once `bye` is written. With `destroyAfterFlush` the
   * socket goes as soon as the bytes are out; otherwise the peer may keep sending for LINGER_MS
   * (read and dropped) so that it can read the BYE instead of a reset.
   */
  #end(bye: string | undefined, destroyAfterFlush: boolean): void {
    if (this.#closing) return;
    if (bye) this.#write(bye);
    this.#closing = true;
    this.#state = "Logout";
    this.#idleTimer?.cancel();
    this.#selected?.close();
    this.#selected = undefined;
    this.#inbox.length = 0;
    this.#takeWaiter()?.(undefined);
    const socket = this.#socket;
    if (destroyAfterFlush) {
      socket.end(() => socket.destroy());
    } else {
      socket.end();
      this.#lingerTimer = this.#options.clock.setTimer(LINGER_MS, () => socket.destroy());
    }
  }
}
