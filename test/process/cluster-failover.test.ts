import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { silentLogger } from "../../src/kernel/log.ts";
import { SqlCdrStore, SqlDatabase } from "../../src/storage/index.ts";
import { eventually } from "../support/call-peers.ts";
import { freshDatabase } from "../support/databases.ts";
import { hears } from "../support/emergency.ts";
import { startKamailio } from "../support/kamailio.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";
import { freshRedis } from "../support/redis.ts";
import { freePort } from "../support/sipp.ts";
import { registeredSoftPhone } from "../support/soft-phones.ts";

const DOMAIN = "parley.test";
const USERS = ["5101", "5102", "5103", "5104", "5105", "5106"];

/**
 * Kill -9 of a node in a two-node cluster behind Kamailio: Kamailio's OPTIONS probe takes it out,
 * new calls go to the other node, a phone that registered through the dead node registers again
 * on the live one at its next REGISTER and can be called, and the record of the call that was up
 * on the dead node is completed (interrupted) by the live node: no CDR is lost.
 */
test("kill -9 of node 1: the probe removes it, calls go to node 2, phones re-register there, and its open CDR is completed", async (t) => {
  const db = await freshDatabase(t, "postgres");
  const redis = await freshRedis(t);
  if (!db || !redis) return;
  t.after(() => db.drop());
  const cwd = mkdtempSync(join(tmpdir(), "parley-failover-"));
  const shared = {
    PARLEY_DATABASE_URL: db.url,
    PARLEY_CLUSTER_REDIS: redis.url,
    PARLEY_CLUSTER_KEY_PREFIX: redis.prefix,
    PARLEY_SIP_NONCE_SECRET: "failover-test-shared-secret",
    PARLEY_SIP_DOMAIN: DOMAIN,
    PARLEY_SIP_HOST: "127.0.0.1",
    PARLEY_HTTP_PORT: "0",
  };
  for (const user of USERS) {
    const added = await runParley(["user", "add", user, "--password", `pw-${user}`], { cwd, env: shared });
    assert.equal(added.code, 0, added.stderr);
  }
  const nodes: Array<{ id: string; port: number; process: ParleyProcess }> = [];
  for (const [index, id] of ["node1", "node2"].entries()) {
    const port = await freePort("127.0.0.1", false);
    const process = ParleyProcess.start({
      cwd,
      env: {
        ...shared,
        PARLEY_CLUSTER_NODE_ID: id,
        PARLEY_SIP_PORT: String(port),
        PARLEY_DATA_DIR: join(cwd, id),
        PARLEY_MEDIA_RTP_PORT_MIN: String(42_000 + index * 1000),
        PARLEY_MEDIA_RTP_PORT_MAX: String(42_999 + index * 1000),
      },
    });
    t.after(() => process.signalGroup("SIGKILL"));
    await process.httpPort();
    nodes.push({ id, port, process });
  }
  const kamailio = await startKamailio(t, {
    nodes: nodes.map((n) => ({ address: "127.0.0.1", port: n.port })),
    probeIntervalSeconds: 1,
  });
  if (!kamailio) return;
  const [node1, node2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const uri = (n: { port: number }) => `sip:127.0.0.1:${n.port}`;
  const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
  t.after(() => database.close());
  const cdrs = new SqlCdrStore(database.db);

  const phone = (extension: string, toneHz: number, autoAnswer = false) =>
    registeredSoftPhone(t, { extension, server: kamailio.target, domain: DOMAIN, toneHz, autoAnswer });
  const registrarOf = async (user: string) => {
    const list = await kamailio.destinations();
    const out = await kamailio.rpc("dispatcher.hash", String(list.length), `s:${user}`, DOMAIN);
    return list[Number(/slot:\s*(\d+)/.exec(out)?.[1])]?.uri;
  };

  // A callee whose registrations land on node 1, and a call to it that node 1 runs.
  let calleeUser: string | undefined;
  for (const user of USERS) if ((await registrarOf(user)) === uri(node1)) calleeUser ??= user;
  assert.ok(calleeUser, "some user registers on node 1");
  const callers = USERS.filter((u) => u !== calleeUser);
  const callee = await phone(calleeUser, 1050, true);
  // Kamailio spreads calls by Call-ID: call until node 1 runs one (each try is a new Call-ID).
  let onNode1: string | undefined;
  const caller = await phone(callers[0] as string, 650);
  for (let attempt = 0; attempt < 12 && !onNode1; attempt++) {
    assert.deepEqual(await caller.call(calleeUser), { answered: true });
    const [newest] = await cdrs.list({ limit: 1 });
    if (newest?.node === "node1" && newest.endedAt === undefined) {
      onNode1 = newest.id;
      break;
    }
    await caller.hangup();
    await eventually(() => callee.state !== "Connected", "the callee free again");
  }
  assert.ok(onNode1, "a call ran on node 1");
  await eventually(() => hears(callee.heard().slice(-8000), 650), "the callee to hear its caller");

  // Kill -9 node 1 in the middle of that call.
  node1.process.signalGroup("SIGKILL");
  await node1.process.exited;
  await kamailio.waitForDestinations(
    (list) =>
      list.some((d) => d.uri === uri(node1) && !d.active) &&
      list.some((d) => d.uri === uri(node2) && d.active),
    10_000,
  );
  // Node 2 completes the open record of the dead node's call once its heartbeat has expired.
  await eventually(
    async () => (await cdrs.get(onNode1 as string))?.disposition === "interrupted",
    "the dead node's call record completed as interrupted",
    40_000,
  );
  const record = await cdrs.get(onNode1);
  assert.equal(record?.node, "node1");
  assert.ok(record?.endedAt !== undefined && record.legs.every((leg) => leg.endedAt !== undefined));

  // The callee's phone registers again (its next re-REGISTER): node 2 takes it, and a new call
  // through the front door reaches it, run by node 2.
  await callee.close();
  const again = await phone(calleeUser, 1050, true);
  const fresh = await phone(callers[callers.length - 1] as string, 1450);
  assert.deepEqual(await fresh.call(calleeUser), { answered: true });
  const [running] = (await cdrs.list({ limit: 10 })).filter((r) => r.endedAt === undefined);
  assert.equal(running?.node, "node2");
  await eventually(
    () => hears(again.heard().slice(-8000), 1450),
    "the re-registered callee to hear the new caller",
  );
  await fresh.hangup();
  await eventually(
    async () => (await cdrs.get(running?.id as string))?.disposition === "answered",
    "the new call's record",
  );
  assert.deepEqual(
    (await cdrs.list({ limit: 100 })).filter((r) => r.endedAt === undefined),
    [],
    "no record is left open",
  );
});
