import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodeAlaw,
  decodeG711,
  decodeG711Sample,
  decodeMulaw,
  encodeAlaw,
  encodeG711,
  encodeMulaw,
  type G711Encoding,
  PcmFrame,
  transcode,
} from "../../../../src/media/index.ts";
import { dominantTone, goertzel, levelDb, rms, sineFrame } from "../../../support/tone-probe.ts";

const RATE = PcmFrame.SAMPLE_RATE;
const N = PcmFrame.SAMPLES;

function toneOf(frame: Int16Array): { at1k: number; at2k: number } {
  return { at1k: goertzel(frame, RATE, 1000), at2k: goertzel(frame, RATE, 2000) };
}

describe("PcmFrame", () => {
  test("is 20 ms of 8 kHz audio: 160 samples", () => {
    assert.equal(PcmFrame.SAMPLE_RATE, 8000);
    assert.equal(PcmFrame.DURATION_MS, 20);
    assert.equal(PcmFrame.SAMPLES, (PcmFrame.SAMPLE_RATE * PcmFrame.DURATION_MS) / 1000);
    assert.equal(PcmFrame.create().length, 160);
  });
});

describe("G.711", () => {
  test("µ-law 0xFF decodes to 0 and 0 encodes to 0xFF", () => {
    assert.equal(decodeMulaw(Uint8Array.of(0xff))[0], 0);
    assert.equal(encodeMulaw(Int16Array.of(0))[0], 0xff);
    assert.equal(decodeG711Sample("PCMU", 0xff), 0);
  });

  test("A-law 0xD5 decodes to the smallest positive step and 0 encodes to 0xD5", () => {
    const decoded = decodeAlaw(Uint8Array.of(0xd5))[0] ?? Number.NaN;
    assert.ok(decoded > 0 && decoded <= 8, `0xD5 decodes near 0, got ${decoded}`);
    assert.equal(encodeAlaw(Int16Array.of(0))[0], 0xd5);
  });

  test("µ-law full-scale samples take the extreme codes", () => {
    assert.equal(encodeMulaw(Int16Array.of(32767))[0], 0x80);
    assert.equal(encodeMulaw(Int16Array.of(-32768))[0], 0x00);
    assert.ok((decodeMulaw(Uint8Array.of(0x80))[0] ?? 0) > 32000);
  });

  for (const encoding of ["PCMU", "PCMA"] as const satisfies readonly G711Encoding[]) {
    test(`${encoding} keeps a 1 kHz tone through encode and decode, level within 1 dB`, () => {
      const input = sineFrame(1000, RATE, N, 0.5);
      const payload = encodeG711(encoding, input);
      assert.equal(payload.length, N);
      const output = decodeG711(encoding, payload);
      const { at1k, at2k } = toneOf(output);
      assert.ok(at1k > 1000 * at2k, `1 kHz power ${at1k} ≫ 2 kHz power ${at2k}`);
      assert.ok(Math.abs(levelDb(rms(output), rms(input))) < 1, "RMS within 1 dB");
      assert.equal(dominantTone(output, RATE, [400, 1000, 2000, 3000]).frequency, 1000);
    });

    test(`${encoding} keeps a quiet tone (−30 dBFS) within 1 dB`, () => {
      const input = sineFrame(1000, RATE, N, 0.03);
      const output = decodeG711(encoding, encodeG711(encoding, input));
      assert.ok(Math.abs(levelDb(rms(output), rms(input))) < 1);
      assert.ok(toneOf(output).at1k > 100 * toneOf(output).at2k);
    });

    test(`${encoding} writes into caller-provided arrays without allocating`, () => {
      const input = sineFrame(1000, RATE, N, 0.5);
      const payload = Buffer.alloc(N);
      const output = PcmFrame.create();
      assert.equal(encodeG711(encoding, input, payload), payload);
      assert.equal(decodeG711(encoding, payload, output), output);
      assert.deepEqual(output, decodeG711(encoding, encodeG711(encoding, input)));
      assert.throws(() => encodeG711(encoding, input, Buffer.alloc(N - 1)), RangeError);
      assert.throws(() => decodeG711(encoding, payload, new Int16Array(N + 1)), RangeError);
    });
  }

  test("decodes Buffer payloads as well as Uint8Array ones", () => {
    const payload = Buffer.from(encodeMulaw(sineFrame(1000, RATE, N)));
    assert.deepEqual(decodeMulaw(payload), decodeMulaw(new Uint8Array(payload)));
  });
});

describe("transcode", () => {
  test("PCMU → PCMA keeps a 1 kHz tone and its level", () => {
    const input = sineFrame(1000, RATE, N, 0.5);
    const pcma = transcode(encodeMulaw(input), "PCMU", "PCMA");
    assert.equal(pcma.length, N);
    const output = decodeAlaw(pcma);
    const { at1k, at2k } = toneOf(output);
    assert.ok(at1k > 1000 * at2k, `1 kHz power ${at1k} ≫ 2 kHz power ${at2k}`);
    assert.ok(Math.abs(levelDb(rms(output), rms(input))) < 1);
  });

  test("PCMA → PCMU keeps a 1 kHz tone", () => {
    const input = sineFrame(1000, RATE, N, 0.5, Math.PI / 3);
    const output = decodeMulaw(transcode(encodeAlaw(input), "PCMA", "PCMU"));
    assert.equal(dominantTone(output, RATE, [1000, 2000]).frequency, 1000);
    assert.ok(dominantTone(output, RATE, [1000, 2000]).ratio > 1000);
  });

  test("matches decode-then-encode for every code, and copies when the law is the same", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(
      new Uint8Array(transcode(all, "PCMU", "PCMA")),
      new Uint8Array(encodeAlaw(decodeMulaw(all))),
    );
    assert.deepEqual(
      new Uint8Array(transcode(all, "PCMA", "PCMU")),
      new Uint8Array(encodeMulaw(decodeAlaw(all))),
    );
    const same = transcode(all, "PCMU", "PCMU");
    assert.deepEqual(new Uint8Array(same), all);
    assert.notEqual(same.buffer, all.buffer);
  });
});
