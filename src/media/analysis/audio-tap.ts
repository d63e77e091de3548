import type { Clock } from "../../kernel/clock.ts";
import { decodeG711 } from "../codecs/g711.ts";
import { PcmFrame } from "../codecs/pcm-frame.ts";
import type { MediaEndpoint } from "../media-endpoint.ts";
import { MediaTicker } from "../media-ticker.ts";
import { PlayoutBuffer } from "../rtp/playout-buffer.ts";
import type { RtpPacket } from "../rtp/rtp-packet.ts";

export interface AudioTapOptions {
  /** The party whose audio (what its phone sends) is analysed. */
  endpoint: MediaEndpoint;
  clock: Clock;
  /**
   * Called every 20 ms with the next frame; `received` is false when its packet was missing
   * (the frame is silence then). Do not keep `pcm`: the same array is reused.
   */
  onFrame: (pcm: Int16Array, received: boolean) => void;
}

/**
 * Hands one party's audio to an analyser as 20 ms PCM frames, in step with the clock: the same
 * tap as the Recorder's (a playout buffer per endpoint, one frame per tick of a MediaTicker), so
 * lost or late packets become silent frames and analysis time is wall-clock time even when the
 * peer sends nothing. Listening does not change the media: bridges and players go on as before.
 */
export class AudioTap {
  readonly #endpoint: MediaEndpoint;
  readonly #buffer = new PlayoutBuffer(2);
  readonly #pcm = new Int16Array(PcmFrame.SAMPLES);
  readonly #ticker: MediaTicker;
  readonly #onFrame: AudioTapOptions["onFrame"];
  readonly #listener = (packet: RtpPacket): void => {
    if (packet.payloadType === this.#endpoint.payloadType) this.#buffer.push(packet);
  };
  #frames = 0;
  #closed = false;

  constructor(options: AudioTapOptions) {
    this.#endpoint = options.endpoint;
    this.#onFrame = options.onFrame;
    this.#endpoint.session.on("packet", this.#listener);
    this.#ticker = new MediaTicker({ clock: options.clock, tick: () => this.#tick() });
    this.#ticker.start();
  }

  /** Frames handed over so far. */
  get frames(): number {
    return this.#frames;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops listening; a second call does nothing. Safe from inside `onFrame`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ticker.stop();
    this.#endpoint.session.off("packet", this.#listener);
  }

  #tick(): void {
    if (this.#closed) return;
    const packet = this.#buffer.pop();
    this.#pcm.fill(0);
    if (packet) {
      // Another packetization than 20 ms is cut or padded to one frame.
      const octets = Math.min(packet.payload.length, PcmFrame.SAMPLES);
      decodeG711(this.#endpoint.codec, packet.payload.subarray(0, octets), this.#pcm.subarray(0, octets));
    }
    this.#frames += 1;
    this.#onFrame(this.#pcm, packet !== undefined);
  }
}
