import assert from "node:assert/strict";
import { test } from "node:test";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { BaresipTextPhone } from "../../support/baresip-text-phone.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { findPrompt } from "../../support/prompt-match.ts";
import { registeredPhones } from "../../support/registered-phones.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone, goertzel, rms } from "../../support/tone-probe.ts";
import { adminApi } from "../../support/voicemail.ts";

const TONES = [1000, 2000];
const incoming = (phone: BaresipPhone) => phone.output.split(/Incoming call from/).length - 1;

test("a background call goes past a busy callee and an unanswered one, then bridges the callee who answers with the caller Parley calls back: both hear each other, the job log shows every step in order", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(
    ["1001", "1002"],
    { PARLEY_BACKGROUND_CALL_AMD: "false", PARLEY_BACKGROUND_CALL_RING_SECONDS: "5" },
    { features: { backgroundCall: true } },
  );
  t.after(() => parley.stop());
  const callee = await BaresipPhone.start({
    extension: "1002",
    password: "pw-1002",
    registrar: parley.target,
    toneHz: 2000,
    seconds: 60,
  });
  t.after(() => callee.kill());
  const caller = await BaresipPhone.start({
    extension: "1001",
    password: "pw-1001",
    registrar: parley.target,
    toneHz: 1000,
    autoAnswer: true,
    seconds: 60,
  });
  t.after(() => caller.kill());
  for (const extension of ["1001", "1002"]) {
    await eventually(
      () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length === 1,
      `${extension} to register`,
    );
  }

  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 1,
    maxAttempts: 5,
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body?.id as string;
  const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};

  // Attempt 1: the callee's phone rings and its user rejects the call.
  await eventually(() => incoming(callee) === 1, "the first ring", 10_000);
  const rejected = await callee.command("hangup");
  assert.ok(rejected.ok, rejected.data);
  await eventually(async () => (await job()).attempts === 2, "the second attempt", 10_000);
  // Attempt 2 rings out (ring_seconds = 5); attempt 3 is answered.
  await eventually(() => incoming(callee) === 3, "the third ring", 15_000);
  const accepted = await callee.command("accept");
  assert.ok(accepted.ok, accepted.data);
  await eventually(async () => (await job()).state === "bridged", "the bridge", 15_000);
  // Both talk for a moment (the caller first hears the "connected" prompt, the callee hold
  // music, until the bridge), then the callee hangs up: Parley ends the caller's leg too.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await callee.quit();
  await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end", 5000);
  await caller.quit();

  const done = await job();
  assert.equal(done.state, "bridged");
  assert.equal(done.attempts, 3);
  const log = done.log as Array<{ at: string; state: string; event: string; detail?: string }>;
  assert.deepEqual(
    log.map((e) => [e.state, e.event, e.detail]),
    [
      ["pending", "started", "by api"],
      ["trying", "trying", undefined],
      ["trying", "attempt", "call 1 to 1002@parley.test"],
      ["trying", "not answered", "USER_BUSY"],
      ["trying", "attempt", "call 2 to 1002@parley.test"],
      ["trying", "not answered", "NO_ANSWER"],
      ["trying", "attempt", "call 3 to 1002@parley.test"],
      ["callee-answered", "callee answered", undefined],
      ["calling-caller", "calling caller", "1001@parley.test"],
      ["bridged", "bridged", undefined],
    ],
    JSON.stringify(log, null, 1),
  );
  const at = log.map((e) => Date.parse(e.at));
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    "the steps are in time order",
  );
  const gap = (from: number, to: number) => (at[to] as number) - (at[from] as number);
  assert.ok(gap(3, 4) >= 950 && gap(5, 6) >= 950, "the retry interval (1 s) passes between attempts");
  assert.ok(gap(4, 5) >= 4500 && gap(4, 5) < 7000, `attempt 2 rang for ring_seconds (5 s): ${gap(4, 5)} ms`);
  assert.match(callee.output, /call: rejecting incoming call from sip:1001@parley\.test \(486 /);
  assert.match(
    callee.output,
    /Incoming call from: 1001 sip:1001@parley\.test/,
    "the callee sees who wants them",
  );
  assert.match(
    caller.output,
    /answering call on line 1 from sip:1002@parley\.test/,
    "the callback is from the callee",
  );

  // The last seconds of each recording are the bridged conversation. Before it, the caller
  // hears the "connected" prompt; the callee hears nothing then (Parley stops its hold music
  // when the caller answers and sends no RTP until the bridge), so its recording is short.
  const lastTalk = (phone: BaresipPhone) => {
    const heard = phone.heard();
    assert.ok(heard && heard.length > 2.5 * 8000, `${phone.options.extension} heard a call\n${phone.output}`);
    return heard.subarray(heard.length - 2 * 8000, heard.length - 3200);
  };
  const atCallee = lastTalk(callee);
  const atCaller = lastTalk(caller);
  assert.ok(rms(atCallee) > 0.05 && rms(atCaller) > 0.05, "neither side hears silence");
  assert.equal(dominantTone(atCallee, 8000, TONES).frequency, 1000, "the callee hears the caller's 1 kHz");
  assert.equal(dominantTone(atCaller, 8000, TONES).frequency, 2000, "the caller hears the callee's 2 kHz");
  assert.ok(goertzel(atCallee, 8000, 1000) > 10 * goertzel(atCallee, 8000, 2000), "no echo at the callee");
  assert.ok(goertzel(atCaller, 8000, 2000) > 10 * goertzel(atCaller, 8000, 1000), "no echo at the caller");
});

