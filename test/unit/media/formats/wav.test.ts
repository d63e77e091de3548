import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ParleyError } from "../../../../src/kernel/parley-error.ts";
import { readWav, WAV_HEADER_BYTES, WavError, WavWriter, wavHeader } from "../../../../src/media/index.ts";
import { dominantTone, rms, sineFrame } from "../../../support/tone-probe.ts";

const RATE = 8000;
const N = 160;
const CANDIDATES = [500, 1000, 2000, 3000];
const root = new URL("../../../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "parley-wav-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
const tempFile = (): string => join(dir, `t${++fileCount}.wav`);

/** `frames` consecutive 20 ms frames of a continuous tone. */
function toneFrames(frequency: number, frames: number): Int16Array[] {
  return Array.from({ length: frames }, (_, k) =>
    sineFrame(frequency, RATE, N, 0.5, (2 * Math.PI * frequency * k * N) / RATE),
  );
}

/** Asserts every whole 20 ms block of `samples` is dominated by `frequency`. */
function assertToneThroughout(samples: Int16Array, frequency: number): void {
  assert.ok(samples.length >= N, "at least one frame");
  for (let at = 0; at + N <= samples.length; at += N) {
    const tone = dominantTone(samples.subarray(at, at + N), RATE, CANDIDATES);
    assert.equal(tone.frequency, frequency, `block at sample ${at}`);
    assert.ok(tone.ratio > 100, `block at sample ${at} is a clean tone (ratio ${tone.ratio})`);
  }
}

/** Checks the canonical header fields against the file on disk; returns the declared data size. */
function assertHeaderValid(path: string, channels: number, sampleRate = RATE): number {
  const bytes = readFileSync(path);
  assert.equal(bytes.toString("ascii", 0, 4), "RIFF");
  assert.equal(bytes.toString("ascii", 8, 12), "WAVE");
  assert.equal(bytes.toString("ascii", 12, 16), "fmt ");
  assert.equal(bytes.readUInt16LE(20), 1, "PCM");
  assert.equal(bytes.readUInt16LE(22), channels);
  assert.equal(bytes.readUInt32LE(24), sampleRate);
  assert.equal(bytes.readUInt32LE(28), sampleRate * channels * 2);
  assert.equal(bytes.readUInt16LE(32), channels * 2);
  assert.equal(bytes.readUInt16LE(34), 16);
  assert.equal(bytes.toString("ascii", 36, 40), "data");
  const dataBytes = bytes.readUInt32LE(40);
  assert.equal(bytes.readUInt32LE(4), 36 + dataBytes, "RIFF size = 36 + data size");
  assert.ok(WAV_HEADER_BYTES + dataBytes <= bytes.length, "declared data lies inside the file");
  return dataBytes;
}

describe("WavWriter + readWav", () => {
  test("mono round trip keeps every sample", () => {
    const path = tempFile();
    const frames = toneFrames(1000, 25);
    const writer = new WavWriter(path);
    for (const frame of frames) writer.write(frame);
    writer.close();
    const wav = readWav(path);
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.channels, 1);
    assert.equal(wav.bitsPerSample, 16);
    assert.equal(wav.samples.length, 1);
    const expected = new Int16Array(25 * N);
    for (const [k, frame] of frames.entries()) expected.set(frame, k * N);
    assert.deepEqual(wav.samples[0], expected);
    assertToneThroughout(wav.samples[0] as Int16Array, 1000);
    assert.equal(statSync(path).size, WAV_HEADER_BYTES + 25 * N * 2);
  });

  test("stereo round trip: 1 kHz stays left, 2 kHz stays right", () => {
    const path = tempFile();
    const left = toneFrames(1000, 20);
    const right = toneFrames(2000, 20);
    const writer = new WavWriter(path, { channels: 2 });
    for (let k = 0; k < 20; k++) writer.writeStereo(left[k] as Int16Array, right[k] as Int16Array);
    writer.close();
    assertHeaderValid(path, 2);
    const wav = readWav(path);
    assert.equal(wav.channels, 2);
    assert.equal(wav.samples.length, 2);
    const [l, r] = wav.samples as [Int16Array, Int16Array];
    assert.equal(l.length, 20 * N);
    assert.equal(r.length, 20 * N);
    assertToneThroughout(l, 1000);
    assertToneThroughout(r, 2000);
    assert.deepEqual(l.subarray(0, N), left[0]);
    assert.deepEqual(r.subarray(19 * N), right[19]);
  });

  test("stereo write() takes interleaved samples; writeStereo checks its input", () => {
    const path = tempFile();
    const writer = new WavWriter(path, { channels: 2 });
    writer.write(Int16Array.from([1, -1, 2, -2]));
    assert.throws(() => writer.write(Int16Array.from([1, 2, 3])), WavError);
    assert.throws(() => writer.writeStereo(new Int16Array(4), new Int16Array(3)), WavError);
    writer.close();
    const wav = readWav(path);
    assert.deepEqual(wav.samples, [Int16Array.from([1, 2]), Int16Array.from([-1, -2])]);
    const mono = new WavWriter(tempFile());
    assert.throws(() => mono.writeStereo(new Int16Array(4), new Int16Array(4)), WavError);
    mono.close();
  });

  test("subarray frames are written from their own window of the buffer", () => {
    const path = tempFile();
    const big = Int16Array.from({ length: 10 }, (_, i) => i * 100);
    const writer = new WavWriter(path);
    writer.write(big.subarray(3, 7));
    writer.close();
    assert.deepEqual(readWav(path).samples[0], Int16Array.from([300, 400, 500, 600]));
  });

  test("the header is valid right after open and after every flush, read between writes", () => {
    const path = tempFile();
    const frames = toneFrames(1000, 30);
    const writer = new WavWriter(path);
    assert.equal(assertHeaderValid(path, 1), 0, "empty but valid at open");
    assert.equal(readWav(path).samples[0]?.length, 0);
    for (let k = 0; k < frames.length; k++) {
      writer.write(frames[k] as Int16Array);
      // Between writes, before a flush: still a valid file declaring what the last flush declared.
      const declaredBefore = assertHeaderValid(path, 1);
      assert.equal(declaredBefore, writer.samplesFlushed * 2);
      if ((k + 1) % 3 === 0) {
        writer.flush();
        const declared = assertHeaderValid(path, 1);
        assert.equal(declared, (k + 1) * N * 2);
        const wav = readWav(path);
        assert.equal(wav.samples[0]?.length, (k + 1) * N);
        assertToneThroughout(wav.samples[0] as Int16Array, 1000);
      }
    }
    writer.close();
    assertHeaderValid(path, 1);
  });

  test("samplesWritten and durationMs follow the samples, at 8 kHz and at another rate", () => {
    const writer = new WavWriter(tempFile());
    assert.equal(writer.samplesWritten, 0);
    assert.equal(writer.durationMs, 0);
    for (const frame of toneFrames(1000, 50)) writer.write(frame);
    assert.equal(writer.samplesWritten, 50 * N);
    assert.equal(writer.durationMs, 1000);
    writer.close();
    assert.equal(writer.durationMs, 1000);

    const path = tempFile();
    const stereo = new WavWriter(path, { channels: 2, sampleRate: 16000 });
    stereo.writeStereo(new Int16Array(320), new Int16Array(320));
    assert.equal(stereo.samplesWritten, 320);
    assert.equal(stereo.durationMs, 20);
    stereo.close();
    assertHeaderValid(path, 2, 16000);
    const wav = readWav(path);
    assert.equal(wav.sampleRate, 16000);
    assert.equal(((wav.samples[0]?.length ?? 0) * 1000) / wav.sampleRate, stereo.durationMs);
  });

  test("close twice is fine; writes and flushes after close are WavErrors", () => {
    const path = tempFile();
    const writer = new WavWriter(path);
    writer.write(sineFrame(1000, RATE, N));
    assert.equal(writer.closed, false);
    writer.close();
    assert.equal(writer.closed, true);
    writer.close();
    assert.equal(writer.closed, true);
    assert.throws(() => writer.write(sineFrame(1000, RATE, N)), WavError);
    assert.throws(
      () => writer.flush(),
      (e: unknown) => e instanceof ParleyError && e.code === "MEDIA_WAV",
    );
    assert.equal(readWav(path).samples[0]?.length, N);
  });

  test("bad options and unwritable paths are WavErrors", () => {
    assert.throws(() => new WavWriter(tempFile(), { channels: 3 as 1 }), WavError);
    assert.throws(() => new WavWriter(tempFile(), { sampleRate: 0 }), WavError);
    assert.throws(() => new WavWriter(join(dir, "missing", "x.wav")), WavError);
  });
});

