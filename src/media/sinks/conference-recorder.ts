import { PcmFrame } from "../codecs/pcm-frame.ts";
import { WavWriter } from "../formats/wav-writer.ts";

/**
 * Records one participant of a conference as a stereo WAV, fed by the mixer's tap every 20 ms:
 * what the participant said on the left, what the room sent it (everyone else) on the right. The
 * mixer's timer keeps the channels in step; ticks where the participant sent nothing are
 * silence. Like Recorder, the header is rewritten every `flushEveryFrames` frames so a crash
 * leaves a playable file, and a pause writes silence or skips.
 */
export class ConferenceRecorder {
  readonly #writer: WavWriter;
  readonly #flushEvery: number;
  readonly #silence = new Int16Array(PcmFrame.SAMPLES);
  #frames = 0;
  #paused: "silence" | "skip" | undefined;
  #closed = false;
  /** Set by whoever feeds the recorder: stops the feed when the recorder closes. */
  onClose: (() => void) | undefined;

  constructor(options: { path: string; flushEveryFrames?: number }) {
    this.#flushEvery = options.flushEveryFrames ?? 50;
    this.#writer = new WavWriter(options.path, { sampleRate: PcmFrame.SAMPLE_RATE, channels: 2 });
  }

  get framesWritten(): number {
    return this.#frames;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One 20 ms frame of each channel. */
  write(left: Int16Array, right: Int16Array): void {
    if (this.#closed || this.#paused === "skip") return;
    if (this.#paused === "silence") this.#writer.writeStereo(this.#silence, this.#silence);
    else this.#writer.writeStereo(left, right);
    this.#frames += 1;
    if (this.#frames % this.#flushEvery === 0) this.#writer.flush();
  }

  pause(options: { silence?: boolean } = {}): void {
    this.#paused = options.silence ? "silence" : "skip";
  }

  resume(): void {
    this.#paused = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose?.();
    this.#writer.close();
  }
}
