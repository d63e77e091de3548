import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { RedisBindingStore, RedisCallPresence, RedisLeadership, RedisLink } from "../../src/cluster/index.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import type { Binding, BindingChange } from "../../src/registrar/index.ts";
import { eventually } from "../support/call-peers.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { freshRedis } from "../support/redis.ts";

/** Two nodes' links to one Redis, on clocks the test moves. */
async function twoNodes(t: TestContext) {
  const redis = await freshRedis(t);
  if (!redis) return undefined;
  const clock = new FakeClock();
  const connect = (nodeId: string) =>
    RedisLink.connect({ url: redis.url, prefix: redis.prefix, nodeId, clock, logger: silentLogger() });
  const one = await connect("n1");
  const two = await connect("n2");
  t.after(async () => {
    await one.close();
    await two.close();
    await redis.flush();
  });
  return { clock, one, two, redis };
}

const binding = (contact: string, expiresAt: number): Binding => ({
  aor: "sip:1001@parley.test",
  contact,
  q: 1,
  expiresAt,
  callId: "c1",
  cseq: 1,
  source: { protocol: "udp", address: "127.0.0.1", port: 5062 },
  path: ["<sip:127.0.0.1:5060;lr;received=sip:192.0.2.7:40000>"],
  registeredAt: 1,
});

describe("Redis adapters of a cluster", () => {
  test("bindings saved by one node are stored whole, and its changes reach the other node only", async (t) => {
    const nodes = await twoNodes(t);
    if (!nodes) return;
    const a = new RedisBindingStore(nodes.one);
    const b = new RedisBindingStore(nodes.two);
    const seenByB: BindingChange[] = [];
    const seenByA: BindingChange[] = [];
    await b.subscribe((change) => seenByB.push(change));
    await a.subscribe((change) => seenByA.push(change));
    const live = binding("sip:1001@192.0.2.7:40000", Date.now() + 60_000);
    await a.save(live);
    a.publish({ kind: "save", binding: live });
    await a.save(binding("sip:1001@192.0.2.8:40000", 1000));
    assert.deepEqual(await b.load(Date.now()), [live], "expired bindings are not loaded");
    await eventually(() => seenByB.length === 1, "node 2 to hear of the change");
    assert.deepEqual(seenByB[0], { kind: "save", binding: live });
    a.publish({ kind: "delete", aor: live.aor, contact: live.contact });
    await a.apply([{ kind: "delete", aor: live.aor, contact: live.contact }]);
    await eventually(() => seenByB.length === 2, "the delete");
    assert.deepEqual(seenByA, [], "a node does not hear its own changes");
    assert.deepEqual(await b.load(Date.now()), []);
  });

  test("presence: a user's legs on a live node count elsewhere; a dead node's do not, and a restarted node clears its earlier ones", async (t) => {
    const nodes = await twoNodes(t);
    if (!nodes) return;
    const { one, two, clock } = nodes;
    const p1 = await RedisCallPresence.start(one, clock, silentLogger());
    const p2 = await RedisCallPresence.start(two, clock, silentLogger());
    p1.add("sip:1002@parley.test", { node: "n1", legId: "L1", callId: "C1" });
    await eventually(
      async () => (await p2.elsewhere("sip:1002@parley.test")).length === 1,
      "node 2 to see the leg",
    );
    assert.deepEqual(await p2.elsewhere("sip:1002@parley.test"), [{ legId: "L1", node: "n1", callId: "C1" }]);
    assert.deepEqual(await p1.elsewhere("sip:1002@parley.test"), [], "a node's own legs are not 'elsewhere'");
    // Requests: node 2 asks node 1 to preempt the leg; node 1 answers.
    p1.onRequest(async (request) =>
      request.kind === "preempt" && request.priority > 0
        ? { kind: "preempted", callId: request.callId, others: ["sip:1003@parley.test"] }
        : { kind: "blocked" },
    );
    const reply = await p2.request("n1", {
      kind: "preempt",
      legId: "L1",
      callId: "C1",
      priority: 1,
      announcement: [],
    });
    assert.deepEqual(reply, { kind: "preempted", callId: "C1", others: ["sip:1003@parley.test"] });
    // Node 1 dies (its heartbeat key goes): its legs stop counting and are removed.
    await one.redis.del(one.key("node:n1"));
    assert.deepEqual(await p2.elsewhere("sip:1002@parley.test"), []);
    // A restarted node forgets what it announced in its earlier life.
    p2.add("sip:1004@parley.test", { node: "n2", legId: "L9", callId: "C9" });
    await eventually(
      async () => (await two.redis.hlen(two.key("calls:sip:1004@parley.test"))) === 1,
      "the entry",
    );
    await RedisCallPresence.start(two, clock, silentLogger());
    assert.equal(await two.redis.hlen(two.key("calls:sip:1004@parley.test")), 0);
  });

  test("a request to a node that does not answer fails after three seconds", async (t) => {
    const nodes = await twoNodes(t);
    if (!nodes) return;
    const p2 = await RedisCallPresence.start(nodes.two, nodes.clock, silentLogger());
    const asked = p2.request("nobody", {
      kind: "preempt",
      legId: "L1",
      callId: "C1",
      priority: 1,
      announcement: [],
    });
    nodes.clock.advance(3_000);
    await assert.rejects(asked, /did not answer within 3000 ms/);
  });

  test("leadership: one node leads a piece of work; when it stops, the other takes it over", async (t) => {
    const nodes = await twoNodes(t);
    if (!nodes) return;
    const { one, two, clock } = nodes;
    const log: string[] = [];
    const l1 = new RedisLeadership(one, clock, silentLogger());
    const l2 = new RedisLeadership(two, clock, silentLogger());
    l1.join("retention", { lead: () => log.push("n1 leads"), follow: () => log.push("n1 follows") });
    clock.advance(0);
    await eventually(() => l1.leads("retention"), "node 1 to lead");
    l2.join("retention", { lead: () => log.push("n2 leads"), follow: () => log.push("n2 follows") });
    clock.advance(0);
    await eventually(async () => (await two.redis.get(two.key("leader:retention"))) === "n1", "the lease");
    clock.advance(5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(l2.leads("retention"), false, "only one leader");
    await l1.close();
    assert.deepEqual(log, ["n1 leads", "n1 follows"]);
    clock.advance(5_000);
    await eventually(() => l2.leads("retention"), "node 2 to take over");
    assert.deepEqual(log, ["n1 leads", "n1 follows", "n2 leads"]);
    await l2.close();
  });
});
