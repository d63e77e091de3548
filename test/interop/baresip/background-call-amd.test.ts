import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readWav, wavHeader } from "../../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { adminApi } from "../../support/voicemail.ts";

const FIXTURES = new URL("../../fixtures/audio/", import.meta.url);

/** Silence after the fixture: baresip 1.0.0 hangs up when aufile reaches the end of its file. */
const SILENCE_AFTER_SECONDS = 20;

/**
 * A fixture (8 kHz mono) as baresip's aufile wants it, 48 kHz stereo 16-bit (each sample
 * interpolated linearly to six, as test/interop/baresip/answering-machine-detection.test.ts
 * does), followed by silence so that the phone stays on the line after speaking.
 */
function aufileVersion(name: string): string {
  const mono = readWav(readFileSync(new URL(`${name}.wav`, FIXTURES))).samples[0] as Int16Array;
  const out = new Int16Array((mono.length + SILENCE_AFTER_SECONDS * 8000) * 6 * 2);
  for (let i = 0; i < mono.length; i++) {
    const a = mono[i] as number;
    const b = mono[i + 1] ?? a;
    for (let k = 0; k < 6; k++) {
      const v = Math.round(a + ((b - a) * k) / 6);
      out[(i * 6 + k) * 2] = v;
      out[(i * 6 + k) * 2 + 1] = v;
    }
  }
  const file = join(mkdtempSync(join(tmpdir(), "parley-bg-amd-")), `${name}-48k.wav`);
  writeFileSync(file, Buffer.concat([wavHeader(48_000, 2, out.byteLength), Buffer.from(out.buffer)]));
  return file;
}

/** A baresip phone for 1002 that answers at once and speaks `fixture`. */
async function calleeSaying(parley: SipTestNode, fixture: string): Promise<BaresipPhone> {
  const phone = await BaresipPhone.start({
    extension: "1002",
    password: "pw-1002",
    registrar: parley.target,
    toneHz: 2000,
    audioFile: aufileVersion(fixture),
    autoAnswer: true,
    seconds: 60,
  });
  // baresip prints the registrar's 200 OK ("… 200 OK (Parley/…) [1 binding]").
  await eventually(() => /200 OK \(Parley[^)]*\) \[\d+ binding/.test(phone.output), "1002 to register");
  return phone;
}

test("a background call whose callee's phone answers with a voicemail greeting counts it as not answered and tries again; a person saying hello is connected to the caller", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(["1001", "1002"], {}, { features: { backgroundCall: true } });
  t.after(() => parley.stop());
  const caller = await BaresipPhone.start({
    extension: "1001",
    password: "pw-1001",
    registrar: parley.target,
    toneHz: 1000,
    autoAnswer: true,
    seconds: 60,
  });
  t.after(() => caller.kill());
  await eventually(
    () => parley.node.sip.location.lookup("sip:1001@parley.test").length === 1,
    "1001 to register",
  );
  const machine = await calleeSaying(parley, "amd-greeting");
  t.after(() => machine.kill());

  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 4,
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body?.id as string;
  const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};
  type Entry = { at: string; state: string; event: string; detail?: string };
  const log = async () => ((await job()).log ?? []) as Entry[];
  await eventually(
    async () => (await log()).some((e) => e.event === "not answered"),
    "the verdict on the first attempt",
    20_000,
  );
  const first = await job();
  const verdict = (first.log as Entry[]).find((e) => e.event === "not answered");
  assert.match(verdict?.detail ?? "", /^answering machine \((long-greeting|too-many-words|beep)\)$/);
  assert.equal(first.state, "trying", "the job goes on");
  assert.equal(first.attempts, 1);
  assert.ok(first.nextAttemptAt, "the next attempt is scheduled");
  assert.match(machine.output, /Call established/, "the machine's phone was answered");
  await eventually(
    () => /sip:1001@parley\.test: session closed: Connection reset by peer/.test(machine.output),
    "Parley to hang up on the machine (BYE)",
  );

  // A person takes over 1002 before the next attempt.
  await machine.quit();
  const person = await calleeSaying(parley, "amd-hello");
  t.after(() => person.kill());
  await eventually(async () => (await job()).attempts === 2, "the next attempt", 10_000);
  await eventually(async () => (await job()).state === "bridged", "the bridge", 20_000);
  const done = await job();
  const steps = (done.log as Entry[]).map((e) => `${e.event}${e.detail ? ` (${e.detail})` : ""}`);
  assert.deepEqual(
    steps,
    [
      "started (by api)",
      "trying",
      "attempt (call 1 to 1002@parley.test)",
      `not answered (${verdict?.detail})`,
      "attempt (call 2 to 1002@parley.test)",
      "callee answered",
      "calling caller (1001@parley.test)",
      "bridged",
    ],
    JSON.stringify(done.log, null, 1),
  );
  const at = (done.log as Entry[]).map((e) => Date.parse(e.at));
  assert.ok((at[4] as number) - (at[3] as number) >= 3950, "the retry interval (4 s) passed");
  assert.match(person.output, /Call established/);
  assert.doesNotMatch(person.output, /terminated/, "the person is still on the line");
  await person.quit();
  await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end", 5000);
});
