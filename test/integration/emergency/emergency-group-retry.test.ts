import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../support/call-peers.ts";
import { hears } from "../../support/emergency.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { closeSoftPhones, registeredSoftPhone } from "../../support/soft-phones.ts";

/**
 * A bound user who does not answer is rung again (retries = 1), and joins the room when they
 * answer the second time; the caller and the first member hear them then.
 */
test("group: a member who let the first ring time out is rung once more and joins the room", async (t) => {
  const parley = await startSipTestNode(
    ["9001", "9002", "9003"],
    {},
    {
      toml: `
[emergency]
retry_delay = 0

[[emergency_numbers]]
number = "9000"
users = ["9002", "9003"]
announcement = false
ring_timeout = 5
retries = 1
`,
    },
  );
  t.after(async () => {
    await closeSoftPhones(t);
    await parley.stop();
  });
  const start = (extension: string, toneHz: number, autoAnswer: boolean) =>
    registeredSoftPhone(t, { extension, server: parley.target, toneHz, autoAnswer });
  const a = await start("9001", 650, false);
  await start("9002", 1050, true);
  const y = await start("9003", 1450, false);
  // Y lets the first emergency ring go unanswered and answers the second.
  let rings = 0;
  const kinds: string[] = [];
  y.on("incoming", ({ ring }) => {
    kinds.push(ring);
    rings++;
  });
  y.on("statechange", (state) => {
    if (state === "Ringing" && rings === 2) void y.answer();
  });

  assert.deepEqual(await a.call("9000"), { answered: true });
  const [call] = parley.node.emergency.calls();
  assert.ok(call?.room);
  await eventually(
    () => parley.node.sip.calls.conferences.size(call.room as string) === 2,
    "A and X in the room",
  );
  await eventually(
    () => parley.node.sip.calls.conferences.size(call.room as string) === 3,
    "Y in the room",
    15_000,
  );
  assert.deepEqual(kinds, ["emergency", "emergency"]);
  await eventually(() => hears(a.heard().slice(-8000), 1450), "A to hear Y");
  await eventually(() => hears(y.heard().slice(-8000), 650), "Y to hear A");
  assert.ok(hears(y.heard().slice(-8000), 1050), "Y hears X too");

  const steps = (await parley.node.emergency.audit({ callId: call.callId })).filter(
    (s) => s.party === "9003",
  );
  assert.deepEqual(
    steps.map((s) => s.event),
    ["ringing", "no-answer", "retry", "ringing", "answered", "joined"],
  );
  assert.equal(steps[2]?.detail, "attempt 2 of 2");
});
