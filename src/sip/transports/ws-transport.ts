import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../../kernel/log.ts";
import { unmapIPv4 } from "../../kernel/net.ts";
import { addressForSocket } from "./remote-address.ts";
import type { SipConnection } from "./tcp-transport.ts";

export interface WsTransportOptions {
  host: string;
  port: number;
  logger: Logger;
  maxMessageBytes: number;
  /** One complete SIP message per WebSocket message (RFC 7118 §5). */
  onMessage: (data: Buffer, connection: SipConnection) => void;
}

let nextId = 0;

class WsConnection implements SipConnection {
  readonly id = `ws-${++nextId}`;
  readonly protocol = "ws" as const;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #socket: WebSocket;

  constructor(socket: WebSocket, remoteAddress: string, remotePort: number) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
  }

  get closed(): boolean {
    return this.#socket.readyState !== this.#socket.OPEN;
  }

  /** RFC 7118 §5: a SIP message goes in one text frame (UTF-8). */
  write(data: Buffer): boolean {
    if (this.closed) return false;
    this.#socket.send(data.toString("utf8"));
    return true;
  }

  close(): void {
    this.#socket.close();
  }
}

/**
 * SIP over WebSocket (RFC 7118) for browsers: an HTTP server that upgrades connections asking
 * for the "sip" subprotocol (§4.1: the server "MUST" reject a handshake without it), and one SIP
 * message per WebSocket message.
 */
export class WsTransport {
  readonly #options: WsTransportOptions;
  #http: Server | undefined;
  #wss: WebSocketServer | undefined;
  readonly #connections = new Map<string, WsConnection>();
  #closed = false;

  constructor(options: WsTransportOptions) {
    this.#options = options;
  }

  async listen(): Promise<AddressInfo> {
    const http = createServer((_request, response) => {
      response
        .writeHead(426, { "content-type": "text/plain", upgrade: "websocket" })
        .end("SIP over WebSocket only\n");
    });
    const wss = new WebSocketServer({
      server: http,
      maxPayload: this.#options.maxMessageBytes,
      handleProtocols: (protocols) => (protocols.has("sip") ? "sip" : false),
    });
    wss.on("connection", (socket, request) => {
      if (socket.protocol !== "sip") {
        socket.close(1002, "the sip subprotocol is required");
        return;
      }
      const address = unmapIPv4(request.socket.remoteAddress ?? "");
      const connection = new WsConnection(socket, address, request.socket.remotePort ?? 0);
      this.#connections.set(connection.id, connection);
      socket.on("close", () => this.#connections.delete(connection.id));
      socket.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
        const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
        this.#options.onMessage(buffer, connection);
      });
      socket.on("error", (error) =>
        this.#options.logger.debug({ err: error, flow: connection.id }, "sip ws error"),
      );
    });
    this.#http = http;
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(this.#options.port, addressForSocket(this.#options.host), () => {
        http.off("error", reject);
        resolve();
      });
    });
    return http.address() as AddressInfo;
  }

  /** An open connection by flow id; a browser cannot be connected to, only reached on its flow. */
  flow(id: string): SipConnection | undefined {
    const connection = this.#connections.get(id);
    return connection && !connection.closed ? connection : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of this.#wss?.clients ?? []) client.terminate();
    this.#wss?.close();
    const http = this.#http;
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  }
}
