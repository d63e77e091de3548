import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type AmdOptions,
  type AmdVerdict,
  AnsweringMachineDetector,
  DEFAULT_AMD_OPTIONS,
  decodeG711,
  encodeG711,
  type G711Encoding,
  readWav,
} from "../../../src/media/index.ts";
import { sineFrame } from "../../support/tone-probe.ts";

const FIXTURES = new URL("../../fixtures/audio/", import.meta.url);

/** A fixture as 20 ms frames (the last partial frame dropped). */
function fixtureFrames(name: string): Int16Array[] {
  const wav = readWav(readFileSync(new URL(`${name}.wav`, FIXTURES)));
  assert.equal(wav.sampleRate, 8000);
  const samples = wav.samples[0] as Int16Array;
  const frames: Int16Array[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) frames.push(samples.slice(i, i + 160));
  return frames;
}

/** Feeds frames until the verdict; then checks that nothing follows it. */
function run(frames: readonly Int16Array[], options: Partial<AmdOptions> = {}): AmdVerdict | undefined {
  const detector = new AnsweringMachineDetector(options);
  let verdict: AmdVerdict | undefined;
  for (const frame of frames) {
    const result = detector.push(frame);
    if (result) {
      assert.equal(verdict, undefined, "a second verdict");
      verdict = result;
    }
  }
  assert.deepEqual(detector.verdict, verdict);
  return verdict;
}

const silence = (ms: number): Int16Array[] => Array.from({ length: ms / 20 }, () => new Int16Array(160));

/** Frames of a continuous sine (amplitude as a share of full scale). */
function tone(hz: number | readonly number[], ms: number, amplitude = 0.3): Int16Array[] {
  const parts = typeof hz === "number" ? [hz] : hz;
  return Array.from({ length: ms / 20 }, (_, f) => {
    const frame = new Int16Array(160);
    for (const frequency of parts) {
      const sine = sineFrame(
        frequency,
        8000,
        160,
        amplitude / parts.length,
        (2 * Math.PI * frequency * f * 160) / 8000,
      );
      for (let i = 0; i < 160; i++) frame[i] = (frame[i] as number) + (sine[i] as number);
    }
    return frame;
  });
}

/** Seeded white noise (mulberry32), amplitude as a share of full scale: voice without a pitch. */
function noise(ms: number, amplitude = 0.2, seed = 1): Int16Array[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: ms / 20 }, () =>
    Int16Array.from({ length: 160 }, () => Math.round((random() * 2 - 1) * amplitude * 32767)),
  );
}

/** The frames as a phone would send them: through G.711 and back. */
function throughG711(frames: readonly Int16Array[], law: G711Encoding): Int16Array[] {
  return frames.map((frame) => decodeG711(law, encodeG711(law, frame)));
}

describe("AnsweringMachineDetector on recorded answers", () => {
  test("a voicemail greeting ending in a beep is a machine, decided within the first 2 s of speech", () => {
    const verdict = run(fixtureFrames("amd-greeting"));
    assert.equal(verdict?.result, "machine");
    assert.ok(["long-greeting", "too-many-words", "beep"].includes(verdict?.reason ?? ""), verdict?.reason);
    assert.ok((verdict?.afterMs ?? Infinity) <= 2500, `decided at ${verdict?.afterMs} ms`);
  });

  test("the same greeting without a beep is a machine", () => {
    const verdict = run(fixtureFrames("amd-greeting-no-beep"));
    assert.equal(verdict?.result, "machine");
    assert.ok(["long-greeting", "too-many-words"].includes(verdict?.reason ?? ""), verdict?.reason);
  });

  test('"Hello?" and then waiting is a human, once 800 ms of silence follow the word', () => {
    const verdict = run(fixtureFrames("amd-hello"));
    assert.deepEqual(
      { result: verdict?.result, reason: verdict?.reason },
      { result: "human", reason: "human-pattern" },
    );
    assert.ok(
      (verdict?.afterMs ?? 0) >= 800 + 100 && (verdict?.afterMs ?? Infinity) <= 1600,
      `${verdict?.afterMs}`,
    );
  });

  test('"Hello, this is Bob." (three words) and then waiting is a human', () => {
    const verdict = run(fixtureFrames("amd-hello-who"));
    assert.deepEqual(
      { result: verdict?.result, reason: verdict?.reason },
      { result: "human", reason: "human-pattern" },
    );
  });

  test("the verdicts are the same on audio that went through µ-law or A-law", () => {
    for (const law of ["PCMU", "PCMA"] as const) {
      assert.equal(run(throughG711(fixtureFrames("amd-greeting"), law))?.result, "machine", law);
      assert.equal(run(throughG711(fixtureFrames("amd-greeting-no-beep"), law))?.result, "machine", law);
      assert.equal(run(throughG711(fixtureFrames("amd-hello"), law))?.result, "human", law);
      assert.equal(run(throughG711(fixtureFrames("amd-hello-who"), law))?.result, "human", law);
    }
  });

  test("with the speech rules out of reach, the greeting's beep alone decides, 120 ms into the tone", () => {
    const patient = {
      greetingMs: 60_000,
      maximumNumberOfWords: 1000,
      afterGreetingSilenceMs: 60_000,
      totalAnalysisTimeMs: 60_000,
    };
    const frames = fixtureFrames("amd-greeting");
    const verdict = run(frames, patient);
    assert.equal(verdict?.reason, "beep");
    // The beep is the last 400 ms of the file.
    const beepStart = (frames.length - 20) * 20;
    assert.ok(
      (verdict?.afterMs ?? 0) >= beepStart + 100 && (verdict?.afterMs ?? 0) <= beepStart + 160,
      `beep found at ${verdict?.afterMs} ms, it starts at ${beepStart} ms`,
    );
    assert.equal(run(fixtureFrames("amd-greeting-no-beep"), patient), undefined, "speech is never a beep");
    assert.equal(run(fixtureFrames("amd-greeting"), { ...patient, detectBeep: false }), undefined);
  });
});

