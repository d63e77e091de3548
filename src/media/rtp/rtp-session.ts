import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import { RtpParseError } from "../errors.ts";
import { RTP_HEADER_LENGTH, RtpPacket } from "./rtp-packet.ts";
import type { RtpSocket } from "./rtp-socket.ts";

export interface RemoteEndpoint {
  address: string;
  port: number;
}

export interface RtpSessionEvents extends Record<string, unknown[]> {
  /** A valid RTP packet from the peer (after latching). */
  packet: [RtpPacket];
  /** The session learned (or changed) where the peer really sends from. */
  latched: [RemoteEndpoint];
  /** No packet for `timeoutMs`: the call is probably dead. */
  timeout: [];
  closed: [];
}

export interface RtpSessionOptions {
  socket: RtpSocket;
  clock: Clock;
  logger: Logger;
  /** Where the SDP says the peer is; replaced by the packet source once latched. */
  remote?: RemoteEndpoint;
  /** Silence that raises `timeout`, ms (0 disables). */
  timeoutMs?: number;
  /**
   * How long the latched source must have been silent before another source may take over
   * (a phone that changed network). Until then packets from other sources are dropped.
   */
  relatchAfterMs?: number;
}

/** How many samples one 20 ms frame of 8 kHz audio advances the timestamp. */
const FRAME_SAMPLES = 160;

/**
 * One leg's RTP stream (RFC 3550): receives and validates packets, latches onto the address the
 * peer really sends from (symmetric RTP, so NATed phones work) while refusing packets from other
 * sources, and sends with its own SSRC, sequence numbers and timestamps, so the peer hears one
 * continuous stream when the source behind it changes (prompt → ring-back → other party).
 */
export class RtpSession extends TypedEmitter<RtpSessionEvents> {
  readonly ssrc: number;
  readonly #socket: RtpSocket;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #relatchAfterMs: number;
  #remote: RemoteEndpoint | undefined;
  #latched = false;
  #lastReceivedAt: number;
  #timedOut = false;
  #watchdog: TimerHandle | undefined;
  // Outgoing stream state.
  #seq: number;
  #timestamp: number;
  #lastSentAt: number | undefined;
  /** Relay: the input SSRC being forwarded and the offsets that map it onto our stream. */
  #relay: { ssrc: number; seqOffset: number; tsOffset: number } | undefined;
  #closed = false;
  readonly stats = { received: 0, sent: 0, invalid: 0, foreign: 0 };

