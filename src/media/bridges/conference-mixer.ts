import type { Clock } from "../../kernel/clock.ts";
import { decodeG711, encodeG711 } from "../codecs/g711.ts";
import { PcmFrame } from "../codecs/pcm-frame.ts";
import type { MediaEndpoint } from "../media-endpoint.ts";
import { MediaTicker } from "../media-ticker.ts";
import { PlayoutBuffer } from "../rtp/playout-buffer.ts";
import type { RtpPacket } from "../rtp/rtp-packet.ts";

interface Participant {
  endpoint: MediaEndpoint;
  buffer: PlayoutBuffer;
  pcm: Int16Array;
  heard: boolean;
  muted: boolean;
  off: () => void;
}

/** Sees one participant's frame each tick: what it said and what it heard (see ConferenceMixer.tap). */
export type ConferenceTap = (own: Int16Array, heard: Int16Array) => void;

/**
 * An N-party conference: every 20 ms (a drift-free ticker on the injected clock) it takes one
 * frame from each participant's playout buffer, sums them, and sends each participant the sum
 * minus its own voice, clipped to 16 bits and encoded in that participant's codec. Missing
 * frames count as silence; muted participants are heard by nobody but still hear everyone.
 */
export class ConferenceMixer {
  readonly #participants = new Map<string, Participant>();
  readonly #ticker: MediaTicker;
  readonly #sum = new Int32Array(PcmFrame.SAMPLES);
  readonly #out = new Int16Array(PcmFrame.SAMPLES);
  /** One encoded frame; session.send() copies it into the packet, so it is reused. */
  readonly #payload = new Uint8Array(PcmFrame.G711_PAYLOAD_BYTES);
  /** Listeners on one participant's audio, by participant id (a conference recording). */
  readonly #taps = new Map<string, Set<ConferenceTap>>();
  readonly #silence = new Int16Array(PcmFrame.SAMPLES);
  #closed = false;

  constructor(options: { clock: Clock }) {
    this.#ticker = new MediaTicker({ clock: options.clock, tick: () => this.#mix() });
  }

  get size(): number {
    return this.#participants.size;
  }

  join(id: string, endpoint: MediaEndpoint): void {
    if (this.#closed) throw new Error("join() on a closed ConferenceMixer");
    const buffer = new PlayoutBuffer(2);
    const listener = (packet: RtpPacket) => {
      if (packet.payloadType === endpoint.payloadType) buffer.push(packet);
    };
    endpoint.session.on("packet", listener);
    this.#participants.set(id, {
      endpoint,
      buffer,
      pcm: new Int16Array(PcmFrame.SAMPLES),
      heard: false,
      muted: false,
      off: () => endpoint.session.off("packet", listener),
    });
    if (!this.#ticker.running) this.#ticker.start();
  }

  leave(id: string): void {
    const participant = this.#participants.get(id);
    participant?.off();
    this.#participants.delete(id);
    if (this.#participants.size === 0) this.#ticker.stop();
  }

  /**
   * Follows one participant every 20 ms while it is in the room: `own` is what it said (silence
   * when it sent nothing or is muted), `heard` what the room sent it. Both buffers are reused on
   * the next tick: copy or write them at once. Returns the way to stop.
   */
  tap(id: string, tap: ConferenceTap): () => void {
    const taps = this.#taps.get(id) ?? new Set<ConferenceTap>();
    taps.add(tap);
    this.#taps.set(id, taps);
    return () => {
      taps.delete(tap);
      if (taps.size === 0 && this.#taps.get(id) === taps) this.#taps.delete(id);
    };
  }

  mute(id: string, muted: boolean): void {
    const participant = this.#participants.get(id);
    if (participant) participant.muted = muted;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ticker.stop();
    for (const id of [...this.#participants.keys()]) this.leave(id);
  }

  #mix(): void {
    const sum = this.#sum;
    sum.fill(0);
    for (const p of this.#participants.values()) {
      const packet = p.buffer.pop();
      p.heard = packet !== undefined && !p.muted;
      if (!p.heard || !packet) continue;
      decodeG711(p.endpoint.codec, packet.payload, p.pcm);
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (p.pcm[i] as number);
    }
    for (const [id, p] of this.#participants) {
      const out = this.#out;
      for (let i = 0; i < out.length; i++) {
        const value = (sum[i] as number) - (p.heard ? (p.pcm[i] as number) : 0);
        out[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
      }
      const taps = this.#taps.get(id);
      if (taps) for (const tap of taps) tap(p.heard ? p.pcm : this.#silence, out);
      p.endpoint.session.send(encodeG711(p.endpoint.codec, out, this.#payload), {
        payloadType: p.endpoint.payloadType,
      });
    }
  }
}
