import type { Clock } from "../../kernel/clock.ts";
import { decodeG711 } from "../codecs/g711.ts";
import { PcmFrame } from "../codecs/pcm-frame.ts";
import { WavWriter } from "../formats/wav-writer.ts";
import type { MediaEndpoint } from "../media-endpoint.ts";
import { MediaTicker } from "../media-ticker.ts";
import { PlayoutBuffer } from "../rtp/playout-buffer.ts";
import type { RtpPacket } from "../rtp/rtp-packet.ts";

export interface RecorderOptions {
  path: string;
  clock: Clock;
  /** Left channel (the caller) and right channel (the callee); without `right`, one party alone (mono). */
  left: MediaEndpoint;
  right?: MediaEndpoint;
  /** "stereo" (default): caller left, callee right; "mono": both mixed. */
  layout?: "stereo" | "mono";
  /** Frames between header rewrites; the file is playable up to the last one after a crash. */
  flushEveryFrames?: number;
  /** Sees each frame written (mono: the mixed frame; stereo: the left channel), e.g. for silence detection; do not keep `pcm`. */
  onFrame?: (pcm: Int16Array) => void;
}

/**
 * Records a call while it runs, as a tap on both legs (FreeSWITCH's media bug): every 20 ms it
 * takes one frame per leg from a playout buffer, so lost or late packets become silence and both
 * channels stay in step with the wall clock. The WAV header is rewritten every
 * `flushEveryFrames` frames (default 50, one second), so a crash leaves a playable file.
 */
export class Recorder {
  readonly #writer: WavWriter;
  readonly #ticker: MediaTicker;
  readonly #left = new PlayoutBuffer(2);
  readonly #right = new PlayoutBuffer(2);
  readonly #leftPcm = new Int16Array(PcmFrame.SAMPLES);
  readonly #rightPcm = new Int16Array(PcmFrame.SAMPLES);
  readonly #layout: "stereo" | "mono";
  readonly #flushEvery: number;
  readonly #off: Array<() => void> = [];
  #frames = 0;
  #paused: "silence" | "skip" | undefined;
  #closed = false;

  constructor(options: RecorderOptions) {
    this.#layout = options.right ? (options.layout ?? "stereo") : "mono";
    this.#flushEvery = options.flushEveryFrames ?? 50;
    this.#writer = new WavWriter(options.path, {
      sampleRate: PcmFrame.SAMPLE_RATE,
      channels: this.#layout === "stereo" ? 2 : 1,
    });
    this.#tap(options.left, this.#left);
    if (options.right) this.#tap(options.right, this.#right);
    this.#ticker = new MediaTicker({ clock: options.clock, tick: () => this.#record(options) });
    this.#ticker.start();
  }

  get framesWritten(): number {
    return this.#frames;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops recording the parties until resume(): with `silence` the paused span is written as
   * silence (the file keeps the call's timeline), otherwise it is left out of the file.
   */
  pause(options: { silence?: boolean } = {}): void {
    this.#paused = options.silence ? "silence" : "skip";
  }

  resume(): void {
    this.#paused = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ticker.stop();
    for (const off of this.#off) off();
    this.#writer.close();
  }

  #tap(endpoint: MediaEndpoint, buffer: PlayoutBuffer): void {
    const listener = (packet: RtpPacket) => {
      if (packet.payloadType === endpoint.payloadType) buffer.push(packet);
    };
    endpoint.session.on("packet", listener);
    this.#off.push(() => endpoint.session.off("packet", listener));
  }

  #record(options: RecorderOptions): void {
    const left = this.#frame(this.#left, options.left, this.#leftPcm);
    const right = options.right
      ? this.#frame(this.#right, options.right, this.#rightPcm)
      : this.#rightPcm.fill(0);
    if (this.#paused === "skip") return;
    if (this.#paused === "silence") {
      left.fill(0);
      right.fill(0);
    }
    if (this.#layout === "stereo") {
      this.#writer.writeStereo(left, right);
    } else {
      for (let i = 0; i < left.length; i++) {
        const value = (left[i] as number) + (right[i] as number);
        left[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
      }
      this.#writer.write(left);
    }
    options.onFrame?.(left);
    this.#frames += 1;
    if (this.#frames % this.#flushEvery === 0) this.#writer.flush();
  }

  /** The next frame of a leg as PCM, or silence when its packet is missing. */
  #frame(buffer: PlayoutBuffer, endpoint: MediaEndpoint, pcm: Int16Array): Int16Array {
    const packet = buffer.pop();
    if (packet) decodeG711(endpoint.codec, packet.payload, pcm);
    else pcm.fill(0);
    return pcm;
  }
}
