import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, runSipp, SIPP_HOW_TO_GET, writeUsersCsv } from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

describe("registrar against SIPp (real peer)", () => {
  let parley: SipTestNode;
  const users = ["1001", "1002", "1003", "1004", "1005"];
  const csv = (user: string, password = `pw-${user}`) =>
    writeUsersCsv([{ user, password, domain: "parley.test" }]);

  before(async () => {
    if (!HAS_SIPP) return;
    // Both algorithms offered, MD5 first: SIPp 3.6.1 answers only the first challenge, with MD5.
    parley = await startSipTestNode(users, { PARLEY_SIP_DIGEST_ALGORITHMS: "MD5,SHA-256" });
  });
  after(() => parley?.stop());

  const run = async (t: import("node:test").TestContext, options: Parameters<typeof runSipp>[0]) => {
    if (!HAS_SIPP) {
      missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
      return undefined;
    }
    return runSipp(options);
  };

  for (const transport of ["u1", "t1"] as const) {
    test(`REGISTER with MD5 digest over ${transport === "u1" ? "UDP" : "TCP"} is challenged, then bound with an expiry`, async (t) => {
      const user = transport === "u1" ? "1001" : "1002";
      const result = await run(t, {
        scenario: "register-digest",
        target: parley?.target ?? "",
        transport,
        injection: csv(user),
        authUri: "parley.test",
      });
      if (!result) return;
      assert.equal(result.code, 0, describeSippResult(result));
      const bindings = parley.node.sip.location.lookup(`sip:${user}@parley.test`);
      assert.equal(bindings.length, 1);
      assert.equal(bindings[0]?.source.protocol, transport === "u1" ? "udp" : "tcp");
      assert.ok((bindings[0]?.expiresAt ?? 0) > Date.now() + 3_500_000, "Expires: 3600 is kept");
    });
  }

  test("a re-REGISTER in the same Call-ID refreshes the binding", async (t) => {
    const result = await run(t, {
      scenario: "reregister",
      target: parley?.target ?? "",
      injection: csv("1003"),
      authUri: "parley.test",
    });
    if (!result) return;
    assert.equal(result.code, 0, describeSippResult(result));
    assert.equal(parley.node.sip.location.lookup("sip:1003@parley.test").length, 1);
  });

  test("Expires: 0 removes one binding and Contact: * removes them all", async (t) => {
    const result = await run(t, {
      scenario: "unregister",
      target: parley?.target ?? "",
      injection: csv("1004"),
      authUri: "parley.test",
    });
    if (!result) return;
    assert.equal(result.code, 0, describeSippResult(result));
    assert.deepEqual(parley.node.sip.location.lookup("sip:1004@parley.test"), []);
  });

  test("OPTIONS is answered 200 with Allow", async (t) => {
    const result = await run(t, { scenario: "options", target: parley?.target ?? "" });
    if (!result) return;
    assert.equal(result.code, 0, describeSippResult(result));
  });

  test("the challenge offers SHA-256 next to MD5 (RFC 8760)", async (t) => {
    const result = await run(t, {
      scenario: "register-digest-sha256",
      target: parley?.target ?? "",
      injection: csv("1005"),
    });
    if (!result) return;
    assert.equal(result.code, 0, describeSippResult(result));
  });
});

describe("authentication failures against SIPp", () => {
  test("wrong passwords get 403, and after auth_ban_failures the source gets no answer, even with the right password", async (t) => {
    if (!HAS_SIPP) {
      missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
      return;
    }
    const parley = await startSipTestNode(["2001"], { PARLEY_SIP_AUTH_BAN_FAILURES: "3" });
    t.after(() => parley.stop());
    const result = await runSipp({
      scenario: "register-ban",
      target: parley.target,
      injection: writeUsersCsv([{ user: "2001", password: "pw-2001", domain: "parley.test" }]),
      authUri: "parley.test",
      timeoutSeconds: 20,
      traceMessages: true,
    });
    const answers = [...result.messages.matchAll(/^SIP\/2\.0 (\d{3})/gm)].map((m) => m[1]);
    assert.deepEqual(answers, ["401", "403", "403", "403"], describeSippResult(result));
    assert.match(result.messages, /CSeq: 5 REGISTER/, "the fifth REGISTER was sent and got nothing back");
    assert.deepEqual(
      parley.node.sip.location.lookup("sip:2001@parley.test"),
      [],
      "a wrong password never registers",
    );
    const metrics = await parley.node.metrics.metrics();
    assert.match(metrics, /^parley_sip_auth_bans_total 1$/m);
    assert.deepEqual(parley.node.sip.location.lookup("sip:2001@parley.test"), []);
  });
});
