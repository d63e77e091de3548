/**
 * ToneGenerator: call-progress tones as 20 ms, 8 kHz PCM frames. Frequencies and cadences follow
 * ITU-T E.180 and its Supplement 2 (national tone plans): the North American plan (ANSI T1.401:
 * ring-back 440+480 Hz 2 s on 4 s off, busy 480+620 Hz 0.5/0.5 s), the CEPT/ITU plan most of
 * Europe uses (425 Hz; ring-back 1 s on 4 s off, busy 0.5/0.5 s) and the UK plan (400+450 Hz
 * double ring). A plan can also be given as data.
 *
 * Each frequency keeps its own phase accumulator across frames, so a tone has no phase jump at frame
 * boundaries, and each "on" burst starts and ends with a short linear ramp so that cadence edges do
 * not click either. `next()` fills and returns ONE reused Int16Array: the caller must copy it
 * (`frame.slice()`) if it keeps it past the following `next()` call.
 */
import { PcmFrame } from "../codecs/pcm-frame.ts";

export type ToneName = "ringback" | "busy" | "congestion" | "dial" | "beep";

/** One tone: the frequencies played together and the on/off cadence. */
export interface ToneSpec {
  /** Frequencies in Hz, summed (each at `levelDbm0`). */
  readonly frequencies: readonly number[];
  /**
   * Alternating on/off durations in ms, starting with "on" ([2000, 4000] = 2 s on, 4 s off).
   * Empty means a steady tone.
   */
  readonly cadenceMs: readonly number[];
  /** Whether the cadence repeats; a non-repeating tone ends after one pass (`next()` → undefined). */
  readonly repeat: boolean;
}

/** A national tone plan: the cadenced call-progress tones. The beep is the same everywhere. */
export interface TonePlan {
  readonly ringback: ToneSpec;
  readonly busy: ToneSpec;
  readonly congestion: ToneSpec;
  readonly dial: ToneSpec;
}

export type TonePlanName = "us" | "eu" | "uk";

const steady = (frequencies: number[]): ToneSpec => ({ frequencies, cadenceMs: [], repeat: true });
const cadenced = (frequencies: number[], cadenceMs: number[]): ToneSpec => ({
  frequencies,
  cadenceMs,
  repeat: true,
});

export const TONE_PLANS: Readonly<Record<TonePlanName, TonePlan>> = Object.freeze({
  us: {
    ringback: cadenced([440, 480], [2000, 4000]),
    busy: cadenced([480, 620], [500, 500]),
    congestion: cadenced([480, 620], [250, 250]),
    dial: steady([350, 440]),
  },
  eu: {
    ringback: cadenced([425], [1000, 4000]),
    busy: cadenced([425], [500, 500]),
    congestion: cadenced([425], [250, 250]),
    dial: steady([425]),
  },
  uk: {
    ringback: cadenced([400, 450], [400, 200, 400, 2000]),
    busy: cadenced([400], [375, 375]),
    congestion: cadenced([400], [400, 350, 225, 525]),
    dial: steady([350, 440]),
  },
});

/** A single 1000 Hz beep of 200 ms (e.g. the "start speaking" prompt of voicemail). */
export const BEEP: ToneSpec = Object.freeze({ frequencies: [1000], cadenceMs: [200], repeat: false });

export interface ToneGeneratorOptions {
  /** Tone plan for named tones (default "us"). */
  readonly plan?: TonePlanName | TonePlan;
  /** Level of each frequency component in dBm0 (default -10; E.180 allows about -10 to -24). */
  readonly levelDbm0?: number;
  /** Length of the fade-in/out at each cadence edge in ms (default 2; 0 for hard edges). */
  readonly rampMs?: number;
}

/** Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM (3.14 dBm0 is full scale, G.711). */
const ZERO_DBM0_PEAK = 32768 * 10 ** (-3.14 / 20);
const TWO_PI = 2 * Math.PI;

/** Resolves a tone name (or spec) against a plan. */
export function resolveTone(tone: ToneName | ToneSpec, plan: TonePlanName | TonePlan = "us"): ToneSpec {
  if (typeof tone !== "string") return tone;
  if (tone === "beep") return BEEP;
  const table = typeof plan === "string" ? TONE_PLANS[plan] : plan;
  return table[tone];
}

/**
 * Produces frames of one tone. Frames are generated on demand (no clock here); the media ticker
 * calls `next()` every 20 ms.
 */
