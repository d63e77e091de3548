/**
 * ToneProbe: frequency checks for audio tests. `goertzel` measures the power of one frequency in a
 * block of samples, `dominantTone` picks the strongest of a few candidates, and `sineFrame` makes test
 * tones. Int16 input is scaled to full scale (±32768 → ±1); Float32 input is taken as already in ±1.
 */

/** Samples as full-scale floats in -1..1. */
function sampleAt(samples: Int16Array | Float32Array, i: number): number {
  const value = samples[i] ?? 0;
  return samples instanceof Int16Array ? value / 32768 : value;
}

/**
 * Goertzel power of `frequency` in `samples`, normalised so that a full-scale-relative sine of
 * amplitude A at that frequency yields about A² (a full-scale sine ≈ 1, silence 0), whatever the
 * block length. Frequencies that are whole multiples of `sampleRate / samples.length` measure exactly.
 */
export function goertzel(samples: Int16Array | Float32Array, sampleRate: number, frequency: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const omega = (2 * Math.PI * frequency) / sampleRate;
  const coefficient = 2 * Math.cos(omega);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = sampleAt(samples, i) + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const magnitudeSquared = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  // |X(f)| of a sine of amplitude A over n samples is A·n/2.
  return (4 * magnitudeSquared) / (n * n);
}

/** The strongest candidate, its power, and how many times stronger it is than the runner-up. */
export interface DominantTone {
  readonly frequency: number;
  readonly power: number;
  /** power / runner-up power; Infinity when the runner-up is silent or there is no runner-up. */
  readonly ratio: number;
}

/** The candidate frequency with the highest Goertzel power in `samples`. */
export function dominantTone(
  samples: Int16Array | Float32Array,
  sampleRate: number,
  candidates: readonly number[],
): DominantTone {
  if (candidates.length === 0) throw new Error("dominantTone needs at least one candidate frequency");
  const measured = candidates
    .map((frequency) => ({ frequency, power: goertzel(samples, sampleRate, frequency) }))
    .sort((a, b) => b.power - a.power);
  const best = measured[0] ?? { frequency: 0, power: 0 };
  const next = measured[1]?.power ?? 0;
  return { frequency: best.frequency, power: best.power, ratio: next > 0 ? best.power / next : Infinity };
}

/**
 * A sine tone as 16-bit PCM: `samples` samples of `frequency` Hz at `sampleRate`, with `amplitude` as
 * a fraction of full scale (0..1) and `phaseOffset` in radians. Continue a tone across frames with
 * `phaseOffset = 2π·frequency·samplesSoFar / sampleRate`.
 */
export function sineFrame(
  frequency: number,
  sampleRate: number,
  samples: number,
  amplitude = 0.5,
  phaseOffset = 0,
): Int16Array {
  const out = new Int16Array(samples);
  const step = (2 * Math.PI * frequency) / sampleRate;
  for (let i = 0; i < samples; i++) {
    out[i] = Math.max(
      -32768,
      Math.min(32767, Math.round(amplitude * 32767 * Math.sin(phaseOffset + step * i))),
    );
  }
  return out;
}

/** Root-mean-square level, in full-scale units (see `sampleAt`). */
export function rms(samples: Int16Array | Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const value = sampleAt(samples, i);
    sum += value * value;
  }
  return Math.sqrt(sum / samples.length);
}

/** Level difference in decibels between two RMS values (20·log10(a / b)). */
export function levelDb(a: number, b: number): number {
  return 20 * Math.log10(a / b);
}

/** The same functions as one object, for `ToneProbe.goertzel(...)` call sites. */
export const ToneProbe = Object.freeze({ goertzel, dominantTone, sineFrame, rms, levelDb });
