import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Call } from "../../../src/calls/index.ts";
import { callerInjection, eventually, registerSippPhone } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import {
  describeSippResult,
  findSipp,
  runSipp,
  SIPP_HOW_TO_GET,
  type SippResult,
} from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;
const DOMAIN = "parley.test";
/** PARLEY_CALLS_NO_ANSWER_TIMEOUT for the node: callees that only ring are cancelled after this. */
const NO_ANSWER_SECONDS = 2;
const SIPP = { timeoutSeconds: 15, extraArgs: ["-mp", "0"] };

/** Caller 2001 (or `from`) dials `to`, with the 407 answered by SIPp. */
function dialling(to: string, from = "2001"): { injection: string; authUri: string } {
  return { injection: callerInjection([[from, `pw-${from}`, DOMAIN, to]]), authUri: DOMAIN };
}

function assertPassed(name: string, result: SippResult): void {
  assert.equal(
    result.code,
    0,
    `${name}: ${describeSippResult(result)}\n${result.logs}\n${result.messages.slice(-4000)}`,
  );
}

/**
 * What Parley does with a call it cannot connect, and with forks, against SIPp phones: the caller
 * cancels, the callee is busy (or already in a call), nobody answers, two phones of one user
 * ring and one answers, the callee is not registered or does not exist. Each callee extension is
 * used by one test only, so bindings of one test never fork calls of another.
 */
