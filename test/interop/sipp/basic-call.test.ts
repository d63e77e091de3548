import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callerInjection, registerSippPhone } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, runSipp, SIPP_HOW_TO_GET } from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

describe("basic calls between users against SIPp (real peers)", () => {
  let parley: SipTestNode;

  before(async () => {
    if (!HAS_SIPP) return;
    parley = await startSipTestNode(["2001", "2002", "2003"], { PARLEY_CALLS_NO_ANSWER_TIMEOUT: "3" });
  });
  after(() => parley?.stop());

  test("a user calls another: 407 challenge, 180, 200, ACK, BYE relayed to the callee", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const port = await registerSippPhone(parley.node, "2002");
    const callee = runSipp({
      scenario: "callee-answer",
      target: parley.target,
      port,
      timeoutSeconds: 20,
      extraArgs: ["-mp", "0", "-s", "2002"],
    });
    const caller = await runSipp({
      scenario: "caller-bye",
      target: parley.target,
      injection: callerInjection([["2001", "pw-2001", "parley.test", "2002"]]),
      authUri: "parley.test",
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
    assert.equal(parley.node.sip.calls.calls.length, 0, "the call is gone");
  });
});