describe("AnsweringMachineDetector on synthetic audio", () => {
  test("nobody speaking for initial_silence (2.5 s) is a machine: a dead line is not a human", () => {
    assert.deepEqual(run(silence(4000)), { result: "machine", reason: "initial-silence", afterMs: 2500 });
  });

  test("a click shorter than a word starts the initial silence over (Asterisk's silence counter)", () => {
    const verdict = run([...silence(2000), ...noise(40), ...silence(3000)], { totalAnalysisTimeMs: 10_000 });
    assert.deepEqual(verdict, { result: "machine", reason: "initial-silence", afterMs: 2040 + 2500 });
  });

  test("a steady 1 kHz tone alone is a beep after 120 ms; so is one between two analysis bins", () => {
    assert.deepEqual(run(tone(1000, 1000)), { result: "machine", reason: "beep", afterMs: 120 });
    assert.deepEqual(run(tone(1025, 1000)), { result: "machine", reason: "beep", afterMs: 120 });
    assert.deepEqual(run([...silence(500), ...tone(440, 300)]), {
      result: "machine",
      reason: "beep",
      afterMs: 620,
    });
  });

  test("a tone shorter than 120 ms, out of 400–2500 Hz, or of two frequencies is no beep", () => {
    assert.equal(run([...silence(200), ...tone(1000, 100), ...silence(3000)])?.reason, "human-pattern");
    assert.notEqual(run(tone(300, 2000))?.reason, "beep");
    assert.notEqual(run(tone(3000, 2000))?.reason, "beep");
    // US dial tone: 350 + 440 Hz, half the energy on each.
    assert.deepEqual(run(tone([350, 440], 2000), {}), {
      result: "machine",
      reason: "long-greeting",
      afterMs: 1500,
    });
  });

  test("one word then 800 ms of silence is a human, decided on the 800th ms", () => {
    assert.deepEqual(run([...silence(300), ...noise(400), ...silence(2000)]), {
      result: "human",
      reason: "human-pattern",
      afterMs: 300 + 400 + 800,
    });
  });

  test("a fourth word is a machine (maximum_number_of_words 3); with 2, the third is", () => {
    const words = (n: number) =>
      Array.from({ length: n }, (_, i) => [...noise(200, 0.2, i + 1), ...silence(100)]).flat();
    assert.deepEqual(run(words(5)), { result: "machine", reason: "too-many-words", afterMs: 3 * 300 + 100 });
    assert.deepEqual(run(words(5), { maximumNumberOfWords: 2 }), {
      result: "machine",
      reason: "too-many-words",
      afterMs: 2 * 300 + 100,
    });
  });

  test("1.5 s of speech in all is a long greeting, even in few words", () => {
    const verdict = run([...noise(800), ...silence(300), ...noise(1000), ...silence(2000)]);
    assert.deepEqual(verdict, { result: "machine", reason: "long-greeting", afterMs: 800 + 300 + 700 });
  });

  test("a gap shorter than between_words_silence does not end a word, and one word too long is a machine", () => {
    const speech = [...noise(600), ...silence(40), ...noise(600, 0.2, 2)];
    const verdict = run(speech, { maximumWordLengthMs: 1000, greetingMs: 10_000 });
    assert.deepEqual(verdict, { result: "machine", reason: "max-word-length", afterMs: 600 + 40 + 400 });
  });

  test("undecided after total_analysis_time is unknown (timeout)", () => {
    // One word, then clicks every 700 ms: never 800 ms of silence, never a second word.
    const clicks = Array.from({ length: 10 }, (_, i) => [...silence(640), ...noise(60, 0.2, i + 2)]).flat();
    assert.deepEqual(run([...noise(200), ...clicks]), {
      result: "unknown",
      reason: "timeout",
      afterMs: 5000,
    });
  });

  test("frames after the verdict are ignored; bad frames and options are refused", () => {
    const detector = new AnsweringMachineDetector();
    for (const frame of silence(2480)) assert.equal(detector.push(frame), undefined);
    assert.equal(detector.state, "InitialSilence");
    assert.equal(detector.push(new Int16Array(160))?.reason, "initial-silence");
    assert.equal(detector.state, "Decided");
    assert.equal(detector.push(tone(1000, 20)[0] as Int16Array), undefined);
    assert.equal(detector.verdict?.afterMs, 2500);
    assert.throws(() => new AnsweringMachineDetector().push(new Int16Array(80)), /160 samples/);
    assert.throws(() => new AnsweringMachineDetector({ greetingMs: -1 }), RangeError);
    assert.throws(() => new AnsweringMachineDetector({ silenceThreshold: Number.NaN }), RangeError);
    assert.equal(DEFAULT_AMD_OPTIONS.totalAnalysisTimeMs, 5000);
    assert.ok(Object.isFrozen(DEFAULT_AMD_OPTIONS));
  });
});

