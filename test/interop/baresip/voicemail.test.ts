import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { readWav } from "../../../src/media/index.ts";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";

const BOB = "1002@parley.test";

/** The spool folder holds a recording while a caller speaks to voicemail. */
function recordingStarted(dataDir: string): boolean {
  const spool = join(dataDir, "voicemail", "spool");
  return existsSync(spool) && readdirSync(spool).some((name) => name.endsWith(".wav"));
}

describe("voicemail deposit with baresip phones", () => {
  test("an unanswered call goes to voicemail: the caller's 3 s tone is in the callee's INBOX with caller id, duration and audio", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(
      ["1001", "1002"],
      { PARLEY_CALLS_NO_ANSWER_TIMEOUT: "2" },
      { features: { voicemail: true } },
    );
    t.after(() => parley.stop());
    const dataDir = parley.node.config.data_dir;
    // Bob's phone rings and is never answered.
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      seconds: 60,
    });
    t.after(() => callee.kill());
    await eventually(() => parley.node.sip.location.lookup(`sip:${BOB}`).length === 1, "1002 to register");
    const caller = await BaresipPhone.start({
      extension: "1001",
      password: "pw-1001",
      registrar: parley.target,
      toneHz: 1000,
      dial: `sip:1002@${parley.target}`,
      seconds: 60,
    });
    t.after(() => caller.kill());
    // After the 2 s of ringing, the greeting and the beep, the recording starts.
    await eventually(() => recordingStarted(dataDir), "voicemail to start recording", 30_000);
    await sleep(3000);
    await caller.quit();
    await eventually(
      async () => (await parley.node.voicemail.store.messages(BOB, "INBOX")).length === 1,
      "the message in Bob's INBOX",
      10_000,
    );
    const [stored] = await parley.node.voicemail.store.messages(BOB, "INBOX");
    assert.ok(stored);
    assert.deepEqual([...stored.flags], [], "a new message: not \\Seen");
    const raw = await parley.node.voicemail.store.source(BOB, "INBOX", stored.uid);
    assert.ok(raw);
    const message = await parseVoiceMessage(raw);
    assert.equal(message.callerId, "1001");
    assert.equal(message.from?.address, "1001@parley.test", "an authenticated caller is the sender");
    assert.ok(
      message.durationSeconds !== undefined && message.durationSeconds >= 2 && message.durationSeconds <= 5,
      `duration ${message.durationSeconds} s`,
    );
    assert.equal(message.audio.contentType, "audio/wav");
    const audio = readWav(message.audio.data);
    assert.equal(audio.sampleRate, 8000);
    const samples = audio.samples[0] as Int16Array;
    assert.ok(samples.length / 8000 >= 2, `${samples.length / 8000} s of audio`);
    const tone = dominantTone(samples.subarray(4000, samples.length - 4000), 8000, [1000, 2000, 400, 425]);
    assert.equal(tone.frequency, 1000, "the caller's tone is what was recorded");
    assert.ok(tone.ratio > 10, `1 kHz dominates (ratio ${tone.ratio.toFixed(1)})`);
    assert.equal(recordingStarted(dataDir), false, "the spool is emptied once the message is filed");
    const counts = await parley.node.voicemail.store.counts(BOB);
    assert.deepEqual(counts, { newMessages: 1, oldMessages: 0, urgentNew: 0, urgentOld: 0 });
    await callee.quit();
  });
});
