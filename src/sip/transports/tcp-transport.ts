import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { unmapIPv4 } from "../../kernel/net.ts";
import { addressForSocket, type SipProtocol } from "./remote-address.ts";
import { type FramedChunk, StreamFramer } from "./stream-framer.ts";

/** One stream connection (an RFC 5626 flow): what arrived on it is answered on it. */
export interface SipConnection {
  readonly id: string;
  readonly protocol: SipProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly closed: boolean;
  write(data: Buffer): boolean;
  close(): void;
}

export interface TcpTransportOptions {
  host: string;
  port: number;
  logger: Logger;
  clock: Clock;
  maxMessageBytes: number;
  /** Connections with no traffic for this long are closed. */
  idleTimeoutMs: number;
  /** Incoming connections beyond this many are closed at once (a flood must not exhaust memory). */
  maxConnections?: number;
  onChunk: (chunk: FramedChunk, connection: SipConnection) => void;
  /** Builds the listening server; TLS passes a tls.Server factory. */
  createListener?: (onSocket: (socket: Socket) => void) => Server;
  protocol?: SipProtocol;
}

let nextId = 0;

class StreamConnection implements SipConnection {
  readonly id: string;
  readonly protocol: SipProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly socket: Socket;
  lastActivity: number;

  constructor(socket: Socket, protocol: SipProtocol, now: number) {
    this.socket = socket;
    this.protocol = protocol;
    this.id = `${protocol}-${++nextId}`;
    this.remoteAddress = unmapIPv4(socket.remoteAddress ?? "");
    this.remotePort = socket.remotePort ?? 0;
    this.lastActivity = now;
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  write(data: Buffer): boolean {
    if (this.socket.destroyed) return false;
    this.socket.write(data);
    return true;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * SIP over TCP (RFC 3261 §18) and, with a TLS listener, over TLS: a listener, the table of open
 * connections (flows) keyed by remote address for reuse, message framing by Content-Length, and
 * an idle sweep on the injected clock.
 */
export class TcpTransport {
  readonly #options: TcpTransportOptions;
  readonly #connections = new Map<string, StreamConnection>();
  readonly #byRemote = new Map<string, StreamConnection>();
  #server: Server | undefined;
  #sweep: TimerHandle | undefined;
  #closed = false;

  constructor(options: TcpTransportOptions) {
    this.#options = options;
  }

  get protocol(): SipProtocol {
    return this.#options.protocol ?? "tcp";
  }

  async listen(): Promise<AddressInfo> {
    const factory = this.#options.createListener ?? ((onSocket) => createServer(onSocket));
    const server = factory((socket) => {
      if (this.#connections.size >= (this.#options.maxConnections ?? 10_000)) {
        this.#options.logger.warn(
          { remote: socket.remoteAddress },
          `sip ${this.protocol} connection limit reached`,
        );
        socket.destroy();
        return;
      }
      this.#adopt(socket);
    });
    this.#server = server;
    server.on("error", (error) =>
      this.#options.logger.warn({ err: error }, `sip ${this.protocol} listener error`),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#options.port, addressForSocket(this.#options.host), () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#scheduleSweep();
    return server.address() as AddressInfo;
  }

  get address(): AddressInfo {
    return this.#server?.address() as AddressInfo;
  }

  /** An open connection by flow id (RFC 5626: requests to a registered UA go back on its flow). */
  flow(id: string): SipConnection | undefined {
    const connection = this.#connections.get(id);
    return connection && !connection.closed ? connection : undefined;
  }

  /** An open connection to the peer, reused when one exists (§18.1.1), otherwise a new one. */
  async connectionTo(address: string, port: number): Promise<SipConnection> {
    const existing = this.#byRemote.get(`${addressForSocket(address)}:${port}`);
    if (existing && !existing.closed) return existing;
    const socket = connect({ host: addressForSocket(address), port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return this.#adopt(socket);
  }

  #adopt(socket: Socket): StreamConnection {
    const connection = new StreamConnection(socket, this.protocol, this.#options.clock.monotonic());
    const framer = new StreamFramer(this.#options.maxMessageBytes);
    const remoteKey = `${connection.remoteAddress}:${connection.remotePort}`;
    this.#connections.set(connection.id, connection);
    this.#byRemote.set(remoteKey, connection);
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => {
      connection.lastActivity = this.#options.clock.monotonic();
      for (const chunk of framer.push(data)) {
        this.#options.onChunk(chunk, connection);
        if (chunk.kind === "error") {
          socket.destroy();
          return;
        }
      }
    });
    socket.on("error", (error) =>
      this.#options.logger.debug({ err: error, flow: connection.id }, "sip stream error"),
    );
    socket.on("close", () => {
      this.#connections.delete(connection.id);
      if (this.#byRemote.get(remoteKey) === connection) this.#byRemote.delete(remoteKey);
    });
    return connection;
  }

  #scheduleSweep(): void {
    const every = Math.max(1000, Math.min(30_000, this.#options.idleTimeoutMs / 2));
    this.#sweep = this.#options.clock.setTimer(every, () => {
      const now = this.#options.clock.monotonic();
      for (const connection of this.#connections.values()) {
        if (now - connection.lastActivity >= this.#options.idleTimeoutMs) connection.close();
      }
      if (!this.#closed) this.#scheduleSweep();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweep?.cancel();
    for (const connection of this.#connections.values()) connection.close();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
