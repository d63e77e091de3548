import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";

/** One call's script: what the callee's phone does, and what happens next. */
const scenario = fc.record({
  callee: fc.constantFrom<"answer" | "ring" | 486 | 603 | 404>("answer", "ring", 486, 603, 404),
  /** After the answer (or while it rings): who ends the call, and how long they wait first. */
  ender: fc.constantFrom("caller", "callee"),
  waitMs: fc.integer({ min: 0, max: 120 }),
  /** The caller holds the call (re-INVITE sendonly) before it ends. */
  hold: fc.boolean(),
});

/**
 * A property over random call scripts between two phones built on Parley's own stack: whatever
 * the callee does (answer, ring until cancelled, refuse) and whoever hangs up when, every call
 * ends, and Parley is left with no call, no dialog, no RTP port and no media object. This is the
 * "every leg is always cleaned up" promise, checked against sequences nobody wrote by hand.
 */
test("property: every call script leaves no call, dialog, port or media object behind", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"], { PARLEY_CALLS_CALL_WAITING: "true" });
  t.after(() => parley.stop());
  const caller = await StackPhone.start({ extension: "1001", password: "pw-1001", registrar: parley.target });
  const callee = await StackPhone.start({ extension: "1002", password: "pw-1002", registrar: parley.target });
  t.after(() => caller.stop());
  t.after(() => callee.stop());
  callee.answerCalls();
  await bindContact(parley.node, "1002", callee.port);

  await fc.assert(
    fc.asyncProperty(scenario, async (script) => {
      callee.mode = script.callee;
      const answeredBefore = callee.answered.length;
      const call = await caller.dial("1002");
      if (script.callee === "ring") {
        await eventually(
          () => parley.node.sip.calls.calls[0]?.parties.some((l) => l.state === "Ringing") === true,
          "ringing",
        );
        await sleep(script.waitMs);
        call.cancel();
        const outcome = await call.outcome;
        assert.ok("status" in outcome && outcome.status === 487, JSON.stringify(outcome));
      } else {
        const outcome = await call.outcome;
        if (script.callee !== "answer") {
          assert.ok("status" in outcome, "a refused call fails");
          assert.equal(outcome.status, script.callee === 603 ? 603 : script.callee);
        } else {
          assert.ok("session" in outcome, "an answered call connects");
          await eventually(() => callee.answered.length === answeredBefore + 1, "the callee's session");
          const calleeSession = callee.answered[answeredBefore];
          await sleep(script.waitMs);
          if (script.hold) {
            const held = await outcome.session.reinvite({
              contentType: "application/sdp",
              data: Buffer.from(
                "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40100 RTP/AVP 0\r\na=sendonly\r\n",
              ),
            });
            assert.equal(held.status, 200);
          }
          if (script.ender === "caller") await outcome.session.bye();
          else await calleeSession?.bye();
          await eventually(
            () => outcome.session.terminated && calleeSession?.terminated === true,
            "both sides to end",
          );
        }
      }
      await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
      await eventually(() => parley.node.sip.stack.core.dialogCount === 0, "Parley to forget its dialogs");
      assert.equal(parley.node.media.portsInUse, 0, "RTP ports back in the pool");
      assert.equal(parley.node.media.size, 0, "no media object left");
    }),
    { numRuns: 25 },
  );
});
