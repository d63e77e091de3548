import { closeSync, openSync, writeSync } from "node:fs";
import { WavError } from "../errors.ts";

/** Bytes before the first sample: RIFF header (12) + fmt chunk (8 + 16) + data chunk header (8). */
export const WAV_HEADER_BYTES = 44;
/** Offset of the RIFF chunk size field (file length − 8). */
const RIFF_SIZE_OFFSET = 4;
/** Offset of the data chunk size field (bytes of samples). */
const DATA_SIZE_OFFSET = 40;
const BYTES_PER_SAMPLE = 2;
/** The largest data chunk whose RIFF size still fits in 32 bits. */
const MAX_DATA_BYTES = 0xffff_ffff - (WAV_HEADER_BYTES - 8);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Samples are gathered up to this many bytes (one second of 8 kHz stereo) between file writes. */
const PENDING_BYTES = 32 * 1024;

export interface WavWriterOptions {
  /** Samples per second per channel; 8000 (the PcmFrame rate) unless told. */
  readonly sampleRate?: number;
  /** 1 (mono) or 2 (interleaved stereo, left first); 1 unless told. */
  readonly channels?: 1 | 2;
}

/** The 44-byte canonical header of a 16-bit PCM WAV holding `dataBytes` bytes of samples. */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  const blockAlign = channels * BYTES_PER_SAMPLE;
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, RIFF_SIZE_OFFSET);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(BYTES_PER_SAMPLE * 8, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, DATA_SIZE_OFFSET);
  return header;
}

/**
 * Writes 16-bit PCM WAV to a file, a frame at a time. The header is written with correct sizes at
 * open and its two size fields are rewritten at every `flush()` (and at `close()`), so the file is a
 * valid, playable WAV after each flush even if the process dies right after it; samples written since
 * the last flush wait in memory or sit past the declared data size until the next one.
 *
 * Writes are synchronous (`writeSync` at tracked positions), so ordering stays trivial. A 20 ms frame
 * is only a few hundred bytes, so frames are gathered in a buffer of up to 32 KiB and go to the file
 * when it fills, at every `flush()` and at `close()`: a recorder does one write a second, not fifty.
 * What a flush declares is always on disk first, so the crash guarantee above is unchanged. Stereo is
 * interleaved into a scratch buffer reused across frames, so the media path allocates nothing per
 * frame.
 */
