import assert from "node:assert/strict";
import { test } from "node:test";
import type { SessionEnd } from "../../../src/sip/index.ts";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { adminApi } from "../../support/voicemail.ts";

interface Participant {
  partyId: string;
  role: string;
  user: string;
  state: string;
  inRoom: boolean;
  muted: boolean;
}
interface CallView {
  callId: string;
  number: string;
  caller: string;
  startedAt: string;
  room?: string;
  participants: Participant[];
}

const TOML = `
[[emergency_numbers]]
number = "5100"
label = "Plant security"
users = ["6002", "6003"]
announcement = false
retries = 0
`;

/**
 * The emergency API against a running node and real SIP phones (Parley's own stack over UDP on
 * loopback): a group call to 5100 shows up with its participants, an admin mutes one, rings an
 * unbound user into the room (with the emergency Alert-Info), hangs one up (that phone gets BYE),
 * and reads every step back from the audit trail after the call ended.
 */
test("admins follow and steer an emergency group call through the API: list, mute, add a user, kick, audit", async (t) => {
  const parley = await startSipTestNode(["6001", "6002", "6003", "6004"], {}, { toml: TOML });
  t.after(() => parley.stop());
  const phones = new Map<string, StackPhone>();
  for (const extension of ["6001", "6002", "6003", "6004"]) {
    const phone = await StackPhone.start({
      extension,
      password: `pw-${extension}`,
      registrar: parley.target,
    });
    t.after(() => phone.stop());
    phones.set(extension, phone);
    if (extension === "6001") continue;
    phone.answerCalls();
    await bindContact(parley.node, extension, phone.port);
  }
  const phone = (extension: string) => phones.get(extension) as StackPhone;
  const api = (method: string, path: string, body?: unknown) => adminApi(parley, method, path, body);
  const calls = async () => ((await api("GET", "/emergency-calls")).body?.emergencyCalls ?? []) as CallView[];
  const byUser = (call: CallView | undefined, user: string) =>
    call?.participants.find((p) => p.user === user);

  // The caller dials the group number: answered at once, then put in the room with the bound users.
  const dialled = await phone("6001").dial("5100");
  const outcome = await dialled.outcome;
  assert.ok("session" in outcome, "the emergency call is answered");
  await eventually(
    async () => (await calls())[0]?.participants.filter((p) => p.inRoom).length === 3,
    "the caller and both bound users in the room",
  );
  const [call] = await calls();
  assert.ok(call);
  assert.equal(call.number, "5100");
  assert.equal(call.caller, "6001@parley.test");
  assert.equal(call.room, `emergency-${call.callId}`);
  assert.ok(!Number.isNaN(Date.parse(call.startedAt)), "startedAt is ISO 8601");
  assert.deepEqual(call.participants.map((p) => [p.role, p.user, p.state, p.inRoom, p.muted]).sort(), [
    ["caller", "6001@parley.test", "Answered", true, false],
    ["member", "6002", "Answered", true, false],
    ["member", "6003", "Answered", true, false],
  ]);
  const one = await api("GET", `/emergency-calls/${call.callId}`);
  assert.equal(one.status, 200);
  assert.equal((one.body as unknown as CallView).participants.length, 3);
  for (const extension of ["6002", "6003"])
    assert.equal(
      phone(extension).invites[0]?.headers.get("alert-info"),
      "<urn:alert:service:emergency>",
      `${extension} was rung as an emergency`,
    );

  // Mute 6003: the answer and the list both say so.
  const party6003 = byUser(call, "6003") as Participant;
  const muted = await api("PATCH", `/emergency-calls/${call.callId}/participants/${party6003.partyId}`, {
    muted: true,
  });
  assert.equal(muted.status, 200, JSON.stringify(muted.body));
  assert.equal(muted.body?.muted, true);
  assert.equal(muted.body?.user, "6003");
  assert.equal(byUser((await calls())[0], "6003")?.muted, true);
  assert.equal(byUser((await calls())[0], "6002")?.muted, false, "only 6003 is muted");

  // Ring 6004 (not bound to 5100) into the room: marked as an emergency, joins when it answers.
  const added = await api("POST", `/emergency-calls/${call.callId}/participants`, { user: "6004" });
  assert.equal(added.status, 202, JSON.stringify(added.body));
  assert.deepEqual(added.body, { callId: call.callId, user: "6004", room: call.room });
  await eventually(async () => byUser((await calls())[0], "6004")?.inRoom === true, "6004 in the room");
  assert.equal(phone("6004").invites[0]?.headers.get("alert-info"), "<urn:alert:service:emergency>");
  assert.equal(phone("6004").invites[0]?.headers.get("priority"), "emergency");
  const unknown = await api("POST", `/emergency-calls/${call.callId}/participants`, { user: "6999" });
  assert.equal(unknown.status, 422);

  // Kick 6002: its phone gets a BYE, the others stay in the room.
  const kickedSession = phone("6002").answered[0];
  assert.ok(kickedSession, "6002 answered");
  let end: SessionEnd | undefined;
  kickedSession.on("terminated", (e) => {
    end = e;
  });
  const party6002 = byUser(call, "6002") as Participant;
  const kicked = await api("DELETE", `/emergency-calls/${call.callId}/participants/${party6002.partyId}`);
  assert.equal(kicked.status, 204);
  // Well before the phones' silence (these test phones send no RTP) could end anything.
  await eventually(() => end !== undefined, "6002's BYE", 5000);
  assert.equal(end?.by, "remote", "6002 was sent a BYE");
  assert.equal(end?.request?.method, "BYE");
  await eventually(async () => byUser((await calls())[0], "6002") === undefined, "6002 off the list");
  assert.deepEqual((await calls())[0]?.participants.map((p) => p.user).sort(), [
    "6001@parley.test",
    "6003",
    "6004",
  ]);
  assert.equal(phone("6003").answered[0]?.terminated, false, "6003 is still on the call");
  const again = await api("DELETE", `/emergency-calls/${call.callId}/participants/${party6002.partyId}`);
  assert.equal(again.status, 404, "a party that left cannot be kicked again");

  // The caller hangs up (the room goes on while members are in it), then the members: the call
  // leaves the list, and its audit trail stays.
  await outcome.session.bye();
  await eventually(
    async () => byUser((await calls())[0], "6001@parley.test") === undefined,
    "the caller gone",
  );
  assert.deepEqual(
    (await calls())[0]?.participants.map((p) => p.user).sort(),
    ["6003", "6004"],
    "the members stay in the room",
  );
  for (const extension of ["6003", "6004"]) await phone(extension).answered[0]?.bye();
  await eventually(async () => (await calls()).length === 0, "the emergency call to end");
  assert.equal((await api("GET", `/emergency-calls/${call.callId}`)).status, 404);
  type Step = { event: string; party?: string; at: string; callId: string };
  let steps: Step[] = [];
  await eventually(async () => {
    const audit = await api("GET", `/emergency-calls/${call.callId}/audit`);
    steps = (audit.body?.entries ?? []) as Step[];
    return steps.some((s) => s.event === "ended");
  }, "the audit trail up to the end");
  const said = steps.map((s) => `${s.event}${s.party ? ` ${s.party}` : ""}`);
  assert.equal(said[0], "started 6001@parley.test");
  assert.equal(said.at(-1), "ended");
  for (const expected of [
    "ringing 6002",
    "ringing 6003",
    "answered 6002",
    "joined 6003",
    "muted 6003",
    "ringing 6004",
    "joined 6004",
    "kicked 6002",
    "left 6002",
  ])
    assert.ok(said.includes(expected), `the audit has "${expected}": ${said.join(" | ")}`);
  assert.ok(said.indexOf("muted 6003") < said.indexOf("ringing 6004"), "in the order they happened");
  assert.ok(said.indexOf("ringing 6004") < said.indexOf("kicked 6002"));
  const times = steps.map((s) => Date.parse(s.at));
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    "oldest first",
  );

  const byNumber = await api("GET", "/emergency-audit?number=5100&limit=3");
  assert.equal(byNumber.status, 200);
  const newest = (byNumber.body?.entries ?? []) as Step[];
  assert.equal(newest.length, 3);
  assert.equal(newest[0]?.event, "ended", "newest first");
  assert.ok(newest.every((s) => s.callId === call.callId));
});
