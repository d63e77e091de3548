import {
  decodeG711,
  type MediaEngine,
  type OwnedEndpoint,
  type Player,
  type PlayItem,
  type RtpPacket,
} from "../media/index.ts";

export interface CallAudioOptions {
  engine: MediaEngine;
  /** The call's negotiated endpoint; CallAudio closes it. */
  endpoint: OwnedEndpoint;
  /** A steady tone sent for the whole call, Hz; 0 sends silence. */
  toneHz: number;
  /** How much of the latest received audio heard() keeps, ms. */
  keepMs: number;
}

/** One second of silence, looped: RTP keeps flowing (the peer's latching and media timeout need it). */
const SILENCE: PlayItem = { kind: "silence", ms: 1000 };

/**
 * The audio of one call at the phone. What it sends: a steady tone (or silence) as 20 ms frames
 * in the negotiated G.711 law, through the media engine's Player on the call's RTP session
 * (RFC 3550/RFC 3551 PCMU). What it hears: every RTP payload of the negotiated payload type from
 * the latched peer, decoded to 8 kHz PCM in arrival order (telephone-event and other payload types
 * are left out), the latest `keepMs` kept for `heard()` after the call too.
 */
export class CallAudio {
  readonly #endpoint: OwnedEndpoint;
  readonly #player: Player;
  readonly #keepSamples: number;
  readonly #chunks: Int16Array[] = [];
  #samples = 0;
  #closed = false;
  readonly #receive = (packet: RtpPacket): void => {
    if (packet.payloadType !== this.#endpoint.payloadType || packet.payload.length === 0) return;
    const pcm = decodeG711(this.#endpoint.codec, packet.payload);
    this.#chunks.push(pcm);
    this.#samples += pcm.length;
    while (this.#samples - (this.#chunks[0]?.length ?? 0) >= this.#keepSamples) {
      this.#samples -= this.#chunks.shift()?.length ?? 0;
    }
  };

  constructor(options: CallAudioOptions) {
    this.#endpoint = options.endpoint;
    this.#keepSamples = Math.max(160, Math.round(options.keepMs * 8));
    options.endpoint.session.on("packet", this.#receive);
    this.#player = options.engine.player(options.endpoint);
    const item: PlayItem =
      options.toneHz > 0
        ? { kind: "tone", tone: { frequencies: [options.toneHz], cadenceMs: [], repeat: true } }
        : SILENCE;
    this.#player.play([item], { loop: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The received audio so far (at most the latest `keepMs`), as one 8 kHz PCM block. */
  heard(): Int16Array {
    const out = new Int16Array(this.#samples);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** Stops sending and receiving and releases the RTP ports; what was heard stays readable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#player.close();
    this.#endpoint.session.off("packet", this.#receive);
    this.#endpoint.close();
  }
}
