import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  ConferenceMixer,
  ConferenceRecorder,
  encodeG711,
  Recorder,
  RelayBridge,
  readWav,
} from "../../../src/media/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { heardAudio, mediaLeg, PAYLOAD_TYPES, toneFrame, until } from "../../support/media-legs.ts";
import { dominantTone, goertzel } from "../../support/tone-probe.ts";

const PT = PAYLOAD_TYPES;
const leg = mediaLeg;
const tone = toneFrame;
const audio = heardAudio;

describe("RelayBridge", () => {
  for (const [codecA, codecB] of [
    ["PCMU", "PCMU"],
    ["PCMU", "PCMA"],
  ] as const) {
    test(`A hears B's 2 kHz and B hears A's 1 kHz (${codecA} ↔ ${codecB})`, async (t) => {
      const a = await leg(codecA);
      const b = await leg(codecB);
      const bridge = new RelayBridge(a.endpoint, b.endpoint);
      t.after(() => (bridge.close(), a.close(), b.close()));
      assert.equal(bridge.transcoding, codecA !== codecB);
      for (let i = 0; i < 20; i++) {
        a.peer.send(encodeG711(codecA, tone(1000, i)), { payloadType: PT[codecA] });
        b.peer.send(encodeG711(codecB, tone(2000, i)), { payloadType: PT[codecB] });
      }
      await until(() => a.heard.length >= 20 && b.heard.length >= 20, "20 relayed frames each way");
      assert.equal(dominantTone(audio(a.heard, codecA), 8000, [1000, 2000]).frequency, 2000);
      assert.equal(dominantTone(audio(b.heard, codecB), 8000, [1000, 2000]).frequency, 1000);
      assert.ok(
        a.heard.every((p) => p.payloadType === PT[codecA]),
        "each side gets its own payload type",
      );
    });
  }
});

/**
 * Joins `legs` to `mixer` as p0, p1 … and has each send its tone for 30 frames, one 20 ms tick of
 * the mixer per frame once every leg's frame has arrived.
 */
async function feedConference(
  mixer: ConferenceMixer,
  legs: Array<Awaited<ReturnType<typeof leg>>>,
  freqs: number[],
  clock: FakeClock,
): Promise<void> {
  legs.forEach((l, i) => {
    mixer.join(`p${i}`, l.endpoint);
  });
  const arrived = legs.map(() => 0);
  legs.forEach((l, i) => {
    l.endpoint.session.on("packet", () => {
      arrived[i] = (arrived[i] ?? 0) + 1;
    });
  });
  for (let frame = 0; frame < 30; frame++) {
    legs.forEach((l, i) => {
      l.peer.send(encodeG711(l.codec, tone(freqs[i] as number, frame)), { payloadType: PT[l.codec] });
    });
    await until(() => arrived.every((n) => n > frame), `frame ${frame} at the mixer`);
    clock.advance(20);
  }
}

describe("ConferenceMixer", () => {
  test("three participants at 1, 2 and 3 kHz each hear exactly the other two", async (t) => {
    const clock = new FakeClock();
    const legs = [await leg("PCMU", clock), await leg("PCMA", clock), await leg("PCMU", clock)];
    const mixer = new ConferenceMixer({ clock });
    t.after(() => {
      mixer.close();
      for (const l of legs) l.close();
    });
    const freqs = [1000, 2000, 3000];
    await feedConference(mixer, legs, freqs, clock);
    await until(() => legs.every((l) => l.heard.length >= 25), "mixed frames at every phone");
    legs.forEach((l, i) => {
      const pcm = audio(l.heard.slice(5), l.codec);
      const powers = freqs.map((f) => goertzel(pcm, 8000, f));
      const own = powers[i] as number;
      const others = powers.filter((_, j) => j !== i);
      for (const p of others)
        assert.ok(
          p > 50 * own,
          `participant ${i} hears ${freqs.filter((_, j) => j !== i)} but not ${freqs[i]}: ${powers}`,
        );
    });
  });
});

describe("ConferenceRecorder", () => {
  test("records one participant: what it says left, what the room sends it right, one frame per tick", async (t) => {
    const clock = new FakeClock();
    const legs = [await leg("PCMU", clock), await leg("PCMA", clock), await leg("PCMU", clock)];
    const mixer = new ConferenceMixer({ clock });
    const path = join(mkdtempSync(join(tmpdir(), "parley-room-")), "room.wav");
    const recorder = new ConferenceRecorder({ path });
    const stop = mixer.tap("p0", (own, heard) => recorder.write(own, heard));
    recorder.onClose = stop;
    t.after(() => {
      recorder.close();
      mixer.close();
      for (const l of legs) l.close();
    });
    const freqs = [1000, 2000, 3000];
    await feedConference(mixer, legs, freqs, clock);
    recorder.close();
    clock.advance(100);
    assert.equal(recorder.framesWritten, 30, "one frame per tick while recording, none after close");
    const wav = readWav(path);
    assert.equal(wav.channels, 2);
    const left = (wav.samples[0] as Int16Array).subarray(800);
    const right = (wav.samples[1] as Int16Array).subarray(800);
    assert.equal(dominantTone(left, 8000, freqs).frequency, 1000, "left: p0's own voice");
    const heard = freqs.map((f) => goertzel(right, 8000, f));
    assert.ok((heard[1] as number) > 50 * (heard[0] as number), `right: p1, not p0 (${heard})`);
    assert.ok((heard[2] as number) > 50 * (heard[0] as number), `right: p2, not p0 (${heard})`);
  });
});

