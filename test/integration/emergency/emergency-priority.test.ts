import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { closeSoftPhones, registeredSoftPhone } from "../../support/soft-phones.ts";

/**
 * Precedence between emergency calls: a user in an emergency call is not preempted by another of
 * equal priority (the second caller gets busy and the first call goes on), only by a higher one.
 */
test("an emergency call is preempted only by one of higher priority, never by an equal one", async (t) => {
  const parley = await startSipTestNode(
    ["8001", "8002", "8003", "8004"],
    {},
    {
      toml: `
[[emergency_numbers]]
number = "201"
users = ["8002"]
priority = 2
announcement = false
retries = 0

[[emergency_numbers]]
number = "202"
users = ["8002"]
priority = 2
announcement = false
retries = 0

[[emergency_numbers]]
number = "203"
users = ["8002"]
priority = 3
announcement = false
retries = 0
`,
    },
  );
  t.after(async () => {
    await closeSoftPhones(t);
    await parley.stop();
  });
  const start = (extension: string, autoAnswer: boolean) =>
    registeredSoftPhone(t, { extension, server: parley.target, toneHz: 1000, autoAnswer });
  const a = await start("8001", false);
  await start("8002", true);
  const c = await start("8003", false);
  const d = await start("8004", false);
  const emergency = parley.node.emergency;

  assert.deepEqual(await a.call("201"), { answered: true });
  const first = emergency.calls()[0];
  assert.ok(first);

  // Equal priority: B stays with A; C hears busy.
  const equal = await c.call("202");
  assert.equal(equal.answered, false);
  assert.equal(equal.answered === false && equal.status, 486);
  assert.equal(a.state, "Connected", "A's emergency call goes on");
  const refused = (await emergency.audit({ number: "202" })).map((s) => s.event);
  assert.deepEqual(refused.reverse(), ["started", "busy", "left", "ended"]);

  // Higher priority: A's call is preempted, D gets B.
  let aEnd: { reason?: string } | undefined;
  a.on("ended", (end) => {
    aEnd = end;
  });
  assert.deepEqual(await d.call("203"), { answered: true });
  await eventually(() => aEnd !== undefined, "A's call to end");
  assert.match(aEnd?.reason ?? "", /^preemption;cause=1;text="UA Preemption"$/);
  const steps = await emergency.audit({
    callId: emergency.calls().find((c) => c.number === "203")?.callId as string,
  });
  assert.equal(steps[1]?.event, "preempted");
  assert.match(steps[1]?.detail ?? "", new RegExp(`call ${first.callId}; cut off sip:8001@parley\\.test`));
  assert.equal((await parley.node.cdrs.get(first.callId))?.cause, "PREEMPTED");
});
