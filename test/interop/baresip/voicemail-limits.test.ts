import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readWav, wavHeader } from "../../../src/media/index.ts";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";

const BOB = "1002@parley.test";

describe("voicemail ends a message on silence and at the maximum length", () => {
  test("with divertAlways every call goes to voicemail; a caller who goes quiet leaves a message ended by silence (cut), one who keeps talking is stopped at the limit", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(
      ["1001", "1002"],
      { PARLEY_VOICEMAIL_SILENCE_SECONDS: "2", PARLEY_VOICEMAIL_MAX_MESSAGE_SECONDS: "5" },
      { features: { voicemail: true } },
    );
    t.after(() => parley.stop());
    const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
    // Every call to 1002 goes straight to voicemail (no phone registered needed).
    const patched = await fetch(`${parley.api}/users/${BOB}/voicemail`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ divertAlways: true }),
    });
    assert.equal(patched.status, 200);
    // 12 s of tone then silence, at baresip's 48 kHz stereo: the greeting (about 7 s)
    // (9 s) and the beep take the first part, the recording gets about 2.5 s of tone, then silence.
    const dir = mkdtempSync(join(tmpdir(), "parley-vm-audio-"));
    const file = join(dir, "speech.wav");
    const seconds = 20;
    const pcm = new Int16Array(48_000 * 2 * seconds);
    const toneEnd = 48_000 * 12;
    for (let i = 0; i < toneEnd; i++) {
      const v = Math.round(12_000 * Math.sin((2 * Math.PI * 1000 * i) / 48_000));
      pcm[2 * i] = v;
      pcm[2 * i + 1] = v;
    }
    writeFileSync(file, Buffer.concat([stereoHeader(48_000, pcm.byteLength), Buffer.from(pcm.buffer)]));
    const quiet = await BaresipPhone.start({
      extension: "1001",
      password: "pw-1001",
      registrar: parley.target,
      toneHz: 1000,
      audioFile: file,
      dial: `sip:1002@${parley.target}`,
      seconds: 40,
    });
    t.after(() => quiet.kill());
    await eventually(
      async () => (await parley.node.voicemail.store.messages(BOB, "INBOX")).length === 1,
      "the message ended by silence",
      30_000,
    );
    const [first] = await parley.node.voicemail.store.messages(BOB, "INBOX");
    const short = await parseVoiceMessage(
      (await parley.node.voicemail.store.source(BOB, "INBOX", first?.uid ?? 0)) as Buffer,
    );
    const samples = readWav(short.audio.data).samples[0] as Int16Array;
    const length = samples.length / 8000;
    assert.ok(
      length >= 1.5 && length < 4,
      `about 2.5 s of tone; the 2 s of silence that ended it are cut (${length} s)`,
    );
    assert.equal(dominantTone(samples, 8000, [1000, 2000]).frequency, 1000);
    await eventually(
      () => parley.node.sip.calls.calls.length === 0,
      "Parley to hang up after the message",
      10_000,
    );
    await quiet.quit();

    const talker = await BaresipPhone.start({
      extension: "1001",
      password: "pw-1001",
      registrar: parley.target,
      toneHz: 1000,
      dial: `sip:1002@${parley.target}`,
      seconds: 40,
    });
    t.after(() => talker.kill());
    await eventually(
      async () => (await parley.node.voicemail.store.messages(BOB, "INBOX")).length === 2,
      "the message ended at the limit",
      30_000,
    );
    const [, second] = await parley.node.voicemail.store.messages(BOB, "INBOX");
    const long = await parseVoiceMessage(
      (await parley.node.voicemail.store.source(BOB, "INBOX", second?.uid ?? 0)) as Buffer,
    );
    assert.equal(long.durationSeconds, 5, "voicemail.max_message_seconds");
    await eventually(
      () => parley.node.sip.calls.calls.length === 0,
      "Parley to hang up at the limit",
      10_000,
    );
    await talker.quit();
  });
});

/** A WAV header for 16-bit stereo PCM. */
function stereoHeader(rate: number, dataBytes: number): Buffer {
  return wavHeader(rate, 2, dataBytes);
}
