import type { RemoteInfo } from "node:dgram";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Counter, type Registry } from "prom-client";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { unmapIPv4 } from "../../kernel/net.ts";
import { SipParseError } from "../errors.ts";
import {
  isKeepAlive,
  parseSipMessage,
  type SipMessageUnion,
  type SipParseLimits,
  type SipRequest,
  type SipResponse,
  splitList,
} from "../messages/index.ts";
import { addressForSocket, isReliable, type RemoteAddress } from "./remote-address.ts";
import type { FramedChunk } from "./stream-framer.ts";
import { type SipConnection, TcpTransport } from "./tcp-transport.ts";
import { UdpTransport } from "./udp-transport.ts";
import { WsTransport } from "./ws-transport.ts";

/** The addresses each listener bound. */
export interface SipListenAddresses {
  udp?: AddressInfo;
  tcp?: AddressInfo;
  tls?: AddressInfo;
  ws?: AddressInfo;
}

/** The way back to where a request came from; satisfies the transaction layer's transport contract. */
export interface ReplyPath {
  readonly reliable: boolean;
  readonly source: RemoteAddress;
  send(message: SipMessageUnion): void;
}

/** What the transport layer hands up (the user-agent core implements it). */
export interface TransportUser {
  receiveRequest(request: SipRequest, reply: ReplyPath): void;
  receiveResponse(response: SipResponse, source: RemoteAddress): void;
  /** A request that failed to parse but may be answerable with `error.status` (400, 413, 414, 513). */
  receiveInvalidRequest(partial: SipRequest, error: SipParseError, reply: ReplyPath): void;
}

export interface SipTransportLayerOptions {
  host: string;
  udpPort?: number;
  tcpPort?: number;
  /** SIP over TLS (RFC 3261 §26.2): a port and the PEM key and certificate chain. */
  tls?: { port: number; key: Buffer; cert: Buffer };
  /** SIP over WebSocket (RFC 7118). */
  wsPort?: number;
  limits: SipParseLimits;
  idleTimeoutMs: number;
  /** Most open stream connections per listener. */
  maxConnections?: number;
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
  user: TransportUser;
  /** Decides whether a source may be served at all (a banned address gets nothing). */
  admit?: (source: RemoteAddress) => boolean;
}

/**
 * RFC 3261 §18: receives bytes on every listener, frames and parses them, stamps the top Via of
 * requests with `received`/`rport` (§18.2.1, RFC 3581 §4), and gives each request a reply path
 * that routes responses as §18.2.2 says: on the connection it came in on for stream transports,
 * to `received`:`rport` (or the sent-by port) for UDP. Nothing a peer sends escapes as an
 * exception: bad input is counted, answered when possible, or dropped.
 */
export class SipTransportLayer {
  readonly #options: SipTransportLayerOptions;
  #udp: UdpTransport | undefined;
  #tcp: TcpTransport | undefined;
  #tls: TcpTransport | undefined;
  #ws: WsTransport | undefined;
  readonly #received: Counter<"protocol" | "kind">;
  readonly #invalid: Counter<"reason" | "outcome">;

