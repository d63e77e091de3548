import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { readWav } from "../../src/media/index.ts";
import { eventually } from "../support/call-peers.ts";
import { startClusterNodes } from "../support/cluster-nodes.ts";
import { hears } from "../support/emergency.ts";
import type { SipTestNode } from "../support/sip-node.ts";
import { registeredSoftPhone } from "../support/soft-phones.ts";
import { toneWav } from "../support/voicemail.ts";

/**
 * Two nodes on one PostgreSQL database and one Redis, without a front door: phones register
 * straight to one node or the other. What one node learns (a registration, a user in a call) the
 * other sees, and a call of higher priority on one node preempts a user's call on the other.
 */
async function cluster(t: TestContext, users: string[], toml = "") {
  const nodes = await startClusterNodes(t, users, { toml });
  if (!nodes) return undefined;
  const phone = (node: SipTestNode, extension: string, toneHz: number, autoAnswer = false) =>
    registeredSoftPhone(t, { extension, server: node.target, toneHz, autoAnswer });
  return { nodes, phone };
}

describe("two nodes sharing PostgreSQL and Redis", () => {
  test("a phone registered on node 2 is called by a phone on node 1; both hear each other", async (t) => {
    const c = await cluster(t, ["2101", "2102"]);
    if (!c) return;
    const [one, two] = c.nodes;
    const a = await c.phone(one, "2101", 650);
    const b = await c.phone(two, "2102", 1050, true);
    await eventually(
      () => one.node.sip.location.lookup("sip:2102@parley.test").length === 1,
      "node 1 to learn B's binding",
    );
    assert.deepEqual(await a.call("2102"), { answered: true });
    assert.equal(one.node.sip.calls.calls.length, 1, "the call runs on node 1");
    assert.equal(two.node.sip.calls.calls.length, 0);
    await eventually(() => hears(a.heard().slice(-8000), 1050), "A to hear B");
    await eventually(() => hears(b.heard().slice(-8000), 650), "B to hear A");
    // B is busy for node 2 too: an ordinary call there gets 486 (call waiting is off).
    const c2 = await c.phone(two, "2101", 1450);
    const refused = await c2.call("2102");
    assert.deepEqual(refused, { answered: false, status: 486, reason: "Busy Here" });
    // Node 2's API follows the call node 1 runs, and hangs it up through node 1.
    const callId = one.node.sip.calls.calls[0]?.id as string;
    const api = (path: string, method = "GET") =>
      fetch(`${two.api}${path}`, { method, headers: { authorization: `Bearer ${two.adminToken}` } });
    await eventually(async () => (await api(`/calls/${callId}`)).status === 200, "node 2 to know the call");
    const seen = (await (await api(`/calls/${callId}`)).json()) as { node: string; state: string };
    assert.equal(seen.node, "node1");
    assert.equal(seen.state, "answered");
    assert.equal((await api(`/calls/${callId}`, "DELETE")).status, 204);
    await eventually(() => a.state === "Idle" && b.state === "Idle", "both phones hung up by node 1");
    await eventually(
      async () => ((await (await api(`/calls/${callId}`)).json()) as { state: string }).state === "ended",
      "node 2 to see the call end",
    );
    assert.equal((await api(`/calls/${callId}`, "DELETE")).status, 404, "an ended call cannot be hung up");
  });

  test("a user unregistered on one node is gone on the other", async (t) => {
    const c = await cluster(t, ["2201"]);
    if (!c) return;
    const [one, two] = c.nodes;
    const phone = await c.phone(two, "2201", 0);
    await eventually(
      () => one.node.sip.location.lookup("sip:2201@parley.test").length === 1,
      "the binding on node 1",
    );
    await phone.close();
    await eventually(
      () => one.node.sip.location.lookup("sip:2201@parley.test").length === 0,
      "the binding gone on node 1",
    );
  });

  test("a background call started through either node is placed once, by the node that leads background calls", async (t) => {
    // A steady test tone sounds like an answering machine's beep: no detection here.
    const c = await cluster(t, ["2501", "2502"], "[background_call]\namd = false\n");
    if (!c) return;
    const [one, two] = c.nodes;
    const caller = await c.phone(one, "2501", 650, true);
    const callee = await c.phone(two, "2502", 1050, true);
    let calleeRings = 0;
    let callerRings = 0;
    callee.on("incoming", () => calleeRings++);
    caller.on("incoming", () => callerRings++);
    await eventually(
      () => one.node.sip.location.all().length === 2 && two.node.sip.location.all().length === 2,
      "both nodes to know both phones",
    );
    const leaderOf = () =>
      [one, two].filter((n) => n.node.backgroundCalls?.service && n.node.sip.calls.calls.length > 0);
    const service = two.node.backgroundCalls?.service;
    assert.ok(service, "background calls run");
    const job = await service.begin({
      caller: "2501@parley.test",
      callee: "2502@parley.test",
      origin: "api",
    });
    await eventually(
      () => caller.state === "Connected" && callee.state === "Connected",
      "caller and callee connected",
      20_000,
    ).catch(async (error) => {
      const stored = await two.node.backgroundCalls?.service.get(job.id);
      throw new Error(
        `${(error as Error).message}: ${JSON.stringify(stored?.log)} leaders ${[one, two].map((n) => n.node.nodeId)}`,
      );
    });
    assert.equal(calleeRings, 1, "the callee was called once, not by both nodes");
    assert.equal(callerRings, 1, "the caller was called back once");
    assert.equal(leaderOf().length, 1, "the calls run on one node");
    await eventually(
      async () => (await one.node.backgroundCalls?.service.get(job.id))?.state === "bridged",
      "the job bridged",
    );
  });

  test("a ring-back tone uploaded through node 1 is what node 2 plays to callers while the user's phones ring", async (t) => {
    const c = await cluster(t, ["2601", "2602"]);
    if (!c) return;
    const [one, two] = c.nodes;
    const listed = await fetch(`${one.api}/users?limit=100`, {
      headers: { authorization: `Bearer ${one.adminToken}` },
    });
    const { users } = (await listed.json()) as { users: Array<{ id: string; extension: string }> };
    const id = users.find((u) => u.extension === "2602")?.id;
    assert.ok(id);
    const uploaded = await fetch(`${one.api}/users/${id}/ringback`, {
      method: "PUT",
      headers: { authorization: `Bearer ${one.adminToken}`, "content-type": "audio/wav" },
      body: toneWav(1777, 2),
    });
    assert.equal(uploaded.status, 200, await uploaded.text());
    const callee = await c.phone(one, "2602", 1050);
    const caller = await c.phone(two, "2601", 650);
    await eventually(
      () => two.node.sip.location.lookup("sip:2602@parley.test").length === 1,
      "node 2 to know the callee",
    );
    let rang = false;
    callee.on("incoming", () => {
      rang = true;
    });
    const placed = caller.call("2602");
    await eventually(() => rang, "the callee's phone to ring");
    // Node 2 runs the call and fetched the tone from the database for it.
    const dir = join(two.node.config.data_dir, "ringback", "shared");
    await eventually(
      () => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".wav")),
      "node 2's copy of the tone",
    );
    const [file] = readdirSync(dir).filter((f) => f.endsWith(".wav"));
    const played = readWav(join(dir, file as string)).samples[0] as Int16Array;
    assert.ok(hears(played.subarray(0, 8000), 1777), "the copy is the uploaded 1777 Hz tone");
    assert.equal(
      createHash("sha256")
        .update(readFileSync(join(dir, file as string)))
        .digest("hex"),
      (file as string).slice(0, -4),
    );
    await callee.answer();
    assert.deepEqual(await placed, { answered: true });
  });

  test("an emergency call on node 1 preempts the callee's ordinary call on node 2", async (t) => {
    const c = await cluster(
      t,
      ["2301", "2302", "2303"],
      `
[[emergency_numbers]]
number = "112"
users = ["2302"]
announcement = false
`,
    );
    if (!c) return;
    const [one, two] = c.nodes;
    const a = await c.phone(one, "2301", 650);
    await c.phone(two, "2302", 1050, true);
    const cPhone = await c.phone(two, "2303", 1450);
    let cEnd: { reason?: string } | undefined;
    cPhone.on("ended", (end) => {
      cEnd = end;
    });
    assert.deepEqual(await cPhone.call("2302"), { answered: true });
    const ordinary = two.node.sip.calls.calls[0];
    assert.ok(ordinary, "the ordinary call runs on node 2");
    await eventually(
      () => one.node.sip.location.lookup("sip:2302@parley.test").length === 1,
      "node 1 to know B",
    );

    assert.deepEqual(await a.call("112"), { answered: true });
    await eventually(() => cEnd !== undefined, "C's call to be cut");
    assert.match(cEnd?.reason ?? "", /^preemption;cause=1;text="UA Preemption"$/);
    // The record's end is written a moment after the BYE (CDR writes are queued per call).
    await eventually(
      async () => (await two.node.cdrs.get(ordinary.id))?.endedAt !== undefined,
      "the record's end",
    );
    assert.equal((await two.node.cdrs.get(ordinary.id))?.cause, "PREEMPTED");
    await eventually(() => hears(a.heard().slice(-8000), 1050), "A to hear B");
    const [emergency] = one.node.emergency.calls();
    const steps = await one.node.emergency.audit({ callId: emergency?.callId as string });
    assert.equal(steps[1]?.event, "preempted");
    assert.match(steps[1]?.detail ?? "", new RegExp(`call ${ordinary.id}; cut off sip:2303@parley\\.test`));
  });
});
