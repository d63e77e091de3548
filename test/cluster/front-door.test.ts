/**
 * deploy/kamailio/kamailio.cfg as the front door of two Parley nodes (each with its own SQLite
 * database here: the test is about Kamailio's routing, not shared state). SIPp registers through
 * Kamailio; the test reads the bindings straight from each node's location service and asks
 * Kamailio's dispatcher (kamcmd over its ctl socket) which node an AOR hashes to and which nodes
 * it holds alive.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { describe, type TestContext, test } from "node:test";
import type { Binding } from "../../src/registrar/index.ts";
import { callerInjection, eventually } from "../support/call-peers.ts";
import { type Kamailio, type KamailioDestination, startKamailio } from "../support/kamailio.ts";
import { missingPeer } from "../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../support/sip-node.ts";
import {
  describeSippResult,
  findSipp,
  freePort,
  runSipp,
  SIPP_HOW_TO_GET,
  writeUsersCsv,
} from "../support/sipp.ts";

const USERS = ["1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008"];
const DOMAIN = "parley.test";
const NONCE_SECRET = "front-door-test-shared-nonce-secret";

interface Cluster {
  kamailio: Kamailio;
  /** By dispatcher URI ("sip:127.0.0.1:<port>"). */
  nodes: Map<string, SipTestNode>;
}

const uriOf = (node: SipTestNode) => `sip:${node.target}`;

/** Which node holds a binding for `user`, by dispatcher URI (all of them, to catch doubles). */
function holders(cluster: Cluster, user: string): string[] {
  return [...cluster.nodes.entries()]
    .filter(([, node]) => node.node.sip.location.lookup(`sip:${user}@${DOMAIN}`).length > 0)
    .map(([uri]) => uri);
}

/** The destination ds_select_dst("1", "2") picks for user@DOMAIN when every node is alive. */
async function hashedNode(kamailio: Kamailio, user: string): Promise<string> {
  const list = await kamailio.destinations();
  // "s:" keeps kamcmd from sending a numeric user name as an integer.
  const out = await kamailio.rpc("dispatcher.hash", String(list.length), `s:${user}`, DOMAIN);
  const slot = /slot:\s*(\d+)/.exec(out)?.[1];
  assert.ok(slot !== undefined, `dispatcher.hash answered ${out}`);
  const uri = list[Number(slot)]?.uri;
  assert.ok(uri, `slot ${slot} not in ${JSON.stringify(list)}`);
  return uri;
}

/**
 * One REGISTER with digest for `user` through Kamailio, from `port` (default: a free one). With
 * `natContactPort` the phone's Contact names that port instead of its own (a phone behind NAT).
 */
async function register(kamailio: Kamailio, user: string, port?: number, natContactPort?: number) {
  const result = await runSipp({
    scenario: natContactPort === undefined ? "register-digest" : "register-behind-nat",
    target: kamailio.target,
    injection: writeUsersCsv([{ user, password: `pw-${user}`, domain: DOMAIN }]),
    authUri: DOMAIN,
    timeoutSeconds: 15,
    ...(port === undefined ? {} : { port }),
    ...(natContactPort === undefined ? {} : { set: { contact_port: String(natContactPort) } }),
  });
  assert.equal(result.code, 0, describeSippResult(result));
  return result;
}

/**
 * Two nodes with the given users and Kamailio in front of them, all stopped when the test ends;
 * undefined (after missingPeer) without SIPp or Kamailio.
 */
async function startCluster(
  t: TestContext,
  users: string[],
  { probeIntervalSeconds = 1, nodeCount = 2 } = {},
): Promise<Cluster | undefined> {
  if (!findSipp()) {
    missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    return undefined;
  }
  const env = { PARLEY_SIP_NONCE_SECRET: NONCE_SECRET };
  const nodes = new Map<string, SipTestNode>();
  for (let i = 0; i < nodeCount; i++) {
    const node = await startSipTestNode(users, env);
    t.after(() => node.stop());
    nodes.set(uriOf(node), node);
  }
  const kamailio = await startKamailio(t, {
    nodes: [...nodes.values()].map((n, i) => ({
      address: "127.0.0.1",
      port: n.node.sipAddresses.udp?.port ?? 0,
      id: `node${i + 1}`,
    })),
    probeIntervalSeconds,
    nodeTimeoutMs: 1000,
  });
  if (!kamailio) return undefined;
  // The first probe round makes both nodes active (they start as active-probing anyway).
  await kamailio.waitForDestinations((d) => d.length === nodeCount && d.every((x) => x.active));
  return { kamailio, nodes };
}