  constructor(options: RtpSessionOptions) {
    super();
    this.#socket = options.socket;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#remote = options.remote;
    this.#timeoutMs = options.timeoutMs ?? 0;
    this.#relatchAfterMs = options.relatchAfterMs ?? 2000;
    this.#lastReceivedAt = options.clock.monotonic();
    this.ssrc = Number.parseInt(randomHex(4), 16) >>> 0;
    this.#seq = Number.parseInt(randomHex(2), 16);
    this.#timestamp = Number.parseInt(randomHex(4), 16) >>> 0;
    this.onListenerError = (error, event) =>
      this.#logger.error({ err: error, event }, "rtp session listener failed");
    this.#socket.onRtp = (data, address, port) => this.#receive(data, address, port);
    if (this.#timeoutMs > 0) this.#armWatchdog();
  }

  get port(): number {
    return this.#socket.port;
  }

  get remote(): RemoteEndpoint | undefined {
    return this.#remote;
  }

  get latched(): boolean {
    return this.#latched;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The peer's address from SDP (a new offer or answer); latching starts over. */
  setRemote(remote: RemoteEndpoint): void {
    this.#remote = remote;
    this.#latched = false;
  }

  /** Sends one frame's payload on our own stream; `samples` advances the timestamp (160 for 20 ms). */
  send(payload: Uint8Array, options: { payloadType: number; samples?: number; marker?: boolean }): void {
    const remote = this.#remote;
    if (this.#closed || !remote) return;
    if (this.#lastSentAt !== undefined)
      this.#timestamp = (this.#timestamp + (options.samples ?? FRAME_SAMPLES)) >>> 0;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#relay = undefined;
    this.#write(remote, options.payloadType, this.#seq, this.#timestamp, options.marker ?? false, payload);
  }

  /**
   * Relays a packet from another leg, rewriting SSRC, sequence number and timestamp onto this
   * session's stream. When the input SSRC changes, the new source continues our sequence without
   * a gap and the marker bit flags the discontinuity (RFC 3550 §5.1, RFC 3551 §4.1).
   */
  forward(packet: RtpPacket): void {
    const remote = this.#remote;
    if (this.#closed || !remote) return;
    let marker = packet.marker;
    if (!this.#relay || this.#relay.ssrc !== packet.ssrc) {
      const nextSeq = (this.#seq + 1) & 0xffff;
      const nextTs =
        this.#lastSentAt === undefined ? this.#timestamp : (this.#timestamp + FRAME_SAMPLES) >>> 0;
      this.#relay = {
        ssrc: packet.ssrc,
        seqOffset: (nextSeq - packet.sequenceNumber) & 0xffff,
        tsOffset: (nextTs - packet.timestamp) >>> 0,
      };
      marker = true;
    }
    const seq = (packet.sequenceNumber + this.#relay.seqOffset) & 0xffff;
    const timestamp = (packet.timestamp + this.#relay.tsOffset) >>> 0;
    this.#seq = seq;
    this.#timestamp = timestamp;
    this.#write(remote, packet.payloadType, seq, timestamp, marker, packet.payload);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watchdog?.cancel();
    this.#socket.close();
    this.safeEmit("closed");
    this.removeAllListeners();
  }

  /**
   * Writes the 12-octet RFC 3550 header (V=2, no padding, extension or CSRCs: this session is the
   * source) and the payload into a fresh buffer and sends it. A fresh buffer per packet, because
   * dgram sends asynchronously; no RtpPacket object on this per-packet path.
   */
  #write(
    remote: RemoteEndpoint,
    payloadType: number,
    seq: number,
    timestamp: number,
    marker: boolean,
    payload: Uint8Array,
  ): void {
    const out = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.byteLength);
    out[0] = 0x80;
    out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
    out.writeUInt16BE(seq, 2);
    out.writeUInt32BE(timestamp, 4);
    out.writeUInt32BE(this.ssrc, 8);
    out.set(payload, RTP_HEADER_LENGTH);
    this.#socket.sendRtp(out, remote.port, remote.address);
    this.#lastSentAt = this.#clock.monotonic();
    this.stats.sent += 1;
  }

  #receive(data: Buffer, address: string, port: number): void {
    let packet: RtpPacket;
    try {
      packet = RtpPacket.parse(data);
    } catch (error) {
      if (!(error instanceof RtpParseError)) throw error;
      this.stats.invalid += 1;
      return;
    }
    const now = this.#clock.monotonic();
    const remote = this.#remote;
    const fromRemote = remote !== undefined && remote.address === address && remote.port === port;
    if (!fromRemote) {
      // Latch on the first valid packet (the SDP address may be a private one behind NAT); after
      // that another source takes over only once the latched one has gone quiet.
      const mayLatch = !this.#latched || now - this.#lastReceivedAt >= this.#relatchAfterMs;
      if (!mayLatch) {
        this.stats.foreign += 1;
        return;
      }
      this.#remote = { address, port };
      this.#latched = true;
      this.#logger.debug({ address, port }, "rtp latched");
      this.safeEmit("latched", { address, port });
    } else {
      this.#latched = true;
    }
    this.#lastReceivedAt = now;
    this.#timedOut = false;
    this.stats.received += 1;
    this.safeEmit("packet", packet);
  }

  #armWatchdog(): void {
    const every = Math.max(250, Math.floor(this.#timeoutMs / 4));
    this.#watchdog = this.#clock.setTimer(every, () => {
      if (this.#closed) return;
      if (!this.#timedOut && this.#clock.monotonic() - this.#lastReceivedAt >= this.#timeoutMs) {
        this.#timedOut = true;
        this.safeEmit("timeout");
      }
      this.#armWatchdog();
    });
  }
}
