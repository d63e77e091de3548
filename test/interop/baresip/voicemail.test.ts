import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ImapFlow } from "imapflow";
import { readWav, wavHeader } from "../../../src/media/index.ts";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone, sineFrame } from "../../support/tone-probe.ts";

const BOB = "1002@parley.test";

/** The message-summary bodies baresip printed ("----- MWI for <aor> -----", then the body), in order. */
function mwiBodies(output: string): string[] {
  return output
    .split(/^----- MWI for \S+ -----\r?\n/m)
    .slice(1)
    .map((block) => block.split(/\r?\n\r?\n/)[0] ?? "");
}

/** The smallest valid PNG (1×1, transparent). */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==",
  "base64",
);

function toneWav(frequency: number, seconds = 1): Buffer {
  const pcm = sineFrame(frequency, 8000, 8000 * seconds, 0.5);
  return Buffer.concat([
    wavHeader(8000, 1, pcm.byteLength),
    Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength),
  ]);
}

const ALICE_SIGNATURE = {
  text: "Alice — Parley Telecom",
  voice: toneWav(600).toString("base64"),
  image: { contentType: "image/png", data: PNG.toString("base64") },
};

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

describe("voicemail phone menu with baresip", () => {
  test("*98 from the owner's phone plays the messages; 7 deletes the newest, 9 saves the next, and the IMAP view agrees", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], {}, { features: { voicemail: true } });
    t.after(() => parley.stop());
    const store = parley.node.voicemail.store;
    const send = async (frequency: number) => {
      const pcm = sineFrame(frequency, 8000, 8000, 0.5);
      const audio = Buffer.concat([wavHeader(8000, 1, pcm.byteLength), Buffer.from(pcm.buffer)]);
      const response = await fetch(`${parley.api}/voicemail/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ from: "1001@parley.test", to: [BOB], audio: audio.toString("base64") }),
      });
      assert.equal(response.status, 202);
    };
    await send(700);
    await send(900);
    const [older, newer] = await store.messages(BOB, "INBOX");
    assert.ok(older && newer);
    const bob = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      seconds: 60,
    });
    t.after(() => bob.kill());
    await eventually(() => parley.node.sip.location.lookup(`sip:${BOB}`).length === 1, "1002 to register");
    assert.equal((await bob.command("dial", `sip:*98@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the menu to answer",
    );
    // "Two new messages", then the newest message's introduction: 7 deletes it.
    await sleep(3500);
    assert.equal((await bob.command("sndcode", "7")).ok, true);
    await eventually(
      async () => !(await store.messages(BOB, "INBOX")).some((m) => m.uid === newer.uid),
      "the newest message deleted",
    );
    // "Message deleted", then the older message plays: 9 saves it.
    await sleep(3500);
    assert.equal((await bob.command("sndcode", "9")).ok, true);
    await eventually(
      async () => (await store.messages(BOB, "Saved")).length === 1,
      "a message saved",
      10_000,
    );
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the menu to hang up", 20_000);
    assert.deepEqual(await store.messages(BOB, "INBOX"), [], "nothing left in INBOX");
    const [saved] = await store.messages(BOB, "Saved");
    assert.ok(saved?.flags.includes("\\Seen"), "the saved message is marked heard");
    const raw = await store.source(BOB, "Saved", saved?.uid ?? 0);
    const message = await parseVoiceMessage(raw as Buffer);
    const tone = dominantTone(readWav(message.audio.data).samples[0] as Int16Array, 8000, [700, 900]);
    assert.equal(tone.frequency, 700, "the older message (700 Hz) is the one saved");
    assert.deepEqual(await store.counts(BOB), { newMessages: 0, oldMessages: 1, urgentNew: 0, urgentOld: 0 });
    // What an IMAP client sees is the same state.
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: parley.node.voicemail.imap?.address.port ?? 0,
      secure: false,
      doSTARTTLS: false,
      auth: { user: BOB, pass: "web-1002" },
      logger: false,
    });
    await imap.connect();
    const inboxStatus = await imap.status("INBOX", { messages: true });
    assert.equal(inboxStatus && inboxStatus.messages, 0);
    const savedBox = await imap.mailboxOpen("Saved");
    assert.equal(savedBox.exists, 1);
    const fetched = await imap.fetchOne("1", { uid: true, flags: true });
    assert.equal(fetched && fetched.flags?.has("\\Seen"), true, "IMAP sees the saved message as read");
    await imap.logout();
    await bob.quit();
  });
});

