import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../support/call-peers.ts";
import { hears } from "../../support/emergency.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { closeSoftPhones, registeredSoftPhone } from "../../support/soft-phones.ts";

/**
 * emergency.busy_callee = "second-call": Parley does not preempt; it rings the busy callee's phone
 * with the marked INVITE as a second call, and the phone (Parley's own UA, as `parley phone` runs
 * it) ends its ordinary call itself and answers, as SERVICES.md step 7 describes.
 */
test("second-call delivery: the callee's phone reports an emergency ring, drops its ordinary call and answers", async (t) => {
  const parley = await startSipTestNode(
    ["7001", "7002", "7003"],
    {},
    {
      toml: `
[emergency]
busy_callee = "second-call"

[[emergency_numbers]]
number = "112"
users = ["7002"]
announcement = false
`,
    },
  );
  t.after(async () => {
    await closeSoftPhones(t);
    await parley.stop();
  });
  const start = (extension: string, toneHz: number, autoAnswer: boolean) =>
    registeredSoftPhone(t, { extension, server: parley.target, toneHz, autoAnswer });
  const a = await start("7001", 650, false);
  const b = await start("7002", 1050, true);
  const c = await start("7003", 1450, false);
  const rings: string[] = [];
  b.on("incoming", ({ ring }) => rings.push(ring));
  let cEnd: { by: string; reason?: string } | undefined;
  c.on("ended", (end) => {
    cEnd = end;
  });

  // An ordinary call: C calls B, B's phone rings normally and answers.
  assert.deepEqual(await c.call("7002"), { answered: true });
  await eventually(() => b.state === "Connected", "B in its ordinary call");
  await eventually(() => hears(b.heard().slice(-8000), 1450), "B to hear C");
  const ordinary = parley.node.sip.calls.calls[0];
  assert.ok(ordinary);

  // A dials the emergency number: B's phone gets the marked INVITE while busy.
  const placed = a.call("112");
  await eventually(() => rings.length === 2, "the second INVITE at B");
  assert.deepEqual(rings, ["normal", "emergency"]);
  assert.deepEqual(await placed, { answered: true });
  await eventually(() => cEnd !== undefined, "C's call to end");
  // B ended its own call with the RFC 4411 Reason; Parley passed the cause on to C.
  assert.equal((await parley.node.cdrs.get(ordinary.id).then((r) => r?.legs[1]?.cause)) ?? "", "PREEMPTED");
  assert.match(cEnd?.reason ?? "", /^preemption ?;cause=1 ?;text="UA Preemption"$/);
  // A and B hear each other.
  await eventually(() => hears(a.heard().slice(-8000), 1050), "A to hear B");
  await eventually(() => hears(b.heard().slice(-8000), 650), "B to hear A");
  const steps = await parley.node.emergency.audit({
    callId: parley.node.emergency.calls()[0]?.callId as string,
  });
  assert.deepEqual(
    steps.map((s) => s.event),
    ["started", "ringing", "answered"],
    "no preemption by Parley in second-call mode",
  );
});
