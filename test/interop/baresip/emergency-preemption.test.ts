import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BARESIP_HOW_TO_GET, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { ANNOUNCEMENT_HZ, announcementFile, audioWindow, hears } from "../../support/emergency.ts";
import { missingPeer } from "../../support/peers.ts";
import { registeredPhones } from "../../support/registered-phones.ts";
import { startSipTestNode } from "../../support/sip-node.ts";

const TONES = { A: 650, B: 1050, C: 1450 } as const;

test("busy preemption: C, talking to B, hears the announcement and gets BYE with the RFC 4411 Reason; B takes A's emergency call", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(
    ["4001", "4002", "4003"],
    {},
    {
      toml: `
[emergency]
preemption_announcement = "${announcementFile()}"

[[emergency_numbers]]
number = "112"
users = ["4002"]
announcement = false
`,
    },
  );
  t.after(() => parley.stop());
  const phones = await registeredPhones(t, parley, [
    { extension: "4001", toneHz: TONES.A, seconds: 40 },
    { extension: "4002", toneHz: TONES.B, autoAnswer: true, sipTrace: true, seconds: 40 },
    { extension: "4003", toneHz: TONES.C, sipTrace: true, seconds: 40 },
  ]);
  const [a, b, c] = [phones["4001"], phones["4002"], phones["4003"]];
  assert.ok(a && b && c);
  const calls = parley.node.sip.calls;

  // B talks to C: an ordinary call.
  assert.equal((await c.command("dial", `sip:4002@${parley.target}`)).ok, true);
  await eventually(() => calls.isBusy("sip:4002@parley.test"), "B and C to be talking");
  const ordinary = calls.calls[0];
  assert.ok(ordinary);
  await sleep(2000);

  // A dials the emergency number bound to B.
  assert.equal((await a.command("dial", `sip:112@${parley.target}`)).ok, true);
  await eventually(
    () =>
      calls.calls.some(
        (call) => call.service === "emergency" && call.parties.filter((p) => p.answered).length === 2,
      ),
    "B to answer the emergency call",
    15_000,
  );
  await eventually(() => ordinary.ended, "the ordinary call to end after its announcement");
  await sleep(2500);
  await a.command("hangup");
  await eventually(() => calls.calls.length === 0, "every call to end");
  await Promise.all([a.quit(), b.quit(), c.quit()]);

  // C heard B, then the announcement, then got BYE with the preemption Reason (RFC 4411).
  const [cHeard] = c.heardCalls();
  assert.ok(hears(audioWindow(cHeard, "start"), TONES.B), "C heard B before the preemption");
  assert.ok(hears(audioWindow(cHeard, "end", 400), ANNOUNCEMENT_HZ), "C heard the announcement at the end");
  const byes = c.received("BYE");
  assert.ok(
    byes.some((bye) => /^Reason: preemption;cause=1;text="UA Preemption"\r?$/m.test(bye)),
    `C got BYE with the preemption Reason:\n${byes.join("\n---\n") || c.output.slice(-4000)}`,
  );

  // B's phone was released (BYE, same Reason), then got the marked INVITE and answered it.
  assert.ok(
    b.received("BYE").some((bye) => /^Reason: preemption;cause=1/m.test(bye)),
    "B got the preemption BYE",
  );
  const invites = b.received("INVITE");
  assert.equal(invites.length, 2, "B got the ordinary INVITE and the emergency one");
  assert.doesNotMatch(invites[0] as string, /^Alert-Info:/m);
  assert.match(invites[1] as string, /^Alert-Info: <urn:alert:service:emergency>\r?$/m);
  assert.match(invites[1] as string, /^Priority: emergency\r?$/m);
  assert.match(invites[1] as string, /^Resource-Priority: esnet\.0\r?$/m);

  // A and B heard each other in the emergency call.
  const [, bEmergency] = b.heardCalls();
  assert.ok(hears(audioWindow(bEmergency, "end"), TONES.A), "B heard A");
  assert.ok(hears(audioWindow(a.heardCalls()[0], "end"), TONES.B), "A heard B");

  // Records: the ordinary call ended as preempted; the emergency call is flagged; the audit tells the steps.
  const ordinaryRecord = await parley.node.cdrs.get(ordinary.id);
  assert.equal(ordinaryRecord?.cause, "PREEMPTED");
  const [emergencyRecord] = await parley.node.cdrs.list({ emergency: true });
  assert.equal(emergencyRecord?.priority, 1);
  assert.equal(emergencyRecord?.callee, "4002@parley.test");
  const steps = await parley.node.emergency.audit({ callId: emergencyRecord?.id as string });
  assert.deepEqual(
    steps.map((s) => [s.event, s.party]),
    [
      ["started", "4001@parley.test"],
      ["preempted", "4002"],
      ["ringing", "4002"],
      ["answered", "4002"],
      ["left", "4001@parley.test"],
      ["left", "4002"],
      ["ended", undefined],
    ],
  );
  assert.match(steps[1]?.detail ?? "", new RegExp(`call ${ordinary.id}; cut off sip:4003@parley\\.test`));
});