describe("voicemail menu from any phone (*99) with a PIN", () => {
  test("*99 asks for the mailbox and its PIN; a wrong PIN is refused, the right one opens the box and 7 deletes the message", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], {}, { features: { voicemail: true } });
    t.after(() => parley.stop());
    const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
    const patched = await fetch(`${parley.api}/users/${BOB}/voicemail`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ pin: "4711" }),
    });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as { hasPin: boolean }).hasPin, true);
    const sent = await fetch(`${parley.api}/voicemail/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({ from: "1001@parley.test", to: [BOB], audio: toneWav(700).toString("base64") }),
    });
    assert.equal(sent.status, 202);
    const store = parley.node.voicemail.store;
    // Alice calls *99 from her own phone and opens Bob's box with his PIN.
    const alice = await BaresipPhone.start({
      extension: "1001",
      password: "pw-1001",
      registrar: parley.target,
      toneHz: 1000,
      seconds: 60,
    });
    t.after(() => alice.kill());
    await eventually(
      () => parley.node.sip.location.lookup("sip:1001@parley.test").length === 1,
      "1001 to register",
    );
    assert.equal((await alice.command("dial", `sip:*99@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the menu to answer",
    );
    const press = async (digits: string) => {
      for (const digit of digits) {
        assert.equal((await alice.command("sndcode", digit)).ok, true);
        await sleep(300);
      }
    };
    await sleep(3500); // "Please enter the mailbox number"
    await press("1002#");
    await sleep(2500); // "Please enter your PIN"
    await press("0000#");
    await sleep(3500); // "That PIN is not correct. Please enter your PIN"
    assert.deepEqual(
      (await store.messages(BOB, "INBOX")).map((m) => m.flags.length),
      [0],
      "a wrong PIN opens nothing",
    );
    await press("4711#");
    // The message plays and is marked heard; 7 deletes it.
    await sleep(3000);
    await press("7");
    await eventually(
      async () => (await store.messages(BOB, "INBOX")).length === 0,
      "the message deleted",
      10_000,
    );
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the menu to hang up", 20_000);
    await alice.quit();
  });
});

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

describe("recording a greeting by phone", () => {
  test("after the messages the menu offers the options: 1 records a greeting (until #), which becomes the mailbox's greeting", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1002"], {}, { features: { voicemail: true } });
    t.after(() => parley.stop());
    const bob = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 800,
      seconds: 60,
    });
    t.after(() => bob.kill());
    await eventually(() => parley.node.sip.location.lookup(`sip:${BOB}`).length === 1, "1002 to register");
    assert.equal((await bob.command("dial", `sip:*98@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the menu to answer",
    );
    await sleep(5000); // "You have no new messages." "There are no more messages." then the options: 1 cuts in
    assert.equal((await bob.command("sndcode", "1")).ok, true);
    await sleep(7000); // "Record your greeting after the tone…" (4 s), the beep, then 800 Hz is recorded
    assert.equal((await bob.command("sndcode", "#")).ok, true);
    await eventually(
      async () => (await parley.node.voicemail.service.settings(BOB))?.greeting !== undefined,
      "the greeting stored",
    );
    const greeting = (await parley.node.voicemail.service.settings(BOB))?.greeting as Buffer;
    const samples = readWav(greeting).samples[0] as Int16Array;
    assert.ok(samples.length / 8000 >= 1, `${samples.length / 8000} s recorded`);
    assert.equal(dominantTone(samples, 8000, [800, 1000, 2000]).frequency, 800, "the phone's own voice");
    assert.equal((await bob.command("sndcode", "*")).ok, true);
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the menu to end", 20_000);
    await bob.quit();
  });
});
