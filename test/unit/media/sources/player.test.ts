import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Player, readWav, WavWriter } from "../../../../src/media/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import { heardAudio, mediaLeg, until } from "../../../support/media-legs.ts";
import { dominantTone, levelDb, rms, sineFrame } from "../../../support/tone-probe.ts";

/** A WAV prompt: `ms` of a sine at `frequency`, at 8 or 16 kHz. */
function promptFile(frequency: number, ms: number, sampleRate: 8000 | 16000): string {
  const path = join(mkdtempSync(join(tmpdir(), "parley-prompt-")), `tone-${frequency}-${sampleRate}.wav`);
  const writer = new WavWriter(path, { sampleRate });
  writer.write(sineFrame(frequency, sampleRate, (sampleRate * ms) / 1000, 0.3, 0));
  writer.close();
  return path;
}

describe("Player", () => {
  test("a prompt arrives at the phone with its duration and tone, then a tone, then finished is emitted once", async (t) => {
    const clock = new FakeClock();
    const leg = await mediaLeg("PCMA", clock);
    t.after(() => leg.close());
    const player = new Player({ endpoint: leg.endpoint, clock });
    const finished: boolean[] = [];
    player.on("finished", ({ interrupted }) => finished.push(interrupted));
    player.play([
      { kind: "file", path: promptFile(1000, 500, 8000) },
      { kind: "file", path: promptFile(2000, 300, 16000) },
      { kind: "tone", tone: "beep" },
    ]);
    for (let tick = 0; tick < 80 && player.playing; tick++) clock.advance(20);
    assert.equal(player.playing, false);
    assert.deepEqual(finished, [false]);
    assert.equal(player.framesSent, 25 + 15 + 10, "500 ms + 300 ms + a 200 ms beep, in 20 ms frames");
    await until(() => leg.heard.length >= 50, "50 frames at the phone");
    const pcm = heardAudio(leg.heard, "PCMA");
    assert.equal(dominantTone(pcm.subarray(0, 25 * 160), 8000, [1000, 2000]).frequency, 1000);
    assert.equal(
      dominantTone(pcm.subarray(25 * 160, 40 * 160), 8000, [1000, 2000]).frequency,
      2000,
      "16 kHz resampled",
    );
    assert.equal(leg.heard[0]?.marker, true, "the marker bit starts the talkspurt");
  });

  test("barge-in stops a play that allows it; loop repeats until stopped", async (t) => {
    const clock = new FakeClock();
    const leg = await mediaLeg("PCMU", clock);
    t.after(() => leg.close());
    const player = new Player({ endpoint: leg.endpoint, clock });
    const finished: boolean[] = [];
    player.on("finished", ({ interrupted }) => finished.push(interrupted));
    player.play([{ kind: "tone", tone: "ringback" }], { bargeIn: false });
    clock.advance(100);
    assert.equal(player.bargeIn(), false, "no barge-in on ring-back");
    player.play([{ kind: "silence", ms: 100 }], { loop: true, bargeIn: true });
    clock.advance(1000);
    assert.equal(player.playing, true, "a looped play keeps going");
    assert.equal(player.bargeIn(), true);
    assert.equal(player.playing, false);
    assert.deepEqual(
      finished,
      [true, true],
      "the replaced play and the barged-in one both report interrupted",
    );
  });
});

describe("shipped prompts (assets/prompts)", () => {
  const dir = fileURLToPath(new URL("../../../../assets/prompts/", import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith(".wav"));

  test("every prompt is 8 kHz mono 16-bit PCM with speech in it", () => {
    assert.ok(files.length >= 10, `${files.length} prompts`);
    for (const file of files) {
      const wav = readWav(join(dir, file));
      assert.equal(wav.sampleRate, 8000, file);
      assert.equal(wav.channels, 1, file);
      const pcm = wav.samples[0] ?? new Int16Array();
      const seconds = pcm.length / 8000;
      assert.ok(seconds > 0.4 && seconds < 15, `${file}: ${seconds} s`);
      assert.ok(
        levelDb(rms(pcm), 1) > -35,
        `${file} is not silent (${levelDb(rms(pcm), 1).toFixed(1)} dBFS)`,
      );
    }
  });

  test("a shipped prompt played into a leg takes as many 20 ms frames as its length", async (t) => {
    const clock = new FakeClock();
    const leg = await mediaLeg("PCMU", clock);
    t.after(() => leg.close());
    const path = join(dir, "goodbye.wav");
    const samples = readWav(path).samples[0]?.length ?? 0;
    const player = new Player({ endpoint: leg.endpoint, clock });
    player.play([{ kind: "file", path }]);
    for (let tick = 0; tick < 1000 && player.playing; tick++) clock.advance(20);
    assert.equal(player.framesSent, Math.ceil(samples / 160));
    await until(() => leg.heard.length === player.framesSent, "every frame at the phone");
  });
});
