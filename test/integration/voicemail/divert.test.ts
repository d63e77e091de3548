import assert from "node:assert/strict";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";

test("a callee that answers 486 Busy, or has no phone registered, sends the caller to voicemail; without the feature the caller gets the failure", async (t) => {
  const parley = await startSipTestNode(["1001", "1002", "1003"], {}, { features: { voicemail: true } });
  t.after(() => parley.stop());
  const caller = await StackPhone.start({ extension: "1001", password: "pw-1001", registrar: parley.target });
  const callee = await StackPhone.start({ extension: "1002", password: "pw-1002", registrar: parley.target });
  t.after(() => caller.stop());
  t.after(() => callee.stop());
  callee.answerCalls();
  await bindContact(parley.node, "1002", callee.port);

  const answeredBy = async (extension: string) => {
    const call = await caller.dial(extension);
    const outcome = await call.outcome;
    if ("session" in outcome) await outcome.session.bye();
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
    return "session" in outcome ? 200 : outcome.status;
  };
  callee.mode = 486;
  assert.equal(await answeredBy("1002"), 200, "busy: voicemail answers");
  assert.equal(await answeredBy("1003"), 200, "not registered: voicemail answers");
  await parley.node.sip.calls.cdrs?.drain();
  const cdrs = await parley.node.cdrs.list({});
  assert.deepEqual(
    cdrs.map((c) => c.service),
    ["voicemail", "voicemail"],
    "the call records name the service that ran the call",
  );

  // Switch 1002's voicemail feature off: the caller gets the callee's 486 again.
  const users = (await (
    await fetch(`${parley.api}/users`, { headers: { authorization: `Bearer ${parley.adminToken}` } })
  ).json()) as { users: Array<{ id: string; extension: string }> };
  const bob = users.users.find((u) => u.extension === "1002");
  const patched = await fetch(`${parley.api}/users/${bob?.id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ features: { voicemail: false } }),
  });
  assert.equal(patched.status, 200);
  assert.equal(await answeredBy("1002"), 486);
});
