import { readFileSync } from "node:fs";
import { WavError } from "../errors.ts";

/** A decoded 16-bit PCM WAV: one `Int16Array` per channel (left first). */
export interface WavAudio {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly samples: Int16Array[];
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Reads a 16-bit PCM WAV from a path or a buffer. Unknown chunks (LIST, fact …) are skipped. A data
 * size larger than the file (a writer that died before its last header update, or a streaming
 * 0xFFFFFFFF) is not trusted: the samples run to the end of the file, cut to whole sample frames.
 * Anything that is not integer PCM (µ-law, A-law, float, ADPCM …) or not 16-bit is a `WavError`.
 */
export function readWav(source: string | Buffer): WavAudio {
  let bytes: Buffer;
  if (typeof source === "string") {
    try {
      bytes = readFileSync(source);
    } catch (cause) {
      throw new WavError(`cannot read ${source}`, { cause });
    }
  } else {
    bytes = source;
  }
  if (
    bytes.length < 12 ||
    bytes.toString("ascii", 0, 4) !== "RIFF" ||
    bytes.toString("ascii", 8, 12) !== "WAVE"
  ) {
    throw new WavError("not a RIFF/WAVE file");
  }

  let format: { channels: number; sampleRate: number; bitsPerSample: number; blockAlign: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) throw new WavError("truncated fmt chunk");
      format = parseFormat(bytes, body, size);
    } else if (id === "data") {
      if (format === undefined) throw new WavError("data chunk before fmt chunk");
      const available = bytes.length - body;
      const declared = Math.min(size, available);
      const frames = Math.floor(declared / format.blockAlign);
      return {
        sampleRate: format.sampleRate,
        channels: format.channels,
        bitsPerSample: format.bitsPerSample,
        samples: deinterleave(bytes, body, frames, format.channels),
      };
    }
    // Chunks are padded to an even length.
    offset = body + size + (size & 1);
  }
  throw new WavError(format === undefined ? "no fmt chunk" : "no data chunk");
}

function parseFormat(
  bytes: Buffer,
  at: number,
  size: number,
): { channels: number; sampleRate: number; bitsPerSample: number; blockAlign: number } {
  let tag = bytes.readUInt16LE(at);
  const channels = bytes.readUInt16LE(at + 2);
  const sampleRate = bytes.readUInt32LE(at + 4);
  const blockAlign = bytes.readUInt16LE(at + 12);
  const bitsPerSample = bytes.readUInt16LE(at + 14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then the sub-format GUID, whose
    // first two bytes are the format tag.
    if (size < 40 || at + 26 > bytes.length) throw new WavError("truncated WAVE_FORMAT_EXTENSIBLE fmt chunk");
    tag = bytes.readUInt16LE(at + 24);
  }
  if (tag !== WAVE_FORMAT_PCM) throw new WavError(`unsupported WAV format 0x${tag.toString(16)} (only PCM)`);
  if (bitsPerSample !== 16) throw new WavError(`unsupported ${bitsPerSample}-bit PCM (only 16-bit)`);
  if (channels < 1) throw new WavError("WAV declares no channels");
  if (sampleRate < 1) throw new WavError("WAV declares a zero sample rate");
  if (blockAlign !== channels * 2)
    throw new WavError(`block align ${blockAlign} does not match ${channels} channels`);
  return { channels, sampleRate, bitsPerSample, blockAlign };
}

function deinterleave(bytes: Buffer, at: number, frames: number, channels: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let c = 0; c < channels; c++) out.push(new Int16Array(frames));
  let position = at;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      (out[c] as Int16Array)[i] = bytes.readInt16LE(position);
      position += 2;
    }
  }
  return out;
}
