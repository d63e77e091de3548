import assert from "node:assert/strict";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { adminApi } from "../../support/voicemail.ts";

const NO_AMD = { PARLEY_BACKGROUND_CALL_AMD: "false" };

async function phones(extensions: string[], target: string) {
  const started = [];
  for (const extension of extensions) {
    started.push(await StackPhone.start({ extension, password: `pw-${extension}`, registrar: target }));
  }
  return started;
}

test("a background call retries a busy callee, then calls the caller back and bridges them; the job log shows each step; the caller's recording subscription applies", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"], NO_AMD, {
    features: { backgroundCall: true, recording: true },
  });
  t.after(() => parley.stop());
  const [alice, bob] = await phones(["1001", "1002"], parley.target);
  t.after(() => alice?.stop());
  t.after(() => bob?.stop());
  assert.ok(alice && bob);
  alice.answerCalls();
  bob.answerCalls();
  await bindContact(parley.node, "1001", alice.port);
  await bindContact(parley.node, "1002", bob.port);
  bob.mode = 486;
  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 1,
    maxAttempts: 5,
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body?.id as string;
  const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};
  await eventually(async () => (await job()).attempts === 2, "two refused attempts", 10_000);
  bob.mode = "answer";
  await eventually(async () => (await job()).state === "bridged", "the bridge", 15_000);
  const done = await job();
  assert.equal(done.attempts, 3);
  const steps = (done.log as Array<{ state: string; event: string; at: string }>).map(
    (e) => `${e.state}:${e.event}`,
  );
  assert.deepEqual(steps, [
    "pending:started",
    "trying:trying",
    "trying:attempt",
    "trying:not answered",
    "trying:attempt",
    "trying:not answered",
    "trying:attempt",
    "callee-answered:callee answered",
    "calling-caller:calling caller",
    "bridged:bridged",
  ]);
  const times = (done.log as Array<{ at: string }>).map((e) => Date.parse(e.at));
  assert.deepEqual(
    [...times].sort((a, b) => a - b),
    times,
    "steps in time order",
  );
  assert.equal(alice.answered.length, 1, "the caller was called back and answered");
  assert.equal(parley.node.sip.calls.calls.length, 1, "the bridged call runs");
  assert.equal(parley.node.sip.calls.calls[0]?.parties.length, 2);
  await eventually(
    async () => (await parley.node.recording.store.list({ owner: "1001@parley.test" })).length === 1,
    "the bridged call recorded, as any call of a subscriber",
  );
  const [recording] = await parley.node.recording.store.list({ owner: "1001@parley.test" });
  assert.equal(recording?.callId, parley.node.sip.calls.calls[0]?.id);
  await alice.answered[0]?.bye();
  await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
  const cdrs = await parley.node.cdrs.list({});
  assert.equal(cdrs.filter((c) => c.service === "background-call").length, 3, "a CDR per attempt");
});

test("the stop instruction over the API ends a job, followed over server-sent events; duplicates and blocked pairs are refused", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"], NO_AMD, { features: { backgroundCall: true } });
  t.after(() => parley.stop());
  const started = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 1,
  });
  assert.equal(started.status, 201);
  const id = started.body?.id as string;
  const again = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
  });
  assert.equal(again.status, 409, "one active background call per pair");
  // 1002 is not registered: each attempt fails at once.
  await eventually(
    async () => ((await adminApi(parley, "GET", `/background-calls/${id}`)).body?.attempts as number) >= 1,
    "an attempt",
  );
  // Follow it over server-sent events while it is stopped: the stream ends with the final state.
  const stream = await fetch(`${parley.api}/background-calls/${id}/events`, {
    headers: { authorization: `Bearer ${parley.adminToken}` },
  });
  assert.equal(stream.headers.get("content-type"), "text/event-stream");
  const streamed = stream.text();
  const stopped = await adminApi(parley, "DELETE", `/background-calls/${id}`);
  const events = (await streamed)
    .split("\n\n")
    .filter((block) => block.startsWith("event: job"))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)) as { state: string });
  assert.ok(events.length >= 2, "the job now, then its changes");
  assert.equal(events.at(-1)?.state, "stopped", "the last event is the final state, then the stream ends");
  assert.equal(stopped.status, 200);
  assert.equal(stopped.body?.state, "stopped");
  assert.equal(stopped.body?.nextAttemptAt, undefined, "no attempt is scheduled after the stop");
  assert.match(
    JSON.stringify(stopped.body?.log),
    /"state":"stopped","event":"stopped","detail":"api \(admin\)"/,
  );

  const put = await adminApi(parley, "PUT", "/users/1002@parley.test/background-call-blocks/1001");
  assert.deepEqual(put.body, { blocked: ["1001@parley.test"] }, "an extension is stored as the user");
  const blocked = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
  });
  assert.equal(blocked.status, 403);
  assert.match(JSON.stringify(blocked.body), /does not take background calls/);
  const removed = await adminApi(parley, "DELETE", "/users/1002@parley.test/background-call-blocks/1001");
  assert.deepEqual(removed.body, { blocked: [] });
  const allowed = await adminApi(parley, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
  });
  assert.equal(allowed.status, 201, "unblocked, and the stopped job no longer counts");
});