describe("call outcomes against SIPp (real peers): cancel, busy, no answer, forking, 480/404", () => {
  let parley: SipTestNode;

  before(async () => {
    if (!HAS_SIPP) return;
    parley = await startSipTestNode(
      ["2001", "2003", "2102", "2103", "2104", "2105", "2106", "2107", "2108"],
      { PARLEY_CALLS_NO_ANSWER_TIMEOUT: String(NO_ANSWER_SECONDS) },
    );
  });
  after(() => parley?.stop());

  /**
   * Runs caller-cancel against callee-ring-cancel on a phone of `callee`; returns both results,
   * when the caller's SIPp was done (CANCEL answered, 487 ACKed) and when Parley's call ended
   * (Infinity when it had not 5 s after that).
   */
  async function callerCancels(callee: string) {
    const ended = new Promise<number>((resolve) =>
      parley.node.sip.calls.once("call", (call: Call) => call.once("ended", () => resolve(Date.now()))),
    );
    const port = await registerSippPhone(parley.node, callee);
    const ringing = runSipp({
      ...SIPP,
      scenario: "callee-ring-cancel",
      target: parley.target,
      port,
      set: { expected_reason: "any" },
      extraArgs: [...SIPP.extraArgs, "-s", callee],
    });
    const caller = await runSipp({
      ...SIPP,
      scenario: "caller-cancel",
      target: parley.target,
      ...dialling(callee),
    });
    const cancelled = Date.now();
    const phone = await ringing;
    let timer: NodeJS.Timeout | undefined;
    const endedAt = await Promise.race([
      ended,
      new Promise<number>((resolve) => {
        timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), 5000);
      }),
    ]);
    clearTimeout(timer);
    return { caller, callee: phone, cancelled, ended: endedAt };
  }

  test("the caller cancels while the callee rings: 200 + 487 to the caller, CANCEL to the callee at once", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const run = await callerCancels("2102");
    assertPassed("caller", run.caller);
    assertPassed("callee", run.callee);
    assert.match(run.callee.logs, /CANCEL for 2102/);
    assert.equal(parley.node.sip.calls.calls.length, 0, "the call is gone");
    // The caller is gone, so the callee's INVITE must be cancelled then, not when the no-answer
    // timer (2 s after the INVITE, about 1.8 s after the caller's CANCEL) fires.
    const late = run.ended - run.cancelled;
    assert.ok(late < 1000, `the call ended ${late} ms after the caller's CANCEL was answered`);
  });

  test("the 200 for the caller's CANCEL carries the To tag of the 487 (RFC 3261 §9.2)", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const run = await callerCancels("2108");
    assertPassed("caller", run.caller);
    assertPassed("callee", run.callee);
    const cancelTag = /CANCEL answered:.*To tag (\S+)/.exec(run.caller.logs)?.[1];
    const inviteTag = /INVITE terminated:.*To tag (\S+)/.exec(run.caller.logs)?.[1];
    assert.ok(inviteTag, run.caller.logs);
    assert.equal(cancelTag, inviteTag, "To tag of the 200 (CANCEL) vs the 487 (INVITE)");
  });

  test("the callee is busy: 486 from the phone reaches the caller", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const port = await registerSippPhone(parley.node, "2103");
    const callee = runSipp({
      ...SIPP,
      scenario: "callee-busy",
      target: parley.target,
      port,
      extraArgs: [...SIPP.extraArgs, "-s", "2103"],
    });
    const caller = await runSipp({
      ...SIPP,
      scenario: "caller-refused",
      target: parley.target,
      ...dialling("2103"),
      set: { expected: "486" },
    });
    assertPassed("caller", caller);
    assertPassed("callee", await callee);
    assert.equal(parley.node.sip.calls.calls.length, 0, "the call is gone");
  });

  test("call waiting off: a second call to a user in a call gets 486 and the phone does not ring", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const calls: Call[] = [];
    const onCall = (call: Call) => calls.push(call);
    parley.node.sip.calls.on("call", onCall);
    t.after(() => parley.node.sip.calls.off("call", onCall));

    const port = await registerSippPhone(parley.node, "2104");
    const callee = runSipp({
      ...SIPP,
      scenario: "callee-answer",
      target: parley.target,
      port,
      extraArgs: [...SIPP.extraArgs, "-s", "2104"],
    });
    const first = runSipp({
      ...SIPP,
      scenario: "caller-hold",
      target: parley.target,
      ...dialling("2104"),
      set: { hold_ms: "2500" },
    });
    await eventually(
      () => parley.node.sip.calls.isBusy(`sip:2104@${DOMAIN}`),
      "2001 → 2104 to be answered",
      5000,
    );

    const second = await runSipp({
      ...SIPP,
      scenario: "caller-refused",
      target: parley.target,
      ...dialling("2104", "2003"),
      set: { expected: "486" },
    });
    assertPassed("second caller", second);
    const secondCall = calls.find((call) => call.from.uri.toString().includes("2003@"));
    assert.ok(secondCall, "Parley took the second call");
    assert.deepEqual(
      secondCall.parties.map((leg) => leg.direction),
      ["inbound"],
      "no INVITE was placed to the busy user's phone",
    );
    assert.ok(parley.node.sip.calls.isBusy(`sip:2104@${DOMAIN}`), "the first call is still up");

    assertPassed("first caller", await first);
    const answered = await callee;
    assertPassed("callee", answered);
    assert.equal(answered.messages.match(/^INVITE sip:/gm)?.length, 1, "the phone got one INVITE only");
    assert.equal(parley.node.sip.calls.calls.length, 0, "both calls are gone");
  });

  test("no answer: after the ring timeout the caller gets 480 and the phone gets CANCEL", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const port = await registerSippPhone(parley.node, "2105");
    const callee = runSipp({
      ...SIPP,
      scenario: "callee-ring-cancel",
      target: parley.target,
      port,
      set: { expected_reason: "any" },
      extraArgs: [...SIPP.extraArgs, "-s", "2105"],
    });
    const started = Date.now();
    const caller = await runSipp({
      ...SIPP,
      scenario: "caller-refused",
      target: parley.target,
      ...dialling("2105"),
      set: { expected: "480" },
    });
    const elapsed = Date.now() - started;
    assertPassed("caller", caller);
    assert.ok(
      elapsed >= NO_ANSWER_SECONDS * 1000 - 200 && elapsed < NO_ANSWER_SECONDS * 1000 + 3000,
      `480 after ${elapsed} ms, expected about ${NO_ANSWER_SECONDS} s`,
    );
    const rang = await callee;
    assertPassed("callee", rang);
    assert.match(rang.logs, /CANCEL for 2105/);
    assert.equal(parley.node.sip.calls.calls.length, 0, "the call is gone");
  });

  test("forking: two phones ring, the second answers, the first gets CANCEL with Reason SIP;cause=200", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const ringingPort = await registerSippPhone(parley.node, "2106");
    const answeringPort = await registerSippPhone(parley.node, "2106");
    assert.equal(parley.node.sip.location.lookup(`sip:2106@${DOMAIN}`).length, 2, "two bindings for 2106");

    const ringing = runSipp({
      ...SIPP,
      scenario: "callee-ring-cancel",
      target: parley.target,
      port: ringingPort,
      set: { expected_reason: "SIP;cause=200" },
      extraArgs: [...SIPP.extraArgs, "-s", "2106"],
    });
    const answering = runSipp({
      ...SIPP,
      scenario: "callee-answer-after",
      target: parley.target,
      port: answeringPort,
      set: { answer_after_ms: "500" },
      extraArgs: [...SIPP.extraArgs, "-s", "2106"],
    });
    const caller = await runSipp({
      ...SIPP,
      scenario: "caller-bye",
      target: parley.target,
      ...dialling("2106"),
    });
    assertPassed("caller", caller);
    const cancelled = await ringing;
    assertPassed("ringing phone", cancelled);
    assert.match(cancelled.logs, /CANCEL for 2106, Reason: SIP;cause=200/);
    const answered = await answering;
    assertPassed("answering phone", answered);
    assert.match(answered.messages, /BYE sip:/, "the BYE reached the phone that answered");
    assert.equal(parley.node.sip.calls.calls.length, 0, "the call is gone");
  });

  test("a user with no registered phone: 480 Temporarily Unavailable", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const caller = await runSipp({
      ...SIPP,
      scenario: "caller-refused",
      target: parley.target,
      ...dialling("2107"),
      set: { expected: "480" },
    });
    assertPassed("caller", caller);
    assert.equal(parley.node.sip.calls.calls.length, 0, "no call is left");
  });

  test("an extension nobody has: 404 Not Found", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const caller = await runSipp({
      ...SIPP,
      scenario: "caller-refused",
      target: parley.target,
      ...dialling("2999"),
      set: { expected: "404" },
    });
    assertPassed("caller", caller);
    assert.equal(parley.node.sip.calls.calls.length, 0, "no call is left");
  });

  test("after all these calls nothing is left behind: no call, dialog, RTP port or media object", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    await eventually(() => parley.node.sip.calls.calls.length === 0, "every call to end");
    await eventually(() => parley.node.sip.stack.core.dialogCount === 0, "every dialog to be forgotten");
    assert.equal(parley.node.media.portsInUse, 0, "every RTP port is back in the pool");
    assert.equal(parley.node.media.size, 0, "no endpoint, bridge, player or recorder is left");
  });
});