  constructor(options: SipTransportLayerOptions) {
    this.#options = options;
    const registers = options.metrics ? [options.metrics] : [];
    this.#received = new Counter({
      name: "parley_sip_messages_received_total",
      help: "SIP messages received, by transport and kind (request, response, keepalive).",
      labelNames: ["protocol", "kind"],
      registers,
    });
    this.#invalid = new Counter({
      name: "parley_sip_invalid_messages_total",
      help: "SIP messages that failed to parse, by reason and outcome (answered or dropped).",
      labelNames: ["reason", "outcome"],
      registers,
    });
  }

  async start(): Promise<SipListenAddresses> {
    const { host, logger, clock, limits } = this.#options;
    const out: SipListenAddresses = {};
    // One port number for UDP and TCP (sip.port). With port 0, TCP follows the ephemeral port UDP
    // got; when another process holds that number for TCP, both are tried again on a new one.
    const ephemeral = this.#options.udpPort === 0 && this.#options.tcpPort === 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#listenUdpTcp(out);
        break;
      } catch (error) {
        const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        await Promise.all([this.#udp?.close(), this.#tcp?.close()]);
        this.#udp = undefined;
        this.#tcp = undefined;
        delete out.udp;
        delete out.tcp;
        if (!ephemeral || !inUse || attempt >= 10) throw error;
      }
    }
    const tls = this.#options.tls;
    if (tls) {
      this.#tls = new TcpTransport({
        host,
        port: tls.port,
        logger,
        clock,
        protocol: "tls",
        maxMessageBytes: limits.maxMessageBytes,
        idleTimeoutMs: this.#options.idleTimeoutMs,
        maxConnections: this.#options.maxConnections,
        createListener: (onSocket) => createTlsServer({ key: tls.key, cert: tls.cert }, onSocket),
        onChunk: (chunk, connection) => this.#streamChunk(chunk, connection),
      });
      out.tls = await this.#tls.listen();
    }
    if (this.#options.wsPort !== undefined) {
      this.#ws = new WsTransport({
        host,
        port: this.#options.wsPort,
        logger,
        maxMessageBytes: limits.maxMessageBytes,
        onMessage: (data, connection) => this.#wsMessage(data, connection),
      });
      out.ws = await this.#ws.listen();
    }
    return out;
  }

  async #listenUdpTcp(out: SipListenAddresses): Promise<void> {
    const { host, logger, clock, limits } = this.#options;
    if (this.#options.udpPort !== undefined) {
      this.#udp = new UdpTransport({
        host,
        port: this.#options.udpPort,
        logger,
        onDatagram: (d, r) => this.#datagram(d, r),
      });
      out.udp = await this.#udp.listen();
    }
    if (this.#options.tcpPort !== undefined) {
      const port = this.#options.tcpPort === 0 && out.udp ? out.udp.port : this.#options.tcpPort;
      this.#tcp = new TcpTransport({
        host,
        port,
        logger,
        clock,
        maxMessageBytes: limits.maxMessageBytes,
        idleTimeoutMs: this.#options.idleTimeoutMs,
        maxConnections: this.#options.maxConnections,
        onChunk: (chunk, connection) => this.#streamChunk(chunk, connection),
      });
      out.tcp = await this.#tcp.listen();
    }
  }

  #wsMessage(data: Buffer, connection: SipConnection): void {
    const from: RemoteAddress = {
      protocol: "ws",
      address: connection.remoteAddress,
      port: connection.remotePort,
      flowId: connection.id,
    };
    if (isKeepAlive(data)) {
      this.#received.inc({ protocol: "ws", kind: "keepalive" });
      return;
    }
    this.#handle(data, from, this.#streamPath(connection));
  }

  async close(): Promise<void> {
    await Promise.all([this.#udp?.close(), this.#tcp?.close(), this.#tls?.close(), this.#ws?.close()]);
  }

  /**
   * A transport to send requests to `target` (client transactions, §18.1.1). A target with a
   * flow id (a registered UA's connection, RFC 5626 §5.3) is reached on that connection while it
   * is open; a TCP target without one is connected to (or an open connection to it is reused).
   * WebSocket peers can only be reached on their flow.
   */
  async transportTo(target: RemoteAddress): Promise<ReplyPath> {
    if (target.protocol === "udp") return this.#udpPath(target);
    const byProtocol = { tcp: this.#tcp, tls: this.#tls, ws: this.#ws, wss: this.#ws }[target.protocol];
    const flow = target.flowId === undefined ? undefined : byProtocol?.flow(target.flowId);
    if (flow) return this.#streamPath(flow);
    if (target.protocol === "tcp" && this.#tcp) {
      const connection = await this.#tcp.connectionTo(target.address, target.port);
      return this.#streamPath(connection);
    }
    throw new Error(`no open ${target.protocol} flow to ${target.address}:${target.port}`);
  }

  #datagram(data: Buffer, source: RemoteInfo): void {
    const from: RemoteAddress = {
      protocol: "udp",
      address: unmapIPv4(source.address),
      port: source.port,
    };
    if (isKeepAlive(data)) {
      this.#received.inc({ protocol: "udp", kind: "keepalive" });
      return;
    }
    this.#handle(data, from, this.#udpPath(from));
  }

  #streamChunk(chunk: FramedChunk, connection: SipConnection): void {
    const from: RemoteAddress = {
      protocol: connection.protocol,
      address: connection.remoteAddress,
      port: connection.remotePort,
      flowId: connection.id,
    };
    const reply = this.#streamPath(connection);
    if (chunk.kind === "keepalive") {
      // RFC 5626 §3.5.1: answer a double-CRLF ping with a single CRLF pong.
      this.#received.inc({ protocol: connection.protocol, kind: "keepalive" });
      connection.write(Buffer.from("\r\n"));
    } else if (chunk.kind === "message") {
      this.#handle(chunk.data, from, reply);
    } else {
      // The stream cannot be framed any more; answer what can be read of it, then the
      // connection is closed by the transport.
      this.#answerUnframed(chunk.data, chunk.error, reply);
    }
  }

  #handle(data: Buffer, from: RemoteAddress, reply: ReplyPath): void {
    if (this.#options.admit && !this.#options.admit(from)) {
      this.#invalid.inc({ reason: "banned source", outcome: "dropped" });
      return;
    }
    let message: SipMessageUnion;
    try {
      message = parseSipMessage(data, this.#options.limits);
    } catch (error) {
      this.#invalidMessage(error, reply);
      return;
    }
    this.#received.inc({ protocol: from.protocol, kind: message.kind });
    try {
      if (message.kind === "request") {
        stampVia(message, from);
        this.#options.user.receiveRequest(message, reply);
      } else {
        this.#options.user.receiveResponse(message, from);
      }
    } catch (error) {
      // A bug above must not take the listener down with it: log it with the call id and go on.
      this.#options.logger.error(
        { err: error, callId: message.headers.get("call-id") },
        "sip message handling failed",
      );
    }
  }

  #answerUnframed(data: Buffer, framingError: SipParseError, reply: ReplyPath): void {
    try {
      const readable = parseSipMessage(
        data.subarray(0, this.#options.limits.maxMessageBytes),
        this.#options.limits,
      );
      if (readable.kind === "request") framingError.partial = readable;
      this.#invalidMessage(framingError, reply);
    } catch (error) {
      if (error instanceof SipParseError && error.partial) {
        framingError.partial = error.partial;
        this.#invalidMessage(framingError, reply);
      } else {
        this.#invalidMessage(error, reply);
      }
    }
  }

  #invalidMessage(error: unknown, reply: ReplyPath): void {
    if (!(error instanceof SipParseError)) {
      this.#options.logger.error({ err: error, source: reply.source }, "sip message handling failed");
      this.#invalid.inc({ reason: "internal", outcome: "dropped" });
      return;
    }
    const partial = error.partial as SipRequest | undefined;
    if (partial) {
      this.#invalid.inc({ reason: error.reason, outcome: "answered" });
      this.#options.user.receiveInvalidRequest(partial, error, reply);
    } else {
      this.#invalid.inc({ reason: error.reason, outcome: "dropped" });
      this.#options.logger.debug({ source: reply.source, reason: error.message }, "sip message dropped");
    }
  }

  #udpPath(source: RemoteAddress): ReplyPath {
    const udp = this.#udp;
    const logger = this.#options.logger;
    return {
      reliable: false,
      source,
      send(message: SipMessageUnion) {
        const target = message.kind === "response" ? udpResponseTarget(message, source) : source;
        if (!udp) {
          logger.warn("no UDP transport to send on");
          return;
        }
        udp.send(message.toBuffer(), target.address, target.port);
      },
    };
  }

  #streamPath(connection: SipConnection): ReplyPath {
    return {
      reliable: isReliable(connection.protocol),
      source: {
        protocol: connection.protocol,
        address: connection.remoteAddress,
        port: connection.remotePort,
        flowId: connection.id,
      },
      send(message: SipMessageUnion) {
        connection.write(message.toBuffer());
      },
    };
  }
}

