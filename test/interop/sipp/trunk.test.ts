import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callerInjection, eventually, registerSippPhone } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import {
  describeSippResult,
  findSipp,
  freePort,
  runSipp,
  SIPP_HOW_TO_GET,
  type SippResult,
} from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

describe("a SIP trunk to a provider (SIPp plays the provider)", () => {
  let parley: SipTestNode;
  let provider: Promise<SippResult>;
  let providerPort: number;

  before(async () => {
    if (!HAS_SIPP) return;
    providerPort = await freePort("127.0.0.1", false);
    provider = runSipp({
      scenario: "trunk-provider",
      target: "127.0.0.1:5060",
      port: providerPort,
      calls: 2,
      timeoutSeconds: 25,
      set: { user: "trunkuser", pass: "trunkpass" },
      extraArgs: ["-mp", "0"],
    });
    parley = await startSipTestNode(
      ["2001"],
      {},
      {
        toml: [
          "[[trunks]]",
          'name = "provider"',
          'host = "127.0.0.1"',
          `port = ${providerPort}`,
          'username = "trunkuser"',
          'password = "trunkpass"',
          "register = true",
          'prefixes = ["+49"]',
          'caller_id = "+4930999000"',
          'from_domain = "provider.test"',
          "",
        ].join("\n"),
      },
    );
  });
  after(() => parley?.stop());

  test("Parley registers to the provider with digest auth; a user's call to +4930123456 goes out with the trunk's caller ID; an unauthenticated INVITE to it is refused", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    await eventually(
      () => parley.node.sip.trunkRegistrations[0]?.state === "Registered",
      "the trunk registration",
      10_000,
    );
    assert.equal(
      parley.node.sip.trunkRegistrations[0]?.expires,
      600,
      "the granted expiry is read from the Contact",
    );

    // Users and strangers call from 127.0.0.2; 127.0.0.1 is the provider's address.
    const stranger = await runSipp({
      scenario: "caller-unauthenticated",
      target: parley.target,
      localIp: "127.0.0.2",
      injection: callerInjection([["9999", "none", "parley.test", "+4930123456"]]),
      timeoutSeconds: 10,
      extraArgs: ["-mp", "0"],
    });
    assert.equal(stranger.code, 0, `no relay for strangers: ${describeSippResult(stranger)}`);
    assert.match(stranger.logs, /refused with 407/);
    const fromTrunk = await runSipp({
      scenario: "caller-unauthenticated",
      target: parley.target,
      localIp: "127.0.0.1",
      injection: callerInjection([["provider", "none", "parley.test", "+4930123456"]]),
      timeoutSeconds: 10,
      extraArgs: ["-mp", "0"],
    });
    assert.equal(fromTrunk.code, 0, `no relay from the trunk back out: ${describeSippResult(fromTrunk)}`);
    assert.match(fromTrunk.logs, /refused with 404/);

    const caller = await runSipp({
      scenario: "caller-bye",
      target: parley.target,
      localIp: "127.0.0.2",
      injection: callerInjection([["2001", "pw-2001", "parley.test", "+4930123456"]]),
      authUri: "parley.test",
      timeoutSeconds: 15,
      extraArgs: ["-mp", "0"],
    });
    assert.equal(caller.code, 0, `caller: ${describeSippResult(caller)}\n${caller.messages.slice(-2500)}`);
    const result = await provider;
    assert.equal(
      result.stats?.successful,
      2,
      `provider: ${describeSippResult(result)}\n${result.messages.slice(-4000)}`,
    );
    assert.equal(result.stats?.failed, 0, describeSippResult(result));
    assert.match(result.logs, /trunk INVITE INVITE sip:\+4930123456@/);

    const cdrs = await parley.node.cdrs.list({});
    const out = cdrs.find((c) => c.to === "+4930123456" && c.disposition === "answered");
    assert.ok(out, JSON.stringify(cdrs, null, 1));
    assert.ok(
      out.legs.some((l) => l.direction === "outbound" && l.target.startsWith("sip:+4930123456@127.0.0.1")),
    );
  });

  test("an inbound call from the trunk to a DID rings the user who owns the number, without a challenge", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
    const users = (await (await fetch(`${parley.api}/users`, { headers })).json()) as {
      users: Array<{ id: string; extension: string }>;
    };
    const owner = users.users.find((u) => u.extension === "2001");
    assert.ok(owner);
    const patched = await fetch(`${parley.api}/users/${owner.id}`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ phoneNumbers: ["+4930555001"] }),
    });
    assert.equal(patched.status, 200, await patched.text());
    const port = await registerSippPhone(parley.node, "2001");
    const phone = runSipp({
      scenario: "callee-answer",
      target: parley.target,
      port,
      timeoutSeconds: 15,
      extraArgs: ["-mp", "0", "-s", "2001"],
    });
    const provider = await runSipp({
      scenario: "trunk-caller",
      target: parley.target,
      localIp: "127.0.0.1",
      injection: callerInjection([["+4989000111", "none", "provider.test", "+4930555001"]]),
      timeoutSeconds: 15,
      extraArgs: ["-mp", "0"],
    });
    assert.equal(
      provider.code,
      0,
      `provider: ${describeSippResult(provider)}\n${provider.messages.slice(-2500)}`,
    );
    const answered = await phone;
    assert.equal(answered.code, 0, `phone: ${describeSippResult(answered)}`);
    const cdrs = await parley.node.cdrs.list({});
    const inbound = cdrs.find((c) => c.to === "+4930555001");
    assert.equal(inbound?.caller, "trunk:provider");
    assert.equal(inbound?.disposition, "answered");
    assert.equal(inbound?.callee, "2001@parley.test");
  });
});