describe("Recorder", () => {
  for (const loss of [0, 0.1]) {
    test(`records caller left (1 kHz) and callee right (2 kHz) in step with the clock${loss ? ", with 10% packet loss" : ""}`, async (t) => {
      const clock = new FakeClock();
      const a = await leg("PCMU", clock);
      const b = await leg("PCMA", clock);
      const path = join(mkdtempSync(join(tmpdir(), "parley-rec-")), "call.wav");
      const recorder = new Recorder({
        path,
        clock,
        left: a.endpoint,
        right: b.endpoint,
        flushEveryFrames: 10,
      });
      t.after(() => (recorder.close(), a.close(), b.close()));
      const counts = [0, 0];
      a.endpoint.session.on("packet", () => (counts[0] = (counts[0] ?? 0) + 1));
      b.endpoint.session.on("packet", () => (counts[1] = (counts[1] ?? 0) + 1));
      const frames = 50;
      let sentA = 0;
      let sentB = 0;
      for (let frame = 0; frame < frames; frame++) {
        // Loss drops a packet before it is sent, but the sender's timestamps and sequence move on.
        const dropA = loss > 0 && frame % 10 === 3;
        const dropB = loss > 0 && frame % 10 === 7;
        if (dropA) a.peer.send(new Uint8Array(0), { payloadType: 99 });
        else a.peer.send(encodeG711("PCMU", tone(1000, frame)), { payloadType: 0 });
        if (dropB) b.peer.send(new Uint8Array(0), { payloadType: 99 });
        else b.peer.send(encodeG711("PCMA", tone(2000, frame)), { payloadType: 8 });
        sentA += 1;
        sentB += 1;
        await until(
          () => (counts[0] ?? 0) >= sentA && (counts[1] ?? 0) >= sentB,
          `frame ${frame} at the legs`,
        );
        clock.advance(20);
      }
      recorder.close();
      const wav = readWav(path);
      assert.equal(wav.channels, 2);
      const [left = new Int16Array(), right = new Int16Array()] = wav.samples;
      assert.equal(left.length, right.length, "both channels have the same length");
      assert.equal(left.length, frames * 160, "one frame per 20 ms tick: the file is as long as the call");
      assert.equal(dominantTone(left.subarray(1600, 3200), 8000, [1000, 2000]).frequency, 1000);
      assert.equal(dominantTone(right.subarray(1600, 3200), 8000, [1000, 2000]).frequency, 2000);
      if (loss > 0) {
        // A lost frame is silence at its own place; the frames around it keep their tone.
        const silent = (pcm: Int16Array, f: number) =>
          pcm.subarray(f * 160, (f + 1) * 160).every((s) => s === 0);
        const silentLeft = Array.from({ length: frames }, (_, f) => f).filter((f) => silent(left, f));
        const silentRight = Array.from({ length: frames }, (_, f) => f).filter((f) => silent(right, f));
        assert.ok(
          silentLeft.length >= 4 && silentRight.length >= 4,
          `lost frames recorded as silence: ${silentLeft} / ${silentRight}`,
        );
        assert.notDeepEqual(silentLeft.slice(2), silentRight.slice(2), "each channel's gaps are its own");
      }
    });
  }

  for (const mode of ["silence", "skip"] as const) {
    test(`pause(${mode === "silence" ? "{ silence: true }" : ""}) ${mode === "silence" ? "writes the paused span as silence" : "leaves the paused span out"}`, async (t) => {
      const clock = new FakeClock();
      const a = await leg("PCMU", clock);
      const b = await leg("PCMU", clock);
      const path = join(mkdtempSync(join(tmpdir(), "parley-rec-")), "paused.wav");
      const recorder = new Recorder({ path, clock, left: a.endpoint, right: b.endpoint });
      t.after(() => (recorder.close(), a.close(), b.close()));
      let received = 0;
      a.endpoint.session.on("packet", () => received++);
      for (let frame = 0; frame < 30; frame++) {
        if (frame === 10) recorder.pause(mode === "silence" ? { silence: true } : {});
        if (frame === 20) recorder.resume();
        a.peer.send(encodeG711("PCMU", tone(1000, frame)), { payloadType: 0 });
        await until(() => received > frame, `frame ${frame}`);
        clock.advance(20);
      }
      recorder.close();
      const [left = new Int16Array()] = readWav(path).samples;
      assert.equal(left.length, (mode === "silence" ? 30 : 20) * 160);
      const quiet = (f: number) => left.subarray(f * 160, (f + 1) * 160).every((s) => s === 0);
      assert.ok(!quiet(5) && !quiet(mode === "silence" ? 25 : 15), "the tone before and after the pause");
      if (mode === "silence") assert.ok([12, 15, 18].every(quiet), "the paused span is silence");
    });
  }
});