/**
 * §18.2.1: "the server MUST add a received parameter" when the sent-by host differs from the
 * packet's source address; RFC 3581 §4: when the request has an empty `rport`, the server fills
 * it with the source port (and always adds received).
 */
function stampVia(request: SipRequest, from: RemoteAddress): void {
  const top = request.vias[0];
  if (!top) return;
  const via = top.clone();
  const wantsRport = via.rport === null;
  const sameHost = addressForSocket(via.host).toLowerCase() === from.address.toLowerCase();
  if (sameHost && !wantsRport) return;
  via.params.set("received", from.address);
  if (wantsRport) via.params.set("rport", String(from.port));
  const values = splitList(request.headers.lines("via")[0] ?? "");
  values[0] = via.toString();
  request.headers.replaceFirst("via", values.join(", "));
}

/** §18.2.2 with RFC 3581 §4: to `received` (else sent-by host) at `rport` (else sent-by port, else 5060). */
function udpResponseTarget(response: SipResponse, source: RemoteAddress): { address: string; port: number } {
  try {
    const via = response.topVia;
    const address = via.received ?? addressForSocket(via.host);
    const port = typeof via.rport === "number" ? via.rport : (via.port ?? 5060);
    if (!/^[0-9.]+$|:/.test(address)) return source; // a host name: answer where it came from
    return { address, port };
  } catch {
    // The Via cannot be read (a malformed request answered with 400): answer the packet's source.
    return { address: source.address, port: source.port };
  }
}