export class ToneGenerator {
  readonly spec: ToneSpec;
  readonly sampleRate = PcmFrame.SAMPLE_RATE;
  readonly #frame = new Int16Array(PcmFrame.SAMPLES);
  readonly #steps: Float64Array;
  readonly #phases: Float64Array;
  readonly #amplitude: number;
  readonly #rampSamples: number;
  /** Segment boundaries in samples from the start of a cadence cycle: [end of seg 0, end of seg 1, …]. */
  readonly #segmentEnds: number[];
  readonly #cycle: number;
  /** Samples produced so far. */
  #position = 0;

  constructor(
    tone: ToneName | ToneSpec,
    { plan = "us", levelDbm0 = -10, rampMs = 2 }: ToneGeneratorOptions = {},
  ) {
    const spec = resolveTone(tone, plan);
    if (spec.frequencies.length === 0) throw new RangeError("a tone needs at least one frequency");
    for (const f of spec.frequencies) {
      if (!(f > 0 && f < this.sampleRate / 2)) throw new RangeError(`tone frequency ${f} Hz is out of range`);
    }
    for (const ms of spec.cadenceMs) {
      if (!(ms > 0) || !Number.isFinite(ms))
        throw new RangeError(`cadence durations must be positive, got ${ms}`);
    }
    this.spec = spec;
    this.#steps = Float64Array.from(spec.frequencies, (f) => (TWO_PI * f) / this.sampleRate);
    this.#phases = new Float64Array(spec.frequencies.length);
    this.#amplitude = ZERO_DBM0_PEAK * 10 ** (levelDbm0 / 20);
    if (this.#amplitude * spec.frequencies.length > 32767) {
      throw new RangeError(`level ${levelDbm0} dBm0 × ${spec.frequencies.length} tones would clip`);
    }
    this.#rampSamples = Math.max(0, Math.round((rampMs * this.sampleRate) / 1000));
    this.#segmentEnds = [];
    let end = 0;
    for (const ms of spec.cadenceMs) {
      end += Math.round((ms * this.sampleRate) / 1000);
      this.#segmentEnds.push(end);
    }
    this.#cycle = end;
  }

  /** Milliseconds of audio produced so far. */
  get elapsedMs(): number {
    return (this.#position * 1000) / this.sampleRate;
  }

  /** True once a non-repeating tone has produced all its frames. */
  get done(): boolean {
    return !this.spec.repeat && this.#cycle > 0 && this.#position >= this.#cycle;
  }

  /** Starts the tone over from the beginning of its cadence. */
  reset(): void {
    this.#position = 0;
    this.#phases.fill(0);
  }

  /**
   * The next 20 ms frame, or undefined after a finite tone has ended. The returned array is reused by
   * the following call: copy it to keep it.
   */
  next(): Int16Array | undefined {
    if (this.done) return undefined;
    const frame = this.#frame;
    const steps = this.#steps;
    const phases = this.#phases;
    const components = steps.length;
    for (let i = 0; i < frame.length; i++) {
      const gain = this.#gainAt(this.#position);
      let sum = 0;
      for (let c = 0; c < components; c++) {
        const phase = phases[c] ?? 0;
        if (gain > 0) sum += Math.sin(phase);
        const advanced = phase + (steps[c] ?? 0);
        phases[c] = advanced >= TWO_PI ? advanced - TWO_PI : advanced;
      }
      frame[i] = gain > 0 ? Math.round(sum * this.#amplitude * gain) : 0;
      this.#position++;
    }
    return frame;
  }

  /** Envelope 0..1 at an absolute sample position: 0 in "off" segments, ramps at the edges of "on". */
  #gainAt(position: number): number {
    let start = 0;
    let end: number;
    if (this.#cycle === 0) {
      return this.#rampSamples > 0 ? Math.min(1, (position + 1) / this.#rampSamples) : 1;
    }
    if (!this.spec.repeat && position >= this.#cycle) return 0;
    const offset = position % this.#cycle;
    let segment = 0;
    for (;;) {
      end = this.#segmentEnds[segment] ?? this.#cycle;
      if (offset < end) break;
      start = end;
      segment++;
    }
    if (segment % 2 === 1) return 0;
    const ramp = this.#rampSamples;
    if (ramp === 0) return 1;
    const fromStart = offset - start + 1;
    const toEnd = end - offset;
    return Math.min(1, fromStart / ramp, toEnd / ramp);
  }
}
