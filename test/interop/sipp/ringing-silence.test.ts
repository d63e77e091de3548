import assert from "node:assert/strict";
import { test } from "node:test";
import { callerInjection, registerSippPhone } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, runSipp, SIPP_HOW_TO_GET } from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

/**
 * A caller sends no RTP while the callee's phone rings (its phone plays its own ring-back), so
 * media.rtp_timeout must count from the answer, not from the INVITE: a call that rings longer
 * than the RTP timeout is answered, not cut with MEDIA_TIMEOUT.
 */
test("a call that rings longer than media.rtp_timeout is still answered (silence counts from the answer)", async (t) => {
  if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
  const parley = await startSipTestNode(["2201", "2202"], {
    PARLEY_MEDIA_RTP_TIMEOUT: "1",
    PARLEY_CALLS_NO_ANSWER_TIMEOUT: "10",
  });
  t.after(() => parley.stop());
  const port = await registerSippPhone(parley.node, "2202");
  const callee = runSipp({
    scenario: "callee-answer-after",
    target: parley.target,
    port,
    timeoutSeconds: 20,
    set: { answer_after_ms: "2500" },
    extraArgs: ["-mp", "0", "-s", "2202"],
  });
  const caller = await runSipp({
    scenario: "caller-bye",
    target: parley.target,
    injection: callerInjection([["2201", "pw-2201", "parley.test", "2202"]]),
    authUri: "parley.test",
    timeoutSeconds: 20,
    extraArgs: ["-mp", "0"],
  });
  assert.equal(
    caller.code,
    0,
    `the caller got its 200 after 2.5 s of ringing: ${describeSippResult(caller)}`,
  );
  const answered = await callee;
  assert.equal(answered.code, 0, describeSippResult(answered));
  const [cdr] = await parley.node.cdrs.list({});
  assert.equal(cdr?.disposition, "answered");
});