describe("AnsweringMachineDetector properties", () => {
  type Piece = {
    kind: "silence" | "noise" | "tone";
    ms: number;
    hz: number;
    amplitude: number;
    seed: number;
  };
  const piece: fc.Arbitrary<Piece> = fc.record({
    kind: fc.constantFrom("silence", "noise", "tone"),
    ms: fc.integer({ min: 1, max: 60 }).map((n) => n * 20),
    hz: fc.integer({ min: 100, max: 3500 }),
    amplitude: fc.double({ min: 0, max: 0.9, noNaN: true }),
    seed: fc.integer({ min: 1, max: 1000 }),
  });
  const render = (p: Piece): Int16Array[] =>
    p.kind === "silence"
      ? silence(p.ms)
      : p.kind === "noise"
        ? noise(p.ms, p.amplitude, p.seed)
        : tone(p.hz, p.ms, p.amplitude);
  const options: fc.Arbitrary<Partial<AmdOptions>> = fc.record(
    {
      initialSilenceMs: fc.integer({ min: 0, max: 4000 }),
      greetingMs: fc.integer({ min: 0, max: 4000 }),
      afterGreetingSilenceMs: fc.integer({ min: 0, max: 2000 }),
      totalAnalysisTimeMs: fc.integer({ min: 0, max: 6000 }),
      minWordLengthMs: fc.integer({ min: 0, max: 300 }),
      betweenWordsSilenceMs: fc.integer({ min: 0, max: 200 }),
      maximumNumberOfWords: fc.integer({ min: 0, max: 6 }),
      silenceThreshold: fc.integer({ min: 0, max: 2000 }),
      maximumWordLengthMs: fc.integer({ min: 0, max: 6000 }),
      detectBeep: fc.boolean(),
    },
    { requiredKeys: [] },
  );

  test("any audio gets at most one verdict, and always one by total_analysis_time, on the frame that decides", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), options, (pieces, settings) => {
        const frames = pieces.flatMap(render);
        const detector = new AnsweringMachineDetector(settings);
        const limit = Math.max(1, Math.ceil(detector.options.totalAnalysisTimeMs / 20));
        const verdicts: Array<{ at: number; verdict: AmdVerdict }> = [];
        frames.forEach((frame, i) => {
          const verdict = detector.push(frame);
          if (verdict) verdicts.push({ at: i, verdict });
        });
        assert.ok(verdicts.length <= 1, "at most one verdict");
        const first = verdicts[0];
        if (frames.length >= limit) assert.ok(first && first.at < limit, "a verdict by total_analysis_time");
        if (first) {
          assert.equal(first.verdict.afterMs, (first.at + 1) * 20);
          assert.equal(detector.state, "Decided");
          assert.equal(first.verdict.result === "unknown", first.verdict.reason === "timeout");
        } else {
          assert.notEqual(detector.state, "Decided");
        }
      }),
      { numRuns: 150 },
    );
  });
});
