import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { readWav } from "../../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { ANNOUNCEMENT_HZ, announcementFile, audioWindow, hears } from "../../support/emergency.ts";
import { missingPeer } from "../../support/peers.ts";
import { registeredPhones } from "../../support/registered-phones.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { goertzel } from "../../support/tone-probe.ts";

const TONES = { A: 650, B: 1050, C: 1450, D: 1850, E: 450 } as const;

test("group: B and D answer, C is preempted from its call with E and answers, and all four hear each other in the room", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(
    ["5001", "5002", "5003", "5004", "5005"],
    {},
    {
      toml: `
[emergency]
preemption_announcement = "${announcementFile()}"

[[emergency_numbers]]
number = "5000"
label = "Fire wardens"
users = ["5002", "5003", "5004"]
priority = 3
record = true
`,
    },
  );
  t.after(() => parley.stop());
  const phones = await registeredPhones(t, parley, [
    { extension: "5001", toneHz: TONES.A, seconds: 60 },
    { extension: "5002", toneHz: TONES.B, autoAnswer: true, seconds: 60 },
    { extension: "5003", toneHz: TONES.C, autoAnswer: true, sipTrace: true, seconds: 60 },
    { extension: "5004", toneHz: TONES.D, autoAnswer: true, seconds: 60 },
    { extension: "5005", toneHz: TONES.E, sipTrace: true, seconds: 60 },
  ]);
  const [a, b, c, d, e] = ["5001", "5002", "5003", "5004", "5005"].map((x) => phones[x]);
  assert.ok(a && b && c && d && e);
  const calls = parley.node.sip.calls;

  // C talks to E.
  assert.equal((await e.command("dial", `sip:5003@${parley.target}`)).ok, true);
  await eventually(() => calls.isBusy("sip:5003@parley.test"), "C and E to be talking");
  const ordinary = calls.calls[0];
  assert.ok(ordinary);
  await sleep(1500);

  // A dials the group's number.
  assert.equal((await a.command("dial", `sip:5000@${parley.target}`)).ok, true);
  await eventually(() => parley.node.emergency.calls().length === 1, "the emergency call");
  const [emergency] = parley.node.emergency.calls();
  assert.ok(emergency?.room);
  await eventually(
    () => calls.conferences.size(emergency.room as string) === 4,
    "the caller and the three bound users in the room",
    20_000,
  );
  const view = parley.node.emergency.call(emergency.callId);
  assert.deepEqual(view?.participants.map((p) => [p.role, p.user, p.inRoom]).sort(), [
    ["caller", "5001@parley.test", true],
    ["member", "5002", true],
    ["member", "5003", true],
    ["member", "5004", true],
  ]);
  await sleep(3000);
  for (const phone of [a, b, c, d]) await phone.command("hangup");
  await eventually(() => calls.calls.length === 0, "every call to end");
  await eventually(() => calls.conferences.names.length === 0, "the room to close");
  await Promise.all([a, b, c, d, e].map((p) => p.quit()));

  // Each of the four heard the other three (and not itself) in the room.
  const members = { A: a, B: b, C: c, D: d } as const;
  for (const [name, phone] of Object.entries(members) as Array<[keyof typeof members, typeof a]>) {
    const calls = phone.heardCalls();
    const tail = audioWindow(calls.at(-1), "end");
    for (const other of Object.keys(members) as Array<keyof typeof members>) {
      if (other === name) continue;
      assert.ok(hears(tail, TONES[other]), `${name} hears ${other} (${TONES[other]} Hz) in the room`);
    }
  }

  // E heard C, then the announcement, then got BYE with the preemption Reason.
  const [eHeard] = e.heardCalls();
  assert.ok(hears(audioWindow(eHeard, "start"), TONES.C), "E heard C before the preemption");
  assert.ok(hears(audioWindow(eHeard, "end", 400), ANNOUNCEMENT_HZ), "E heard the announcement");
  assert.ok(
    e.received("BYE").some((bye) => /^Reason: preemption;cause=1;text="UA Preemption"\r?$/m.test(bye)),
  );
  // C got the emergency INVITE after its own call was cut.
  assert.match(c.received("INVITE").at(-1) ?? "", /^Alert-Info: <urn:alert:service:emergency>\r?$/m);

  // The audit tells every step, in order.
  const steps = await parley.node.emergency.audit({ callId: emergency.callId });
  const step = (event: string, party?: string) =>
    steps.findIndex((s) => s.event === event && (party === undefined || s.party === party));
  assert.equal(steps[0]?.event, "started");
  assert.equal(steps[0]?.party, "5001@parley.test");
  assert.match(steps[0]?.detail ?? "", /priority 3; bound to 5002, 5003, 5004/);
  for (const user of ["5002", "5003", "5004"]) {
    assert.ok(step("ringing", user) > 0, `${user} rung`);
    assert.ok(step("answered", user) > step("ringing", user), `${user} answered after ringing`);
    assert.ok(step("joined", user) > step("answered", user), `${user} joined the room`);
    assert.ok(step("left", user) > step("joined", user), `${user} left`);
  }
  assert.ok(step("preempted", "5003") >= 0 && step("preempted", "5003") < step("ringing", "5003"));
  assert.match(steps[step("preempted", "5003")]?.detail ?? "", /cut off sip:5005@parley\.test/);
  assert.equal(step("preempted", "5002"), -1, "idle users are not preempted");
  assert.ok(step("joined", "5001@parley.test") > 0, "the caller joined the room");
  assert.equal(steps.at(-1)?.event, "ended");

  // Records: C's call with E ended as preempted; the emergency call is flagged with its priority.
  assert.equal((await parley.node.cdrs.get(ordinary.id))?.cause, "PREEMPTED");
  const record = await parley.node.cdrs.get(emergency.callId);
  assert.equal(record?.service, "emergency");
  assert.equal(record?.priority, 3);

  // The number records: the caller on the left, the room as the caller heard it on the right.
  await eventually(
    async () => (await parley.node.recording.store.list({}))[0]?.status === "saved",
    "the recording to be saved",
  );
  const [recording] = await parley.node.recording.store.list({});
  assert.equal(recording?.reason, "emergency");
  assert.equal(recording?.callId, emergency.callId);
  const wav = readWav(join(parley.node.config.recording.dir, recording?.path ?? ""));
  assert.equal(wav.channels, 2);
  const [left, right] = [wav.samples[0], wav.samples[1]].map((channel) => audioWindow(channel, "end", 4000));
  assert.ok(hears(left, TONES.A), "left: the caller");
  for (const member of ["B", "C", "D"] as const)
    assert.ok(hears(right, TONES[member]), `right: ${member} in the room`);
  // The caller's own tone is not mixed back (what is there is intermodulation of the others: 2·B − C = A).
  const power = (samples: Int16Array | undefined, hz: number) => (samples ? goertzel(samples, 8000, hz) : 0);
  assert.ok(power(right, TONES.A) < power(right, TONES.B) / 10, "right: not the caller's own voice");
});