describe("readWav", () => {
  function pcmBuffer(samples: number[], channels = 1): Buffer {
    const data = Buffer.alloc(samples.length * 2);
    for (const [i, s] of samples.entries()) data.writeInt16LE(s, i * 2);
    return Buffer.concat([wavHeader(RATE, channels, data.length), data]);
  }

  test("reads from a Buffer", () => {
    const wav = readWav(pcmBuffer([1, 2, 3, -4]));
    assert.deepEqual(wav.samples, [Int16Array.from([1, 2, 3, -4])]);
  });

  test("a data size larger than the file is cut to the file (crashed writer), to whole frames", () => {
    const bytes = pcmBuffer([10, 20, 30, 40, 50, 60]);
    bytes.writeUInt32LE(1_000_000, 40);
    bytes.writeUInt32LE(1_000_036, 4);
    assert.deepEqual(readWav(bytes).samples[0], Int16Array.from([10, 20, 30, 40, 50, 60]));
    bytes.writeUInt32LE(0xffff_ffff, 40);
    // A torn last sample (odd byte count) and a torn stereo frame are dropped.
    assert.deepEqual(
      readWav(bytes.subarray(0, bytes.length - 1)).samples[0],
      Int16Array.from([10, 20, 30, 40, 50]),
    );
    const stereo = pcmBuffer([1, -1, 2, -2, 3], 2);
    stereo.writeUInt32LE(0xffff_ffff, 40);
    assert.deepEqual(readWav(stereo).samples, [Int16Array.from([1, 2]), Int16Array.from([-1, -2])]);
  });

  test("a data size smaller than the file wins (samples past the last flush are ignored)", () => {
    const bytes = pcmBuffer([1, 2, 3, 4]);
    bytes.writeUInt32LE(4, 40);
    assert.deepEqual(readWav(bytes).samples[0], Int16Array.from([1, 2]));
  });

  test("skips unknown chunks, including odd-sized ones with a pad byte", () => {
    const plain = pcmBuffer([7, 8]);
    const list = Buffer.alloc(8 + 3 + 1);
    list.write("LIST", 0, "ascii");
    list.writeUInt32LE(3, 4);
    const bytes = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
    assert.deepEqual(readWav(bytes).samples[0], Int16Array.from([7, 8]));
  });

  test("accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format", () => {
    const fmt = Buffer.alloc(8 + 40);
    fmt.write("fmt ", 0, "ascii");
    fmt.writeUInt32LE(40, 4);
    fmt.writeUInt16LE(0xfffe, 8);
    fmt.writeUInt16LE(1, 10);
    fmt.writeUInt32LE(RATE, 12);
    fmt.writeUInt32LE(RATE * 2, 16);
    fmt.writeUInt16LE(2, 20);
    fmt.writeUInt16LE(16, 22);
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(16, 26);
    fmt.writeUInt16LE(1, 32); // sub-format GUID starts with the PCM tag
    const data = Buffer.from([8, 0, 2, 0, 5, 0, 0, 0, 0x2a, 0x00]);
    data.write("data", 0, "ascii");
    data.writeUInt32LE(2, 4);
    const riff = Buffer.from("RIFF\0\0\0\0WAVE", "ascii");
    const bytes = Buffer.concat([riff, fmt, data]);
    bytes.writeUInt32LE(bytes.length - 8, 4);
    assert.deepEqual(readWav(bytes).samples[0], Int16Array.from([42]));
    bytes.writeUInt16LE(3, 12 + 32); // float sub-format
    assert.throws(() => readWav(bytes), WavError);
  });

  test("rejects non-PCM formats, other sample sizes and broken files with WavError", () => {
    const mulaw = pcmBuffer([1, 2]);
    mulaw.writeUInt16LE(7, 20);
    assert.throws(
      () => readWav(mulaw),
      (e: unknown) => e instanceof WavError && e.code === "MEDIA_WAV" && /PCM/.test(e.message),
    );
    const float = pcmBuffer([1, 2]);
    float.writeUInt16LE(3, 20);
    assert.throws(() => readWav(float), WavError);
    const eightBit = pcmBuffer([1, 2]);
    eightBit.writeUInt16LE(8, 34);
    assert.throws(() => readWav(eightBit), WavError);
    assert.throws(() => readWav(Buffer.from("not a wav file at all")), WavError);
    assert.throws(() => readWav(pcmBuffer([1]).subarray(0, 36)), WavError, "no data chunk");
    assert.throws(() => readWav(join(dir, "does-not-exist.wav")), WavError);
  });
});

