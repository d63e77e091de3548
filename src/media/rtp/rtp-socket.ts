import { createSocket, type Socket } from "node:dgram";
import { lookup as dnsLookup, type LookupOneOptions } from "node:dns";
import { isIP } from "node:net";
import type { Logger } from "../../kernel/log.ts";
import { socketTarget, unmapIPv4 } from "../../kernel/net.ts";
import type { PortAllocator } from "./port-allocator.ts";

export interface RtpSocketOptions {
  /** Local address to bind (media.address). */
  address: string;
  allocator: PortAllocator;
  logger: Logger;
  /** RFC 5761: RTP and RTCP on one port; no RTCP socket is opened. */
  rtcpMux?: boolean;
}

type Receiver = (data: Buffer, address: string, port: number) => void;

/**
 * The UDP sockets of one media stream: RTP on an even port, RTCP on the next (RFC 3550 §11), or
 * one port with rtcp-mux. Ports come from the PortAllocator; a pair some other program holds is
 * skipped. Packets reach `onRtp`/`onRtcp`; nothing here parses them.
 */
export class RtpSocket {
  readonly port: number;
  readonly rtcpPort: number | undefined;
  onRtp: Receiver = () => {};
  onRtcp: Receiver = () => {};
  readonly #rtp: Socket;
  readonly #rtcp: Socket | undefined;
  readonly #allocator: PortAllocator;
  readonly #family: "udp4" | "udp6";
  #closed = false;

  private constructor(init: {
    rtp: Socket;
    rtcp: Socket | undefined;
    port: number;
    allocator: PortAllocator;
    family: "udp4" | "udp6";
  }) {
    this.#rtp = init.rtp;
    this.#rtcp = init.rtcp;
    this.port = init.port;
    this.rtcpPort = init.rtcp ? init.port + 1 : undefined;
    this.#allocator = init.allocator;
    this.#family = init.family;
    // A udp4 socket never sees IPv4-mapped addresses: no unmapping per packet there.
    if (init.family === "udp4") {
      init.rtp.on("message", (data, from) => this.onRtp(data, from.address, from.port));
      init.rtcp?.on("message", (data, from) => this.onRtcp(data, from.address, from.port));
    } else {
      init.rtp.on("message", (data, from) => this.onRtp(data, unmapIPv4(from.address), from.port));
      init.rtcp?.on("message", (data, from) => this.onRtcp(data, unmapIPv4(from.address), from.port));
    }
  }

  /** Binds the next free pair; tries up to 20 pairs before giving up. */
  static async open(options: RtpSocketOptions): Promise<RtpSocket> {
    const family = options.address.includes(":") ? "udp6" : "udp4";
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = options.allocator.allocate();
      const rtp = createSocket({ type: family, ipv6Only: false, lookup: literalLookup() });
      const rtcp = options.rtcpMux
        ? undefined
        : createSocket({ type: family, ipv6Only: false, lookup: literalLookup() });
      try {
        await bind(rtp, port, options.address);
        if (rtcp) await bind(rtcp, port + 1, options.address);
        for (const s of [rtp, rtcp])
          s?.on("error", (error) => options.logger.debug({ err: error, port }, "rtp socket error"));
        return new RtpSocket({ rtp, rtcp, port, allocator: options.allocator, family });
      } catch (error) {
        lastError = error;
        rtp.close();
        rtcp?.close();
        options.allocator.release(port);
      }
    }
    throw lastError;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sendRtp(data: Uint8Array, port: number, address: string): void {
    if (!this.#closed) this.#rtp.send(data, port, this.#target(address));
  }

  sendRtcp(data: Uint8Array, port: number, address: string): void {
    if (this.#closed) return;
    (this.#rtcp ?? this.#rtp).send(data, port, this.#target(address));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtp.close();
    this.#rtcp?.close();
    this.#allocator.release(this.port);
  }

  #target(address: string): string {
    return socketTarget(this.#family, address);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The address lookup of one socket. dgram passes the target of every send() through it; Node's
 * default (dns.lookup) answers an IP literal on the next tick, which costs a closure, a nextTick
 * and a regex test per packet. This answers IP literals at once (remembering the last one, since
 * a stream sends to the same peer packet after packet) and leaves names to dns.lookup.
 */
function literalLookup(): (hostname: string, options: LookupOneOptions, callback: LookupCallback) => void {
  let lastAddress = "";
  let lastFamily = 0;
  return (hostname, options, callback) => {
    if (hostname === lastAddress) {
      callback(null, hostname, lastFamily);
      return;
    }
    const family = isIP(hostname);
    if (family === 0) {
      dnsLookup(hostname, options, callback);
      return;
    }
    lastAddress = hostname;
    lastFamily = family;
    callback(null, hostname, family);
  };
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}
