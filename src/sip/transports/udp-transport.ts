import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../kernel/log.ts";
import { socketTarget } from "../../kernel/net.ts";
import { addressForSocket } from "./remote-address.ts";

export interface UdpTransportOptions {
  host: string;
  port: number;
  logger: Logger;
  onDatagram: (data: Buffer, source: RemoteInfo) => void;
}

/**
 * SIP over UDP (RFC 3261 §18): one socket, one datagram per message. An IPv6 host ("::")
 * listens dual-stack, so IPv4 peers reach it too.
 */
export class UdpTransport {
  readonly #options: UdpTransportOptions;
  #socket: Socket | undefined;
  #family: "udp4" | "udp6" = "udp4";
  #closed = false;

  constructor(options: UdpTransportOptions) {
    this.#options = options;
  }

  async listen(): Promise<AddressInfo> {
    const host = addressForSocket(this.#options.host);
    this.#family = host.includes(":") ? "udp6" : "udp4";
    const socket = createSocket({ type: this.#family, ipv6Only: false });
    this.#socket = socket;
    socket.on("message", (data, source) => this.#options.onDatagram(data, source));
    socket.on("error", (error) => this.#options.logger.warn({ err: error }, "sip udp socket error"));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.#options.port, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return socket.address();
  }

  get address(): AddressInfo {
    if (!this.#socket) throw new Error("UdpTransport is not listening");
    return this.#socket.address();
  }

  /** Sends one datagram; a failure is logged and reported to `onError`. */
  send(data: Buffer, address: string, port: number, onError?: (error: Error) => void): void {
    if (!this.#socket || this.#closed) {
      onError?.(new Error("UdpTransport is closed"));
      return;
    }
    const target = socketTarget(this.#family, addressForSocket(address));
    this.#socket.send(data, port, target, (error) => {
      if (error) {
        this.#options.logger.debug({ err: error, address, port }, "sip udp send failed");
        onError?.(error);
      }
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
