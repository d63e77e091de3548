import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ToneGenerator, type ToneSpec } from "../../../../src/media/index.ts";
import { goertzel, rms } from "../../../support/tone-probe.ts";

const RATE = 8000;

/** `count` frames from the generator, copied (next() reuses its buffer); fewer if the tone ends. */
function take(generator: ToneGenerator, count: number): Int16Array[] {
  const frames: Int16Array[] = [];
  for (let i = 0; i < count; i++) {
    const frame = generator.next();
    if (frame === undefined) break;
    frames.push(frame.slice());
  }
  return frames;
}

function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.length * 160);
  frames.forEach((f, i) => {
    out.set(f, i * 160);
  });
  return out;
}

/** Power of each frequency over one 20 ms frame (50 Hz bins: 400, 450, 480, 620, 1000 … are exact). */
function power(frame: Int16Array, frequency: number): number {
  return goertzel(frame, RATE, frequency);
}

const SILENT = 1e-4;

describe("ToneGenerator", () => {
  test("US ring-back holds 440 and 480 Hz for 2 s, then is silent for 4 s, and repeats", () => {
    const frames = take(new ToneGenerator("ringback"), 400); // 8 s
    assert.equal(frames.length, 400);
    const on = [1, 50, 98, 301, 398]; // frame 0 and 99 carry the ramps; 300..399 is the second ring
    const off = [100, 101, 200, 299];
    for (const i of on) {
      const frame = frames[i] ?? new Int16Array(0);
      assert.ok(power(frame, 440) > 0.01, `frame ${i} has 440 Hz`);
      assert.ok(power(frame, 480) > 0.01, `frame ${i} has 480 Hz`);
    }
    // Over 100 ms (10 Hz bins) the spectrum is clean: the two tones and nothing at busy's 620 Hz.
    const window = concat(frames.slice(10, 15));
    for (const f of [440, 480]) assert.ok(goertzel(window, RATE, f) > 0.02, `${f} Hz present`);
    for (const f of [350, 620, 1000]) assert.ok(goertzel(window, RATE, f) < 1e-4, `${f} Hz absent`);
    for (const i of off) assert.ok(rms(frames[i] ?? new Int16Array(1)) < SILENT, `frame ${i} is silent`);
    const energetic = frames.map((f) => rms(f) > 0.01);
    assert.equal(energetic.slice(0, 100).filter(Boolean).length, 100);
    assert.equal(energetic.slice(100, 300).filter(Boolean).length, 0);
    assert.equal(energetic.slice(300, 400).filter(Boolean).length, 100);
  });

  test("ToneGenerator follows a configurable plan: EU ring-back is 425 Hz, 1 s on and 4 s off", () => {
    const frames = take(new ToneGenerator("ringback", { plan: "eu" }), 300);
    const tone = concat(frames.slice(10, 40)); // 600 ms window: 425 Hz is an exact bin (40/3 Hz resolution)
    assert.ok(goertzel(tone, RATE, 425) > 0.02, "425 Hz present");
    assert.ok(goertzel(tone, RATE, 440) < 1e-4, "no US 440 Hz");
    const energetic = frames.map((f) => rms(f) > 0.01);
    assert.equal(energetic.slice(0, 50).filter(Boolean).length, 50);
    assert.equal(energetic.slice(50, 250).filter(Boolean).length, 0);
    assert.equal(energetic.slice(250, 300).filter(Boolean).length, 50);
  });

  test("ToneGenerator accepts a plan as data, including a multi-segment cadence", () => {
    const spec: ToneSpec = { frequencies: [400, 450], cadenceMs: [400, 200, 400, 2000], repeat: true };
    const frames = take(new ToneGenerator(spec), 150);
    const energetic = frames.map((f) => rms(f) > 0.01);
    const expected = Array.from({ length: 150 }, (_, i) => i % 150 < 20 || (i >= 30 && i < 50));
    assert.deepEqual(energetic, expected);
    assert.ok(power(frames[5] ?? new Int16Array(1), 400) > 0.01, "400 Hz present");
    assert.ok(power(frames[5] ?? new Int16Array(1), 450) > 0.01, "450 Hz present");
  });

  test("busy is 480+620 Hz, 0.5 s on and 0.5 s off", () => {
    const frames = take(new ToneGenerator("busy"), 100);
    const energetic = frames.map((f) => rms(f) > 0.01);
    assert.deepEqual(
      energetic,
      Array.from({ length: 100 }, (_, i) => i % 50 < 25),
    );
    const window = concat(frames.slice(5, 10));
    for (const f of [480, 620]) assert.ok(goertzel(window, RATE, f) > 0.02, `${f} Hz present`);
    for (const f of [440, 1000]) assert.ok(goertzel(window, RATE, f) < 1e-4, `${f} Hz absent`);
  });

  test("the beep is 1000 Hz for exactly 200 ms, then next() returns undefined", () => {
    const generator = new ToneGenerator("beep");
    const frames = take(generator, 100);
    assert.equal(frames.length, 10);
    assert.equal(generator.done, true);
    assert.equal(generator.next(), undefined);
    assert.equal(generator.elapsedMs, 200);
    for (const frame of frames.slice(1, 9)) assert.ok(power(frame, 1000) > 0.04, "1000 Hz present");
    const samples = concat(frames);
    let last = -1;
    for (let i = 0; i < samples.length; i++) if (samples[i] !== 0) last = i;
    assert.ok(last >= 1590, `sound reaches the end of the 200 ms (last non-zero sample ${last})`);
    generator.reset();
    assert.equal(take(generator, 100).length, 10);
  });

  test("next() reuses one buffer, so callers copy what they keep", () => {
    const generator = new ToneGenerator("dial");
    const a = generator.next();
    const b = generator.next();
    assert.equal(a, b);
  });

  test("consecutive frames join without a phase jump", () => {
    for (const [tone, peak] of [
      ["ringback", 440 + 480],
      ["busy", 480 + 620],
      ["beep", 1000],
      ["dial", 350 + 440],
    ] as const) {
      const generator = new ToneGenerator(tone);
      const frames = take(generator, 120);
      // Max slope of Σ A·sin(2πft) per sample is A·Σ 2πf/rate; the ramps only lower it.
      const amplitude =
        Math.max(...frames.map((f) => Math.max(...f.map(Math.abs)))) / (tone === "beep" ? 1 : 2);
      const maxStep = (amplitude * 2 * Math.PI * peak) / RATE + 2;
      let within = 0;
      for (let i = 1; i < frames.length; i++) {
        const prev = frames[i - 1] ?? new Int16Array(160);
        const frame = frames[i] ?? new Int16Array(160);
        const jump = Math.abs((frame[0] ?? 0) - (prev[159] ?? 0));
        assert.ok(jump <= maxStep, `${tone}: jump ${jump} at frame ${i} exceeds ${maxStep.toFixed(1)}`);
        // Inside a frame the same bound holds, so the boundary is no different from any other sample.
        for (let s = 1; s < 160; s++)
          within = Math.max(within, Math.abs((frame[s] ?? 0) - (frame[s - 1] ?? 0)));
      }
      assert.ok(within <= maxStep, `${tone}: in-frame step ${within} exceeds ${maxStep.toFixed(1)}`);
    }
  });

  test("ToneGenerator refuses tones it cannot play", () => {
    assert.throws(() => new ToneGenerator({ frequencies: [], cadenceMs: [], repeat: true }), RangeError);
    assert.throws(() => new ToneGenerator({ frequencies: [5000], cadenceMs: [], repeat: true }), RangeError);
    assert.throws(() => new ToneGenerator({ frequencies: [440], cadenceMs: [0], repeat: true }), RangeError);
    assert.throws(() => new ToneGenerator("busy", { levelDbm0: 3 }), RangeError);
  });
});
