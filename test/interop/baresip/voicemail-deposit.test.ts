import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ImapFlow } from "imapflow";
import { readWav } from "../../../src/media/index.ts";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";
import { ALICE_SIGNATURE, mwiBodies, PNG, toneWav } from "../../support/voicemail.ts";

const BOB = "1002@parley.test";

/** The spool folder holds a recording while a caller speaks to voicemail. */
function recordingStarted(dataDir: string): boolean {
  const spool = join(dataDir, "voicemail", "spool");
  return existsSync(spool) && readdirSync(spool).some((name) => name.endsWith(".wav"));
}

describe("voicemail deposit with baresip phones", () => {
  test("an unanswered call goes to voicemail: the caller's 3 s tone is in the callee's INBOX with caller id, duration, audio and the caller's signature; the callee's lamp goes on by NOTIFY and off once the message is read over IMAP", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(
      ["1001", "1002"],
      { PARLEY_CALLS_NO_ANSWER_TIMEOUT: "2" },
      { features: { voicemail: true } },
    );
    t.after(() => parley.stop());
    const dataDir = parley.node.config.data_dir;
    // Bob's phone rings and is never answered; it subscribes to its message-summary (RFC 3842).
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      seconds: 60,
      mwi: true,
    });
    t.after(() => callee.kill());
    await eventually(() => parley.node.sip.location.lookup(`sip:${BOB}`).length === 1, "1002 to register");
    await eventually(
      () => mwiBodies(callee.output).length >= 1,
      "Bob's phone to show its first message summary",
    );
    assert.match(mwiBodies(callee.output)[0] ?? "", /^Messages-Waiting: no$/m, "an empty mailbox: lamp off");
    // Alice's signature goes with her message (she is the authenticated caller).
    const signature = await fetch(`${parley.api}/users/1001@parley.test/signature`, {
      method: "PUT",
      headers: { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(ALICE_SIGNATURE),
    });
    assert.equal(signature.status, 200, await signature.text());
    // Bob's personal greeting (uploaded by API): 2 s of 500 Hz.
    const greeting = await fetch(`${parley.api}/users/${BOB}/voicemail/greeting`, {
      method: "PUT",
      headers: { authorization: `Bearer ${parley.adminToken}`, "content-type": "audio/wav" },
      body: toneWav(500, 2),
    });
    assert.equal(greeting.status, 200, await greeting.text());
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
    // The caller heard Bob's greeting before the beep.
    const heard = caller.heard() ?? new Int16Array();
    let greetingHeard = 0;
    for (let at = 0; at + 4000 <= heard.length; at += 4000) {
      const window = dominantTone(heard.subarray(at, at + 4000), 8000, [500, 1000, 2000, 425, 440]);
      if (window.frequency === 500 && window.ratio > 10) greetingHeard += 0.5;
    }
    assert.ok(greetingHeard >= 1, `the caller heard the 500 Hz greeting (${greetingHeard} s)`);
    assert.equal(message.signature.text, ALICE_SIGNATURE.text, "the signature's text part");
    assert.deepEqual(message.signature.image, { contentType: "image/png", data: PNG }, "its image part");
    assert.ok(
      message.signature.voice && readWav(message.signature.voice).samples[0]?.length === 8000,
      "its voice part",
    );
    const counts = await parley.node.voicemail.store.counts(BOB);
    assert.deepEqual(counts, { newMessages: 1, oldMessages: 0, urgentNew: 0, urgentOld: 0 });
    // The lamp: Bob's phone gets a NOTIFY with Messages-Waiting: yes ...
    await eventually(
      () => mwiBodies(callee.output).some((body) => /^Messages-Waiting: yes$/m.test(body)),
      "Bob's phone to show the waiting message",
    );
    assert.match(mwiBodies(callee.output).at(-1) ?? "", /^Voice-Message: 1\/0 \(0\/0\)$/m);
    // ... and reading the message over IMAP turns it off (Messages-Waiting: no).
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: parley.node.voicemail.imap?.address.port ?? 0,
      secure: false,
      doSTARTTLS: false,
      auth: { user: BOB, pass: "web-1002" },
      logger: false,
    });
    await imap.connect();
    await imap.mailboxOpen("INBOX");
    await imap.messageFlagsAdd("1", ["\\Seen"]);
    await imap.logout();
    await eventually(
      () => /^Messages-Waiting: no$/m.test(mwiBodies(callee.output).at(-1) ?? ""),
      "Bob's lamp to go off after reading over IMAP",
    );
    assert.match(mwiBodies(callee.output).at(-1) ?? "", /^Voice-Message: 0\/1 \(0\/0\)$/m);
    await callee.quit();
  });
});