describe("Kamailio front door in front of two Parley nodes", () => {
  test("Kamailio probes both nodes with OPTIONS and holds them active", async (t) => {
    const c = await startCluster(t, USERS);
    if (!c) return;
    const list = await c.kamailio.waitForDestinations(
      (d) => d.length === 2 && d.every((x) => x.active),
      10_000,
    );
    assert.deepEqual(list.map((d) => d.uri).sort(), [...c.nodes.keys()].sort());
    for (const d of list) assert.equal(d.flags, "AP", `${d.uri} is active and probed`);
  });

  test("a REGISTER through Kamailio lands on the node its AOR hashes to, with a Path through Kamailio carrying the phone's address", async (t) => {
    const c = await startCluster(t, USERS);
    if (!c) return;
    const phonePort = await freePort("127.0.0.1", false);
    await register(c.kamailio, "1001", phonePort);

    const expected = await hashedNode(c.kamailio, "1001");
    assert.deepEqual(holders(c, "1001"), [expected], "only the hashed node has the binding");
    const [binding] = c.nodes.get(expected)?.node.sip.location.lookup(`sip:1001@${DOMAIN}`) ?? [];
    assert.ok(binding);
    assert.equal(binding.path.length, 1, `one Path: ${JSON.stringify(binding.path)}`);
    const path = binding.path[0] ?? "";
    assert.match(
      path,
      new RegExp(`^<sip:127\\.0\\.0\\.1:${c.kamailio.port};`),
      "the Path points at Kamailio",
    );
    assert.match(
      path,
      new RegExp(`;received=sip:127\\.0\\.0\\.1:${phonePort}[;>]`),
      "with the phone's source",
    );
    assert.match(path, /;lr[;>]/);
    assert.equal(binding.source.port, c.kamailio.port, "the node saw the REGISTER come from Kamailio");
    assert.match(
      binding.contact,
      new RegExp(`@127\\.0\\.0\\.1:${phonePort}`),
      "the phone's own Contact is kept",
    );
  });

  test("every user's REGISTERs go to the same node each time, and the users are spread over both nodes", async (t) => {
    const c = await startCluster(t, USERS);
    if (!c) return;
    const users = USERS.slice(1);
    const first = new Map<string, string>();
    for (const user of users) {
      await register(c.kamailio, user);
      const [holder, ...others] = holders(c, user);
      assert.ok(holder && others.length === 0, `${user} is bound on exactly one node: ${holders(c, user)}`);
      assert.equal(holder, await hashedNode(c.kamailio, user), `${user} landed where its AOR hashes`);
      first.set(user, holder);
    }
    // Again, with new Call-IDs: the AOR decides, not the Call-ID.
    for (const user of users) {
      const before = bindingsOf(c, user);
      await register(c.kamailio, user);
      assert.deepEqual(holders(c, user), [first.get(user)], `${user} registered again on the same node`);
      assert.equal(bindingsOf(c, user).length, before.length + 1, `${user} has one more binding (new port)`);
    }
    assert.equal(
      new Set(first.values()).size,
      2,
      `7 AORs spread over both nodes: ${JSON.stringify([...first])}`,
    );
  });

  test("a node reaches a phone behind NAT registered through Kamailio: its MESSAGE goes via Kamailio to the Path's received address, not to the Contact", async (t) => {
    const c = await startCluster(t, USERS);
    if (!c) return;
    const phonePort = await freePort("127.0.0.1", false);
    // The Contact names a port where nothing listens; only the Path's ;received= finds the phone.
    const contactPort = await freePort("127.0.0.1", false);
    await register(c.kamailio, "1001", phonePort, contactPort);
    const node = c.nodes.get(await hashedNode(c.kamailio, "1001"));
    assert.ok(node);

    // The "phone" is now a plain socket on the port SIPp registered from.
    const phone = dgram.createSocket("udp4");
    t.after(() => phone.close());
    await new Promise<void>((resolve) => phone.bind(phonePort, "127.0.0.1", resolve));
    const received: Array<{ text: string; port: number }> = [];
    phone.on("message", (msg, rinfo) => {
      const text = msg.toString();
      received.push({ text, port: rinfo.port });
      if (!text.startsWith("MESSAGE ")) return;
      // 200 OK: the request's Via, From, To (+tag), Call-ID and CSeq.
      const keep = text
        .split("\r\n")
        .filter((line) => /^(Via|v|From|f|To|t|Call-ID|i|CSeq):/i.test(line))
        .map((line) => (/^(To|t):/i.test(line) ? `${line};tag=phone` : line));
      phone.send(
        ["SIP/2.0 200 OK", ...keep, "Content-Length: 0", "", ""].join("\r\n"),
        rinfo.port,
        rinfo.address,
      );
    });

    const delivery = await node.node.sip.messaging.send(`sip:1001@${DOMAIN}`, "through the front door");
    const messages = received.filter((r) => r.text.startsWith("MESSAGE "));
    assert.ok(messages.length >= 1, `the MESSAGE reached the phone's socket: ${JSON.stringify(received)}`);
    const [message] = messages;
    assert.equal(message?.port, c.kamailio.port, "it came from Kamailio, not from the node");
    assert.match(
      message?.text ?? "",
      new RegExp(`^MESSAGE sip:1001@127\\.0\\.0\\.1:${contactPort}`),
      "addressed to the phone's Contact",
    );
    assert.doesNotMatch(message?.text ?? "", /^Route:/im, "Kamailio consumed its own Route (the Path)");
    assert.match(message?.text ?? "", /through the front door/);
    assert.deepEqual(delivery, { delivered: 1, attempted: 1 }, "the phone's 200 made it back to the node");
  });

  test("a stopped node is marked inactive by the OPTIONS probes, its AORs register on the live node, and it comes back when it answers again", async (t) => {
    const c = await startCluster(t, USERS);
    if (!c) return;
    // A user that hashes to the node we are about to stop.
    const [victimUri, victim] = [...c.nodes.entries()][0] ?? [];
    assert.ok(victimUri && victim);
    const survivorUri = [...c.nodes.keys()].find((u) => u !== victimUri) ?? "";
    let user: string | undefined;
    for (const u of USERS) if ((await hashedNode(c.kamailio, u)) === victimUri) user = u;
    assert.ok(user, "some test user hashes to the first node");

    // Stop the node's SIP listener: its port no longer answers at all.
    const port = victim.node.sipAddresses.udp?.port ?? 0;
    await victim.stop();
    const down = await c.kamailio.waitForDestinations(
      (d) => d.find((x) => x.uri === victimUri)?.active === false,
      10_000,
    );
    assert.match(flagsOf(down, victimUri), /^[IT]P$/, "inactive (or trying) and still probed");
    assert.equal(flagsOf(down, survivorUri), "AP");

    const survivor = c.nodes.get(survivorUri);
    assert.ok(survivor);
    const bindingsBefore = survivor.node.sip.location.lookup(`sip:${user}@${DOMAIN}`).length;
    await register(c.kamailio, user);
    assert.equal(
      survivor.node.sip.location.lookup(`sip:${user}@${DOMAIN}`).length,
      bindingsBefore + 1,
      `${user}, hashed to the stopped node, registered on the live one`,
    );

    // A node answering on the same port again is taken back by the probes.
    const revived = await startSipTestNode(USERS, {
      PARLEY_SIP_NONCE_SECRET: NONCE_SECRET,
      PARLEY_SIP_PORT: String(port),
    });
    t.after(() => revived.stop());
    const up = await c.kamailio.waitForDestinations(
      (d) => d.find((x) => x.uri === victimUri)?.active === true,
      10_000,
    );
    assert.equal(flagsOf(up, victimUri), "AP");
    await register(c.kamailio, user);
    assert.equal(
      revived.node.sip.location.lookup(`sip:${user}@${DOMAIN}`).length,
      1,
      `${user} registers on its own node again once it is back`,
    );
  });

  test("a REGISTER that a node does not answer fails over to the other node, which serves it, and the silent node is marked inactive before any probe", async (t) => {
    // Probes every 60 s: none runs during the test, only the failure route can mark the node.
    const c = await startCluster(t, USERS, { probeIntervalSeconds: 60 });
    if (!c) return;
    const [victimUri, victim] = [...c.nodes.entries()][0] ?? [];
    assert.ok(victimUri && victim);
    const survivorUri = [...c.nodes.keys()].find((u) => u !== victimUri) ?? "";
    let user: string | undefined;
    for (const u of USERS) if ((await hashedNode(c.kamailio, u)) === victimUri) user = u;
    assert.ok(user, "some test user hashes to the first node");
    await victim.stop();
    assert.equal(flagsOf(await c.kamailio.destinations(), victimUri), "AP", "no probe has noticed yet");

    const logFrom = c.kamailio.log().length;
    const started = Date.now();
    await register(c.kamailio, user);
    assert.equal(
      c.nodes.get(survivorUri)?.node.sip.location.lookup(`sip:${user}@${DOMAIN}`).length,
      1,
      `${user} is bound on the live node`,
    );
    assert.ok(Date.now() - started < 8000, "the failover took about one node timeout, not a probe round");
    await c.kamailio.waitForLog(
      new RegExp(`node ${victimUri.replace(/\./g, "\\.")} did not answer REGISTER`),
      {
        from: logFrom,
        timeoutMs: 1000,
      },
    );
    assert.match(
      flagsOf(await c.kamailio.destinations(), victimUri),
      /^IP$/,
      "marked inactive by the failure route",
    );
  });

  // The node copies Record-Route into its 2xx (RFC 3261 §12.1.1), so the caller's route set holds
  // Kamailio and its ACK and BYE carry a Route.
  test("a call through the front door: the INVITE re-sent after the 407 reaches the same node, the node rings the callee through Kamailio by its Path, and ACK and BYE follow the recorded route both ways", async (t) => {
    // One node: the caller's Call-ID and the callee's AOR cannot hash to different nodes (the
    // bindings of one node are not seen by another until the Redis binding store is in).
    const c = await startCluster(t, ["2001", "2002"], { nodeCount: 1 });
    if (!c) return;
    const [nodeUri, node] = [...c.nodes.entries()][0] ?? [];
    assert.ok(nodeUri && node);
    const calleePort = await freePort("127.0.0.1", false);
    await register(c.kamailio, "2002", calleePort);
    const logFrom = c.kamailio.log().length;
    const callee = runSipp({
      scenario: "callee-via-proxy",
      target: c.kamailio.target,
      port: calleePort,
      timeoutSeconds: 20,
      extraArgs: ["-mp", "0", "-s", "2002"],
    });
    const caller = await runSipp({
      scenario: "caller-via-proxy",
      target: c.kamailio.target,
      injection: callerInjection([["2001", "pw-2001", DOMAIN, "2002"]]),
      authUri: DOMAIN,
      timeoutSeconds: 20,
      extraArgs: ["-mp", "0"],
    });
    assert.equal(caller.code, 0, `caller: ${describeSippResult(caller)}\n${caller.messages.slice(-3000)}`);
    const answered = await callee;
    assert.equal(
      answered.code,
      0,
      `callee: ${describeSippResult(answered)}\n${answered.messages.slice(-3000)}`,
    );
    await eventually(() => node.node.sip.calls.calls.length === 0, "the call to end on the node");

    const log = c.kamailio.log().slice(logFrom);
    const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const toNode = log.match(
      new RegExp(`INVITE sip:2002@parley\\.test \\(Call-ID hash\\) -> ${escaped(nodeUri)}`, "g"),
    );
    assert.equal(toNode?.length, 2, "the first INVITE and the one answering the 407 both went to the node");
    assert.match(
      log,
      new RegExp(`INVITE from node ${escaped(node.target)} -> phone sip:127\\.0\\.0\\.1:${calleePort}`),
    );
    assert.match(
      caller.messages,
      /^BYE sip:[^\r\n]*\r\n(?:.*\r\n)*?Route: <sip:127\.0\.0\.1:\d+;lr>/m,
      "the caller's BYE carried Kamailio's Route",
    );
    assert.match(answered.messages, /^BYE /m, "the callee got the BYE, relayed by Kamailio");
  });
});

function bindingsOf(c: Cluster, user: string): Binding[] {
  return [...c.nodes.values()].flatMap((n) => n.node.sip.location.lookup(`sip:${user}@${DOMAIN}`));
}

function flagsOf(list: KamailioDestination[], uri: string): string {
  return list.find((d) => d.uri === uri)?.flags ?? "(absent)";
}