describe("WavWriter crash safety", () => {
  test("a writer killed with SIGKILL leaves a readable file holding every flushed sample", async () => {
    const path = tempFile();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "test/support/wav-crash-writer.ts"), path],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    const pid = child.pid;
    assert.ok(pid !== undefined, "child started");
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    try {
      const lastFlushed = await new Promise<number>((resolve, reject) => {
        let buffered = "";
        let flushes = 0;
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf("\n");
          let last = -1;
          while (newline >= 0) {
            const match = /^flushed (\d+)$/.exec(buffered.slice(0, newline));
            if (match) {
              flushes++;
              last = Number(match[1]);
            }
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf("\n");
          }
          if (flushes >= 3 && last >= 0) {
            process.kill(pid, "SIGKILL");
            resolve(last);
          }
        });
        child.on("exit", (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
      });
      assert.equal(await exited, "SIGKILL");
      assert.ok(lastFlushed >= 30 * N, `at least 3 flushes of 10 frames (${lastFlushed})`);
      const wav = readWav(path);
      assert.equal(wav.channels, 1);
      assert.equal(wav.sampleRate, RATE);
      const samples = wav.samples[0] as Int16Array;
      assert.ok(
        samples.length >= lastFlushed,
        `${samples.length} samples ≥ last reported flush ${lastFlushed}`,
      );
      assertToneThroughout(samples, 1000);
      assert.ok(rms(samples) > 0.3, "not silence");
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
      rmSync(path, { force: true });
    }
  });
});
