import { readFileSync } from "node:fs";
import { readWav } from "../../src/media/index.ts";

const PROMPTS = new URL("../../assets/prompts/", import.meta.url);
/** 20 ms at 8 kHz: one RTP packet of G.711. */
const FRAME = 160;

/** Loudness per 20 ms frame (RMS). */
function envelope(samples: Int16Array): Float64Array {
  const out = new Float64Array(Math.floor(samples.length / FRAME));
  for (let f = 0; f < out.length; f++) {
    let sum = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) sum += ((samples[i] ?? 0) / 32768) ** 2;
    out[f] = Math.sqrt(sum / FRAME);
  }
  return out;
}

function pearson(a: Float64Array, b: Float64Array, offset: number): number {
  const n = b.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[offset + i] as number;
    sb += b[i] as number;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[offset + i] as number) - ma;
    const y = (b[i] as number) - mb;
    cov += x * y;
    va += x * x;
    vb += y * y;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

/** Where a prompt from assets/prompts was heard in a recording, and how closely it matched. */
export interface PromptMatch {
  /** Seconds from the start of `heard` to where the prompt begins. */
  at: number;
  /** The prompt's length in seconds. */
  seconds: number;
  /** Correlation (-1..1) of the 20 ms loudness envelopes: about 0.9 and more for the prompt itself. */
  correlation: number;
}

/**
 * Finds prompt `name` (8 kHz mono WAV in assets/prompts) in what a phone heard (8 kHz): slides
 * the prompt's loudness envelope over the recording's (20 ms frames, so codec and resampling
 * differences do not matter) and keeps the best match. The prompt may run past the end of the
 * recording by a fifth of its length (a hang-up right after it, the phone's last frames unsaved).
 */
export function findPrompt(heard: Int16Array, name: string): PromptMatch {
  const prompt = readWav(readFileSync(new URL(`${name}.wav`, PROMPTS))).samples[0] as Int16Array;
  const wanted = envelope(prompt);
  const got = envelope(heard);
  const minOverlap = Math.min(got.length, Math.ceil(wanted.length * 0.8));
  let best = { at: 0, correlation: -1 };
  for (let offset = 0; offset + minOverlap <= got.length; offset++) {
    const overlap = Math.min(wanted.length, got.length - offset);
    const correlation = pearson(got, wanted.subarray(0, overlap), offset);
    if (correlation > best.correlation) best = { at: offset, correlation };
  }
  return { at: (best.at * FRAME) / 8000, seconds: prompt.length / 8000, correlation: best.correlation };
}
