import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  AudioDecodeError,
  downmixToMono,
  readWav,
  resampleLinear,
  toNarrowbandWav,
  WAV_HEADER_BYTES,
  wavHeader,
} from "../../../../src/media/index.ts";
import { dominantTone, rms, sineFrame } from "../../../support/tone-probe.ts";

const CANDIDATES = [440, 1000, 2000, 3000];
const MP3 = new URL("../../../fixtures/audio/tone-1khz-44100-stereo.mp3", import.meta.url);

function monoWav(sampleRate: number, samples: Int16Array): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i] as number, i * 2);
  return Buffer.concat([wavHeader(sampleRate, 1, data.length), data]);
}

describe("resampleLinear", () => {
  test("keeps a tone's frequency and level from 16, 44.1 and 48 kHz down to 8 kHz", () => {
    for (const rate of [16_000, 44_100, 48_000]) {
      const input = sineFrame(1000, rate, rate, 0.5);
      const out = resampleLinear(input, rate, 8000);
      assert.equal(out.length, 8000, `${rate}`);
      const tone = dominantTone(out.subarray(100, 7900), 8000, CANDIDATES);
      assert.equal(tone.frequency, 1000, `${rate}`);
      assert.ok(tone.ratio > 100, `${rate}: clean (${tone.ratio})`);
      const level = rms(out.subarray(100, 7900)) / rms(input);
      assert.ok(level > 0.9 && level < 1.02, `${rate}: level kept (${level})`);
    }
  });

  test("content above the new Nyquist frequency is attenuated rather than folded back at full level", () => {
    // 7 kHz at 48 kHz would alias to 1 kHz at full level if every 6th sample were simply taken.
    const input = sineFrame(7000, 48_000, 48_000, 0.5);
    const out = resampleLinear(input, 48_000, 8000);
    const level = rms(out) / rms(input);
    assert.ok(level < 0.25, `folded energy is at least 12 dB down (${level})`);
  });

  test("goes up from 8 to 16 kHz by interpolation, and the same rate is a copy", () => {
    const input = sineFrame(440, 8000, 800, 0.5);
    const up = resampleLinear(input, 8000, 16_000);
    assert.equal(up.length, 1600);
    assert.equal(up[0], input[0]);
    assert.equal(up[2], input[1]);
    assert.equal(up[1], Math.round(((input[0] as number) + (input[1] as number)) / 2));
    assert.equal(dominantTone(up, 16_000, CANDIDATES).frequency, 440);
    const same = resampleLinear(input, 8000, 8000);
    assert.deepEqual(same, input);
    assert.notEqual(same, input, "a copy, not the caller's array");
    assert.equal(resampleLinear(new Int16Array(0), 44_100, 8000).length, 0);
  });
});

describe("downmixToMono", () => {
  test("averages the channels sample by sample, to the shortest channel", () => {
    const mono = downmixToMono([Int16Array.of(100, -200, 32767, 9), Int16Array.of(300, 200, 32767)]);
    assert.deepEqual([...mono], [200, 0, 32767]);
    assert.deepEqual([...downmixToMono([Int16Array.of(5, 6)])], [5, 6]);
    assert.equal(downmixToMono([]).length, 0);
  });
});

describe("toNarrowbandWav", () => {
  test("writes a canonical 8 kHz mono 16-bit WAV; 8 kHz mono input keeps its samples", async () => {
    const samples = sineFrame(1000, 8000, 400, 0.3);
    const out = await toNarrowbandWav(monoWav(8000, samples), "audio/wav");
    assert.equal(out.length, WAV_HEADER_BYTES + 800);
    const wav = readWav(out);
    assert.deepEqual([wav.sampleRate, wav.channels, wav.bitsPerSample], [8000, 1, 16]);
    assert.deepEqual(wav.samples[0], samples);
  });

  test("decodes MP3 with mpg123 (WebAssembly)", async () => {
    const wav = readWav(await toNarrowbandWav(readFileSync(MP3), "audio/mpeg"));
    assert.equal(wav.sampleRate, 8000);
    assert.equal(
      dominantTone((wav.samples[0] as Int16Array).subarray(1000, 3400), 8000, CANDIDATES).frequency,
      1000,
    );
  });

  test("refuses what it cannot read, and audio longer than allowed", async () => {
    const refuses = (promise: Promise<unknown>, pattern: RegExp) =>
      assert.rejects(
        promise,
        (e: unknown) =>
          e instanceof AudioDecodeError && e.code === "MEDIA_AUDIO_DECODE" && pattern.test(e.message),
      );
    await refuses(toNarrowbandWav(Buffer.from("RIFF....WAVEjunk"), "audio/wav"), /not a usable WAV/);
    await refuses(toNarrowbandWav(Buffer.from("ID3 but nothing else"), "audio/mpeg"), /no MPEG audio frames/);
    await refuses(toNarrowbandWav(monoWav(8000, new Int16Array(0)), "audio/wav"), /no samples/);
    await refuses(
      toNarrowbandWav(monoWav(2000, new Int16Array(2000)), "audio/wav"),
      /unsupported sample rate/,
    );
    await refuses(
      toNarrowbandWav(monoWav(8000, new Int16Array(8000 * 3)), "audio/wav", { maxSeconds: 2 }),
      /longer than 2 s/,
    );
    await refuses(toNarrowbandWav(readFileSync(MP3), "audio/mpeg", { maxSeconds: 0.1 }), /longer than 0.1 s/);
  });
});
