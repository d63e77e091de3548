import assert from "node:assert/strict";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";

test("recording.force_for_numbers: a call to an emergency number is recorded though nobody subscribes; other calls are not", async (t) => {
  // 911 is a user here (the emergency routing point); neither party has the recording feature.
  const parley = await startSipTestNode(["1001", "1002", "911"], {
    PARLEY_RECORDING_FORCE_FOR_NUMBERS: "911,112",
  });
  t.after(() => parley.stop());
  const caller = await StackPhone.start({ extension: "1001", password: "pw-1001", registrar: parley.target });
  t.after(() => caller.stop());
  const answerers = [];
  for (const extension of ["1002", "911"]) {
    const phone = await StackPhone.start({
      extension,
      password: `pw-${extension}`,
      registrar: parley.target,
    });
    t.after(() => phone.stop());
    phone.answerCalls();
    await bindContact(parley.node, extension, phone.port);
    answerers.push(phone);
  }
  for (const dialled of ["1002", "911"]) {
    const call = await caller.dial(dialled);
    const outcome = await call.outcome;
    assert.ok("session" in outcome, `${dialled} answers`);
    await eventually(() => parley.node.sip.calls.calls[0]?.parties.length === 2, "the bridge");
    await outcome.session.bye();
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
  }
  await parley.node.recording.drain();
  const recordings = await parley.node.recording.store.list({});
  assert.deepEqual(
    recordings.map((r) => [r.callee, r.reason]),
    [["911@parley.test", "emergency"]],
    "only the call to 911, as an emergency recording",
  );
});