test("the callee answers but the caller does not: the callee hears the hold prompt, then the missed prompt, and Parley hangs up; the job ends caller-missed and the caller's phone shows a text", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(
    ["1001", "1002"],
    { PARLEY_BACKGROUND_CALL_AMD: "false", PARLEY_BACKGROUND_CALL_CALLER_RING_SECONDS: "5" },
    { features: { backgroundCall: true } },
  );
  t.after(() => parley.stop());
  const callee = await BaresipPhone.start({
    extension: "1002",
    password: "pw-1002",
    registrar: parley.target,
    toneHz: 2000,
    autoAnswer: true,
    seconds: 60,
  });
  t.after(() => callee.kill());
  // The caller's phone rings but nobody picks it up.
  const caller = await BaresipTextPhone.start(t, { extension: "1001", registrar: parley.target });
  for (const extension of ["1001", "1002"]) {
    await eventually(
      () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length === 1,
      `${extension} to register`,
    );
  }

  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 1,
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body?.id as string;
  const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};
  await eventually(() => caller.incomingCalls() === 1, "the caller's phone to ring", 10_000);
  await eventually(
    () => caller.texts().length === 1,
    "the text on the caller's phone (after the 5 s ring and the callee's prompt)",
    20_000,
  );
  assert.deepEqual(caller.texts(), [
    {
      from: "sip:parley@parley.test",
      text: "1002 (1002) answered your background call, but you could not be reached. Please call back.",
    },
  ]);
  const done = await job();
  assert.equal(done.state, "caller-missed");
  assert.equal(done.attempts, 1, "no attempt after the callee answered");
  const log = done.log as Array<{ at: string; state: string; event: string; detail?: string }>;
  assert.deepEqual(
    log.map((e) => [e.state, e.event, e.detail]),
    [
      ["pending", "started", "by api"],
      ["trying", "trying", undefined],
      ["trying", "attempt", "call 1 to 1002@parley.test"],
      ["callee-answered", "callee answered", undefined],
      ["calling-caller", "calling caller", "1001@parley.test"],
      ["caller-missed", "caller missed", "NO_ANSWER"],
      ["caller-missed", "caller told", "SIP MESSAGE to 1 phone(s)"],
    ],
    JSON.stringify(log, null, 1),
  );
  const at = (event: string) => Date.parse(log.find((e) => e.event === event)?.at ?? "");
  const rang = at("caller missed") - at("calling caller");
  assert.ok(rang >= 4500 && rang < 7000, `the caller's phones rang caller_ring_seconds (5 s): ${rang} ms`);
  assert.match(caller.log, /Incoming call from: 1002 sip:1002@parley\.test/, "the callback shows the callee");

  // Parley ended the callee's call (BYE): baresip reports the remote side closed the session.
  await eventually(() => /Call with sip:1001@parley\.test terminated/.test(callee.output), "the BYE", 5000);
  assert.match(callee.output, /sip:1001@parley\.test: session closed: Connection reset by peer/);
  await eventually(() => parley.node.sip.calls.calls.length === 0, "no call left", 5000);
  await callee.quit();
  const heard = callee.heard();
  assert.ok(heard, callee.output);
  // What the callee heard: the hold prompt while the caller's phones rang (5 s), then the
  // missed prompt to its end, then nothing (the BYE).
  const hold = findPrompt(heard, "callback-hold");
  const missed = findPrompt(heard, "callback-caller-missed");
  assert.ok(hold.correlation > 0.75 && hold.at < 0.5, `the hold prompt first: ${JSON.stringify(hold)}`);
  assert.ok(missed.correlation > 0.9, `then the missed prompt: ${JSON.stringify(missed)}`);
  assert.ok(missed.at > 4.5 && missed.at < 6.5, `after the caller's 5 s ring: ${JSON.stringify(missed)}`);
  const end = heard.length / 8000;
  assert.ok(end < missed.at + missed.seconds + 1, `Parley hangs up after the prompt (heard ${end} s)`);
});

test("the callee hangs up while the caller hears the 'connected' prompt: Parley ends the caller's call too, and the job is not bridged", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(
    ["1001", "1002"],
    { PARLEY_BACKGROUND_CALL_AMD: "false" },
    { features: { backgroundCall: true } },
  );
  t.after(() => parley.stop());
  const phones = await registeredPhones(t, parley, [
    { extension: "1001", toneHz: 1000, autoAnswer: true },
    { extension: "1002", toneHz: 2000, autoAnswer: true },
  ]);
  const [caller, callee] = [phones["1001"], phones["1002"]] as [BaresipPhone, BaresipPhone];
  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 60,
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body?.id as string;
  // The caller answered: Parley plays it "connected" (2.9 s) before the bridge. The callee leaves.
  await eventually(() => /Call established/.test(caller.output), "the caller to answer", 10_000);
  assert.ok((await callee.command("hangup")).ok);
  await eventually(
    () => /session closed/.test(caller.output),
    "Parley to end the caller's call (nobody is left to talk to)",
    6000,
  );
  await eventually(
    async () =>
      ((await adminApi(parley, "GET", `/background-calls/${id}`)).body?.state as string) === "trying",
    "the job back to trying",
  );
  const job = (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};
  assert.notEqual(job.state, "bridged", JSON.stringify(job.log));
  assert.match(JSON.stringify(job.log), /callee left before the bridge/, "and the log says why");
});
