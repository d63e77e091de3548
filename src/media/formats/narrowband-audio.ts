import { ParleyError } from "../../kernel/parley-error.ts";
import { readWav } from "./wav-reader.ts";
import { WAV_HEADER_BYTES, wavHeader } from "./wav-writer.ts";

/** The telephone rate: what G.711 carries and what the Player plays. */
export const NARROWBAND_RATE = 8000;

/** The formats an uploaded prompt or ring-back tone may come in. */
export type UploadedAudioType = "audio/wav" | "audio/mpeg";

/**
 * Audio that cannot be turned into telephone audio: not WAV or MP3, an encoding the decoders do
 * not read (8-bit WAV, µ-law WAV, …), no samples, or longer than allowed (code `MEDIA_AUDIO_DECODE`).
 */
export class AudioDecodeError extends ParleyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MEDIA_AUDIO_DECODE", message, options);
  }
}

export interface NarrowbandOptions {
  /** Longer audio is refused; 300 s unless told. */
  maxSeconds?: number;
}

const DEFAULT_MAX_SECONDS = 300;
const MIN_RATE = 4000;
const MAX_RATE = 192_000;
/** MP3 input is fed to the decoder this many bytes at a time, so its float output stays small. */
const MP3_CHUNK_BYTES = 64 * 1024;

/**
 * Converts an uploaded WAV (16-bit PCM, any rate from 4 to 192 kHz, any number of channels) or MP3
 * (MPEG-1/2 layer I–III, decoded by mpg123 compiled to WebAssembly) to what telephony plays: a
 * canonical 44-byte-header WAV, 8 kHz, mono, 16-bit. Channels are averaged; the rate is changed by
 * `resampleLinear`.
 */
export async function toNarrowbandWav(
  bytes: Uint8Array,
  type: UploadedAudioType,
  options: NarrowbandOptions = {},
): Promise<Buffer> {
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const { sampleRate, mono } = type === "audio/wav" ? decodeWav(bytes) : await decodeMp3(bytes, maxSeconds);
  if (sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
    throw new AudioDecodeError(`unsupported sample rate ${sampleRate} Hz (${MIN_RATE} to ${MAX_RATE})`);
  }
  if (mono.length === 0) throw new AudioDecodeError("the audio holds no samples");
  if (mono.length / sampleRate > maxSeconds) {
    throw new AudioDecodeError(`the audio is longer than ${maxSeconds} s`);
  }
  return encodeWav(resampleLinear(mono, sampleRate, NARROWBAND_RATE), NARROWBAND_RATE);
}

/** The average of the channels, sample by sample (the shortest channel sets the length). */
export function downmixToMono(channels: readonly Int16Array[]): Int16Array {
  const first = channels[0];
  if (!first) return new Int16Array(0);
  if (channels.length === 1) return first.slice();
  const length = Math.min(...channels.map((c) => c.length));
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i] as number;
    out[i] = Math.round(sum / channels.length);
  }
  return out;
}

/**
 * Changes the sample rate by linear interpolation between neighbouring input samples. Going down,
 * the input first passes a centred moving average as wide as the rate ratio, which removes most of
 * what would fold back below the new Nyquist frequency (a 48 kHz input's content above 8 kHz is
 * nulled; 4 to 8 kHz is attenuated, not removed: fine for tones and speech, not hi-fi).
 * The output has `floor(n × to / from)` samples.
 */
export function resampleLinear(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (!(fromRate > 0 && toRate > 0)) throw new RangeError(`invalid rates ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return input.slice();
  const ratio = fromRate / toRate;
  const source = ratio > 1 ? movingAverage(input, Math.round(ratio)) : input;
  const length = Math.floor((input.length * toRate) / fromRate);
  const out = new Int16Array(length);
  const last = input.length - 1;
  for (let i = 0; i < length; i++) {
    const position = i * ratio;
    const k = Math.min(Math.floor(position), last);
    const fraction = position - k;
    const a = source[k] as number;
    const b = k < last ? (source[k + 1] as number) : a;
    out[i] = Math.round(a + (b - a) * fraction);
  }
  return out;
}

/** A centred moving average of `width` samples (edges average what exists). */
function movingAverage(input: Int16Array, width: number): Float64Array {
  const out = new Float64Array(input.length);
  if (width <= 1) {
    out.set(input);
    return out;
  }
  const before = Math.floor((width - 1) / 2);
  const prefix = new Float64Array(input.length + 1);
  for (let i = 0; i < input.length; i++) prefix[i + 1] = (prefix[i] as number) + (input[i] as number);
  for (let i = 0; i < input.length; i++) {
    const from = Math.max(0, i - before);
    const to = Math.min(input.length, from + width);
    out[i] = ((prefix[to] as number) - (prefix[from] as number)) / (to - from);
  }
  return out;
}

function decodeWav(bytes: Uint8Array): { sampleRate: number; mono: Int16Array } {
  try {
    const wav = readWav(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { sampleRate: wav.sampleRate, mono: downmixToMono(wav.samples) };
  } catch (cause) {
    throw new AudioDecodeError(`not a usable WAV file: ${(cause as Error).message}`, { cause });
  }
}

async function decodeMp3(
  bytes: Uint8Array,
  maxSeconds: number,
): Promise<{ sampleRate: number; mono: Int16Array }> {
  const { MPEGDecoder } = await import("mpg123-decoder");
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    const parts: Int16Array[] = [];
    let sampleRate = 0;
    let total = 0;
    for (let at = 0; at < bytes.length; at += MP3_CHUNK_BYTES) {
      const decoded = decoder.decode(bytes.subarray(at, at + MP3_CHUNK_BYTES));
      if (decoded.samplesDecoded === 0) continue;
      if (sampleRate === 0) sampleRate = decoded.sampleRate;
      else if (decoded.sampleRate !== sampleRate) {
        throw new AudioDecodeError(`the MP3 changes rate (${sampleRate} → ${decoded.sampleRate} Hz)`);
      }
      parts.push(floatToMono(decoded.channelData, decoded.samplesDecoded));
      total += decoded.samplesDecoded;
      if (total / sampleRate > maxSeconds)
        throw new AudioDecodeError(`the audio is longer than ${maxSeconds} s`);
    }
    if (total === 0) throw new AudioDecodeError("no MPEG audio frames found (not an MP3 file?)");
    const mono = new Int16Array(total);
    let offset = 0;
    for (const part of parts) {
      mono.set(part, offset);
      offset += part.length;
    }
    return { sampleRate, mono };
  } finally {
    decoder.free();
  }
}

/** Float channels in [-1, 1] averaged to 16-bit mono, clipped. */
function floatToMono(channels: readonly Float32Array[], samples: number): Int16Array {
  const out = new Int16Array(samples);
  const count = Math.max(1, channels.length);
  for (let i = 0; i < samples; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i] ?? 0;
    const value = Math.round((sum / count) * 32767);
    out[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : value;
  }
  return out;
}

function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const out = Buffer.alloc(WAV_HEADER_BYTES + samples.length * 2);
  wavHeader(sampleRate, 1, samples.length * 2).copy(out, 0);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] as number, WAV_HEADER_BYTES + i * 2);
  return out;
}
