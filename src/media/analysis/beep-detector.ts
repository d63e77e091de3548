import { PcmFrame } from "../codecs/pcm-frame.ts";

export interface BeepDetectorOptions {
  /** Lowest beep frequency looked for, Hz. */
  minFrequencyHz: number;
  /** Highest beep frequency looked for, Hz. */
  maxFrequencyHz: number;
  /** How long the tone must hold, ms (whole 20 ms frames). */
  minDurationMs: number;
  /** Share of a frame's energy (0..1) that must sit within ±1 bin (±50 Hz) of the strongest frequency. */
  minPurity: number;
  /** Mean absolute sample value under which a frame is silence (no beep). */
  silenceThreshold: number;
}

/** Width of one analysis bin: a 160-sample frame at 8 kHz resolves 50 Hz. */
const BIN_HZ = PcmFrame.SAMPLE_RATE / PcmFrame.SAMPLES;

/**
 * Finds a steady single tone (a voicemail "beep") in 20 ms frames of 8 kHz PCM. Each frame is
 * measured with the Goertzel algorithm at every 50 Hz bin from `minFrequencyHz` to
 * `maxFrequencyHz` (the exact DFT bins of a 160-sample frame). A frame is tonal when the
 * strongest bin and its two neighbours hold at least `minPurity` of the frame's energy, which a
 * sine does (≥ 85 % even between two bins) and speech, spread over many harmonics, does not. The
 * beep is found when tonal frames at the same frequency (±1 bin) follow one another for
 * `minDurationMs`; speech pitch moves too much to stay that long.
 */
export class BeepDetector {
  readonly #options: BeepDetectorOptions;
  /** Goertzel coefficients 2·cos(2πk/N), one per bin from lowBin - 1 to highBin + 1. */
  readonly #coefficients: Float64Array;
  readonly #lowBin: number;
  readonly #power: Float64Array;
  readonly #framesNeeded: number;
  #run = 0;
  #runBin = -1;

  constructor(options: BeepDetectorOptions) {
    this.#options = options;
    const low = Math.max(1, Math.round(options.minFrequencyHz / BIN_HZ));
    const high = Math.min(PcmFrame.SAMPLES / 2 - 2, Math.round(options.maxFrequencyHz / BIN_HZ));
    if (high < low) throw new RangeError("the beep frequency range is empty");
    this.#lowBin = low - 1;
    this.#coefficients = new Float64Array(high - low + 3);
    for (let i = 0; i < this.#coefficients.length; i++) {
      this.#coefficients[i] = 2 * Math.cos((2 * Math.PI * (this.#lowBin + i)) / PcmFrame.SAMPLES);
    }
    this.#power = new Float64Array(this.#coefficients.length);
    this.#framesNeeded = Math.max(1, Math.ceil(options.minDurationMs / PcmFrame.DURATION_MS));
  }

  /** Frequency (Hz) of the tone being followed, or undefined. */
  get frequencyHz(): number | undefined {
    return this.#run > 0 ? this.#runBin * BIN_HZ : undefined;
  }

  /** Takes the next frame; true once a steady tone has lasted `minDurationMs` (and while it lasts). */
  push(frame: Int16Array): boolean {
    const bin = this.#tonalBin(frame);
    if (bin === undefined) {
      this.#run = 0;
      return false;
    }
    if (this.#run > 0 && Math.abs(bin - this.#runBin) <= 1) {
      this.#run += 1;
    } else {
      this.#run = 1;
      this.#runBin = bin;
    }
    return this.#run >= this.#framesNeeded;
  }

  /** The bin of the frame's single tone, or undefined when the frame is quiet or not tonal. */
  #tonalBin(frame: Int16Array): number | undefined {
    let energy = 0;
    let magnitude = 0;
    for (let i = 0; i < frame.length; i++) {
      const x = frame[i] as number;
      energy += x * x;
      magnitude += x < 0 ? -x : x;
    }
    if (magnitude / frame.length < this.#options.silenceThreshold) return undefined;
    const power = this.#power;
    for (let b = 0; b < this.#coefficients.length; b++) {
      const c = this.#coefficients[b] as number;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < frame.length; i++) {
        const s0 = (frame[i] as number) + c * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      power[b] = s1 * s1 + s2 * s2 - c * s1 * s2;
    }
    // The candidates are the inner bins; the outer two only serve as neighbours.
    let best = 1;
    for (let b = 2; b < power.length - 1; b++) if ((power[b] as number) > (power[best] as number)) best = b;
    const peak = (power[best - 1] as number) + (power[best] as number) + (power[best + 1] as number);
    // Parseval: a real sine exactly on bin k has |X_k|² = N·Σx²/2.
    const purity = (2 * peak) / (frame.length * energy);
    return purity >= this.#options.minPurity ? this.#lowBin + best : undefined;
  }
}
