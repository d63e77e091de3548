import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { eventually } from "../support/call-peers.ts";
import { startClusterNodes } from "../support/cluster-nodes.ts";
import { hears } from "../support/emergency.ts";
import { type Kamailio, startKamailio } from "../support/kamailio.ts";
import type { SipTestNode } from "../support/sip-node.ts";
import { registeredSoftPhone } from "../support/soft-phones.ts";

const DOMAIN = "parley.test";

/**
 * The whole scale-out path in one process: two nodes on one PostgreSQL and one Redis, Kamailio in
 * front, and Parley's own softphones registering and calling through Kamailio only.
 */
async function frontDoorCluster(t: TestContext, users: string[]) {
  const nodes = await startClusterNodes(t, users);
  if (!nodes) return undefined;
  const kamailio = await startKamailio(t, {
    nodes: nodes.map((n) => {
      const [address = "127.0.0.1", port = "0"] = n.target.split(":");
      return { address, port: Number(port) };
    }),
  });
  if (!kamailio) return undefined;
  const phone = (extension: string, toneHz: number, autoAnswer = false) =>
    registeredSoftPhone(t, { extension, server: kamailio.target, domain: DOMAIN, toneHz, autoAnswer });
  return { nodes, kamailio, phone };
}

/** The node (index) Kamailio's dispatcher hashes user@DOMAIN's REGISTER to. */
async function registrarOf(kamailio: Kamailio, nodes: SipTestNode[], user: string): Promise<number> {
  const list = await kamailio.destinations();
  const out = await kamailio.rpc("dispatcher.hash", String(list.length), `s:${user}`, DOMAIN);
  const uri = list[Number(/slot:\s*(\d+)/.exec(out)?.[1])]?.uri;
  const index = nodes.findIndex((n) => `sip:${n.target}` === uri);
  assert.ok(index >= 0, `dispatcher.hash answered ${out}`);
  return index;
}

test("through Kamailio: a user registered on node 1 gets a call that a user registered on node 2 placed and node 2 runs; audio both ways", async (t) => {
  const candidates = ["3001", "3002", "3003", "3004", "3005", "3006", "3007", "3008"];
  const c = await frontDoorCluster(t, candidates);
  if (!c) return;
  const { nodes, kamailio } = c;
  // A user whose registrations land on node 1, and one whose land on node 2.
  const byNode: string[][] = [[], []];
  for (const user of candidates) byNode[await registrarOf(kamailio, nodes, user)]?.push(user);
  const [calleeUser, callerUser] = [byNode[0]?.[0], byNode[1]?.[0]];
  assert.ok(calleeUser && callerUser, `both nodes register someone: ${JSON.stringify(byNode)}`);
  const callee = await c.phone(calleeUser, 1050, true);
  const caller = await c.phone(callerUser, 650);
  const aor = `sip:${calleeUser}@${DOMAIN}`;
  await eventually(
    () => nodes.every((n) => n.node.sip.location.lookup(aor)[0]?.path.length === 1),
    "both nodes to route to the callee through Kamailio's Path",
  );
  // Kamailio spreads calls by Call-ID: call until node 2 runs one (each try is a new Call-ID).
  let runner = -1;
  for (let attempt = 0; attempt < 12 && runner !== 1; attempt++) {
    assert.deepEqual(await caller.call(calleeUser), { answered: true });
    runner = nodes.findIndex((n) => n.node.sip.calls.calls.length > 0);
    if (runner !== 1) {
      await caller.hangup();
      await eventually(() => callee.state !== "Connected", "the callee to be free again");
    }
  }
  assert.equal(runner, 1, "a call ran on node 2");
  await eventually(() => hears(callee.heard().slice(-8000), 650), "the callee to hear the caller");
  await eventually(() => hears(caller.heard().slice(-8000), 1050), "the caller to hear the callee");
  await caller.hangup();
  await eventually(() => callee.state !== "Connected", "the callee's side to end (BYE through Kamailio)");
  await eventually(() => nodes[1].node.sip.calls.calls.length === 0, "the call gone from node 2");
  // The record's end is written a moment after the call ends (CDR writes are queued per call).
  await eventually(
    async () => (await nodes[1].node.cdrs.list({ party: calleeUser }))[0]?.disposition === "answered",
    "the call's record to be complete",
  );
  const [record] = await nodes[1].node.cdrs.list({ party: calleeUser });
  assert.equal(record?.node, "node2");
});