export class WavWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  #fd: number;
  #closed = false;
  /** Bytes of samples appended, on disk or pending. */
  #dataBytes = 0;
  /** Bytes of samples in the file (the next file write goes to WAV_HEADER_BYTES + this). */
  #fileBytes = 0;
  /** Samples appended since the last file write; allocated on first use. */
  #pending: Buffer | undefined;
  #pendingBytes = 0;
  /** Bytes of samples the header currently declares. */
  #flushedBytes = 0;
  /** Scratch for interleaving (stereo) or byte-swapping (big-endian hosts); grows, never shrinks. */
  #scratch = new Int16Array(0);
  /** Holds one uint32 for the size fields at flush. */
  readonly #sizeField = Buffer.alloc(4);

  constructor(path: string, options: WavWriterOptions = {}) {
    const sampleRate = options.sampleRate ?? 8000;
    const channels = options.channels ?? 1;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffff_ffff / 4) {
      throw new WavError(`invalid sample rate ${sampleRate}`);
    }
    if (channels !== 1 && channels !== 2) throw new WavError(`unsupported channel count ${channels}`);
    this.path = path;
    this.sampleRate = sampleRate;
    this.channels = channels;
    try {
      this.#fd = openSync(path, "w");
    } catch (cause) {
      throw new WavError(`cannot open ${path} for writing`, { cause });
    }
    try {
      writeSync(this.#fd, wavHeader(sampleRate, channels, 0), 0, WAV_HEADER_BYTES, 0);
    } catch (cause) {
      closeSync(this.#fd);
      this.#closed = true;
      throw new WavError(`cannot write the header of ${path}`, { cause });
    }
  }

  /** True once `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Samples written per channel (sample frames), flushed or not. */
  get samplesWritten(): number {
    return this.#dataBytes / (BYTES_PER_SAMPLE * this.channels);
  }

  /** Duration of the audio written so far, in milliseconds. */
  get durationMs(): number {
    return (this.samplesWritten * 1000) / this.sampleRate;
  }

  /** Samples per channel that the header declares (what a reader sees after a crash). */
  get samplesFlushed(): number {
    return this.#flushedBytes / (BYTES_PER_SAMPLE * this.channels);
  }

  /**
   * Appends samples: a mono frame, or already-interleaved samples (left, right, left, …) for a
   * stereo writer. The length must be a whole number of sample frames.
   */
  write(samples: Int16Array): void {
    this.#assertOpen();
    if (samples.length % this.channels !== 0) {
      throw new WavError(
        `${samples.length} samples is not a whole number of ${this.channels}-channel frames`,
      );
    }
    if (LITTLE_ENDIAN_HOST) {
      this.#append(samples, samples.length);
    } else {
      const scratch = this.#scratchFor(samples.length);
      for (let i = 0; i < samples.length; i++) scratch[i] = swap16(samples[i] ?? 0);
      this.#append(scratch, samples.length);
    }
  }

  /** Appends one stereo frame from two channel frames of equal length (left first in the file). */
  writeStereo(left: Int16Array, right: Int16Array): void {
    this.#assertOpen();
    if (this.channels !== 2) throw new WavError("writeStereo needs a 2-channel writer");
    if (left.length !== right.length) {
      throw new WavError(`channel lengths differ: left ${left.length}, right ${right.length}`);
    }
    const count = left.length * 2;
    const scratch = this.#scratchFor(count);
    if (LITTLE_ENDIAN_HOST) {
      for (let i = 0, j = 0; i < left.length; i++, j += 2) {
        scratch[j] = left[i] ?? 0;
        scratch[j + 1] = right[i] ?? 0;
      }
    } else {
      for (let i = 0, j = 0; i < left.length; i++, j += 2) {
        scratch[j] = swap16(left[i] ?? 0);
        scratch[j + 1] = swap16(right[i] ?? 0);
      }
    }
    this.#append(scratch, count);
  }

  /** Rewrites the RIFF and data size fields so the header declares every sample written so far. */
  flush(): void {
    this.#assertOpen();
    this.#writePending();
    this.#writeSizes();
  }

  /** Flushes and closes the file. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#writePending();
      this.#writeSizes();
    } finally {
      closeSync(this.#fd);
    }
  }

  #writeSizes(): void {
    if (this.#flushedBytes === this.#dataBytes) return;
    const field = this.#sizeField;
    try {
      field.writeUInt32LE(this.#dataBytes, 0);
      writeSync(this.#fd, field, 0, 4, DATA_SIZE_OFFSET);
      field.writeUInt32LE(WAV_HEADER_BYTES - 8 + this.#dataBytes, 0);
      writeSync(this.#fd, field, 0, 4, RIFF_SIZE_OFFSET);
    } catch (cause) {
      throw new WavError(`cannot update the header of ${this.path}`, { cause });
    }
    this.#flushedBytes = this.#dataBytes;
  }

  #append(samples: Int16Array, count: number): void {
    const bytes = count * BYTES_PER_SAMPLE;
    if (bytes === 0) return;
    if (this.#dataBytes + bytes > MAX_DATA_BYTES)
      throw new WavError(`${this.path} would exceed the 4 GiB WAV limit`);
    const source = new Uint8Array(samples.buffer, samples.byteOffset, bytes);
    if (this.#pendingBytes + bytes > PENDING_BYTES) this.#writePending();
    if (bytes > PENDING_BYTES) {
      this.#writeFile(source);
    } else {
      this.#pending ??= Buffer.allocUnsafe(PENDING_BYTES);
      this.#pending.set(source, this.#pendingBytes);
      this.#pendingBytes += bytes;
    }
    this.#dataBytes += bytes;
  }

  #writePending(): void {
    if (this.#pendingBytes === 0 || !this.#pending) return;
    const bytes = this.#pendingBytes;
    this.#pendingBytes = 0;
    this.#writeFile(this.#pending.subarray(0, bytes));
  }

  #writeFile(bytes: Uint8Array): void {
    try {
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(
          this.#fd,
          bytes,
          done,
          bytes.byteLength - done,
          WAV_HEADER_BYTES + this.#fileBytes + done,
        );
      }
    } catch (cause) {
      throw new WavError(`cannot write samples to ${this.path}`, { cause });
    }
    this.#fileBytes += bytes.byteLength;
  }

  #scratchFor(count: number): Int16Array {
    if (this.#scratch.length < count) this.#scratch = new Int16Array(count);
    return this.#scratch;
  }

  #assertOpen(): void {
    if (this.#closed) throw new WavError(`${this.path} is closed`);
  }
}

function swap16(value: number): number {
  return ((((value & 0xff) << 8) | ((value >> 8) & 0xff)) << 16) >> 16;
}
