import assert from "node:assert/strict";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";

test("a call's recording is paused, resumed, stopped and started over the API, and each end is an SSE event", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"]);
  t.after(() => parley.stop());
  const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
  const { users } = (await (await fetch(`${parley.api}/users`, { headers })).json()) as {
    users: Array<{ id: string; extension: string }>;
  };
  const callee = users.find((u) => u.extension === "1002");
  await fetch(`${parley.api}/users/${callee?.id}`, {
    method: "PATCH",
    headers,
    body: JSON.stringify({ features: { recording: true } }),
  });
  const caller = await StackPhone.start({ extension: "1001", password: "pw-1001", registrar: parley.target });
  const phone = await StackPhone.start({ extension: "1002", password: "pw-1002", registrar: parley.target });
  t.after(() => caller.stop());
  t.after(() => phone.stop());
  phone.answerCalls();
  await bindContact(parley.node, "1002", phone.port);

  const controller = new AbortController();
  t.after(() => controller.abort());
  const events: string[] = [];
  const stream = await fetch(`${parley.api}/recordings/events`, { headers, signal: controller.signal });
  assert.equal(stream.status, 200);
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream.body as AsyncIterable<Uint8Array>) events.push(decoder.decode(chunk));
    } catch {
      // aborted at the end of the test
    }
  })();

  const session = await caller.call("1002");
  await eventually(() => parley.node.recording.active === 1, "the automatic recording");
  const callId = parley.node.sip.calls.calls[0]?.id ?? "";
  const act = async (action: string) => {
    const response = await fetch(`${parley.api}/calls/${callId}/recording`, {
      method: "POST",
      headers,
      body: JSON.stringify({ action }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const status = await (await fetch(`${parley.api}/calls/${callId}/recording`, { headers })).json();
  assert.equal((status as { recording: boolean }).recording, true);
  assert.deepEqual((await act("pause")).body.paused, true);
  assert.deepEqual((await act("resume")).body.paused, false);
  const stopped = await act("stop");
  assert.equal(stopped.status, 200);
  assert.equal(stopped.body.recording, false);
  assert.equal((await act("stop")).status, 409, "nothing left to stop");
  await eventually(() => events.join("").includes("event: recording.saved"), "the saved event on the stream");
  const started = await act("start");
  assert.equal(started.body.recording, true);
  await session.bye();
  await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
  await eventually(
    () => events.join("").split("event: recording.saved").length === 3,
    "the second saved event",
  );
  const rows = await parley.node.recording.store.list({});
  assert.deepEqual(rows.map((r) => r.reason).sort(), ["callee", "on-demand"]);
  assert.ok(rows.every((r) => r.status === "saved"));
  const unknown = await fetch(`${parley.api}/calls/nope/recording`, {
    method: "POST",
    headers,
    body: JSON.stringify({ action: "pause" }),
  });
  assert.equal(unknown.status, 404);
});
