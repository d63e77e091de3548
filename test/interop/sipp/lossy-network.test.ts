import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import {
  describeSippResult,
  findSipp,
  runSipp,
  SIPP_HOW_TO_GET,
  scenarioPath,
  writeUsersCsv,
} from "../../support/sipp.ts";

/**
 * A UDP relay between SIPp and Parley that drops a share of the datagrams in each direction,
 * chosen by a seeded generator so a run is reproducible.
 */
async function lossyRelay(target: { host: string; port: number }, dropRate: number) {
  let seed = 0x9e3779b9;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const front: Socket = createSocket("udp4");
  const back: Socket = createSocket("udp4");
  front.bind(0, "127.0.0.1");
  back.bind(0, "127.0.0.1");
  await Promise.all([once(front, "listening"), once(back, "listening")]);
  let client: { address: string; port: number } | undefined;
  const counts = { forwarded: 0, dropped: 0 };
  const pass = () => {
    const dropped = random() < dropRate;
    counts[dropped ? "dropped" : "forwarded"] += 1;
    return !dropped;
  };
  front.on("message", (data, from) => {
    client = { address: from.address, port: from.port };
    if (pass()) back.send(data, target.port, target.host);
  });
  back.on("message", (data) => {
    if (client && pass()) front.send(data, client.port, client.address);
  });
  return {
    port: front.address().port,
    counts,
    close: () => {
      front.close();
      back.close();
    },
  };
}

test("20 registrations complete through retransmissions when 30% of UDP datagrams are lost", async (t) => {
  if (!findSipp()) {
    missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    return;
  }
  const users = Array.from({ length: 20 }, (_, i) => `lossy${i}`);
  const parley = await startSipTestNode(users);
  t.after(() => parley.stop());
  const relay = await lossyRelay({ host: "127.0.0.1", port: parley.node.sipAddresses.udp?.port ?? 0 }, 0.3);
  t.after(() => relay.close());

  // The same REGISTER scenario, with rport in Via so that responses return through the relay
  // (RFC 3581) and are lost too.
  const dir = mkdtempSync(join(tmpdir(), "parley-lossy-"));
  const scenario = join(dir, "register-digest-rport.xml");
  writeFileSync(
    scenario,
    readFileSync(scenarioPath("register-digest"), "utf8").replaceAll(
      "branch=[branch]",
      "branch=[branch];rport",
    ),
  );

  const result = await runSipp({
    scenario,
    target: `127.0.0.1:${relay.port}`,
    injection: writeUsersCsv(users.map((user) => ({ user, password: `pw-${user}`, domain: "parley.test" }))),
    authUri: "parley.test",
    calls: 20,
    rate: 10,
    timeoutSeconds: 90,
    extraArgs: ["-max_retrans", "12", "-max_non_invite_retrans", "12"],
  });
  assert.equal(result.stats?.successful, 20, describeSippResult(result));
  assert.equal(result.stats?.failed, 0, describeSippResult(result));
  for (const user of users) {
    assert.equal(
      parley.node.sip.location.lookup(`sip:${user}@parley.test`).length,
      1,
      `${user} is registered`,
    );
  }
  const total = relay.counts.dropped + relay.counts.forwarded;
  assert.ok(
    relay.counts.dropped / total > 0.2,
    `the relay dropped ${relay.counts.dropped} of ${total} datagrams`,
  );
  assert.ok((result.stats?.retransmissions ?? 0) > 0, "SIPp had to retransmit");
});
