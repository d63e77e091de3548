import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";

/**
 * RFC 4028 session timers, on a fake clock shared by Parley and the two phones (real UDP on
 * loopback, no real waiting): who refreshes, when, and what happens when nobody does.
 */
async function setup(t: import("node:test").TestContext, env: Record<string, string>) {
  const clock = new FakeClock(Date.now());
  const parley = await startSipTestNode(
    ["1001", "1002"],
    { PARLEY_MEDIA_RTP_TIMEOUT: "0", ...env },
    { clock },
  );
  t.after(() => parley.stop());
  const caller = await StackPhone.start({
    extension: "1001",
    password: "pw-1001",
    registrar: parley.target,
    clock,
  });
  const callee = await StackPhone.start({
    extension: "1002",
    password: "pw-1002",
    registrar: parley.target,
    clock,
  });
  t.after(() => caller.stop());
  t.after(() => callee.stop());
  await bindContact(parley.node, "1002", callee.port);
  return { clock, parley, caller, callee };
}

/**
 * Waits until every 2xx has its ACK (Parley's inbound leg, the callee's session): advancing the
 * fake clock past 64·T1 before that would end the call for want of an ACK (RFC 3261 §13.3.1.4).
 */
async function confirmed(parley: SipTestNode, callee: StackPhone): Promise<void> {
  await eventually(
    () =>
      parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered && l.session?.awaitingAck === false) ===
        true && callee.answered[0]?.awaitingAck === false,
    "both legs answered and ACKed",
  );
}

describe("SIP session timers (RFC 4028)", () => {
  test("with calls.session_timer = 90 Parley asks for 90 s on both legs and, as refresher, re-INVITEs every 45 s", async (t) => {
    const { clock, parley, caller, callee } = await setup(t, { PARLEY_CALLS_SESSION_TIMER: "90" });
    callee.answerCalls();
    const session = await caller.call("1002");
    assert.equal(session.terminated, false);
    await confirmed(parley, callee);
    // The caller did not say Supported: timer, so Parley refreshes its leg (refresher=uas).
    clock.advance(44_000);
    assert.equal(caller.reoffers.length, 0, "no refresh before half the interval");
    clock.advance(1_000);
    await eventually(() => caller.reoffers.length === 1, "the refresh re-INVITE to the caller");
    const refresh = caller.reoffers[0];
    assert.match(refresh?.headers.get("session-expires") ?? "", /^90;refresher=uac$/);
    clock.advance(45_000);
    await eventually(() => caller.reoffers.length === 2, "the next refresh");
    const invite = callee.invites[0];
    assert.equal(invite?.headers.get("session-expires"), "90");
    assert.equal(invite?.headers.get("min-se"), "90");
    assert.ok(invite?.optionTags("supported").includes("timer"));
    // The callee's 200 had no Session-Expires: no timer on that leg (RFC 4028 §7.2).
    assert.equal(callee.reoffers.length, 0);
    assert.equal(parley.node.sip.calls.calls.length, 1, "the call is still up");
  });

  test("a callee that makes Parley the refresher (refresher=uac in its 200) gets re-INVITEs", async (t) => {
    const { clock, parley, caller, callee } = await setup(t, { PARLEY_CALLS_SESSION_TIMER: "120" });
    callee.answerCalls([
      ["Session-Expires", "100;refresher=uac"],
      ["Require", "timer"],
    ]);
    await caller.call("1002");
    await confirmed(parley, callee);
    clock.advance(50_000);
    await eventually(() => callee.reoffers.length === 1, "Parley's refresh to the callee");
    assert.match(callee.reoffers[0]?.headers.get("session-expires") ?? "", /^100;refresher=uac$/);
  });

  test("a caller that promised to refresh and never does is hung up before the session expires", async (t) => {
    const { clock, parley, caller, callee } = await setup(t, {});
    callee.answerCalls();
    const session = await caller.call("1002", [
      ["Session-Expires", "90;refresher=uac"],
      ["Supported", "timer"],
    ]);
    await confirmed(parley, callee);
    clock.advance(59_000);
    assert.equal(session.terminated, false, "still up 59 s in");
    clock.advance(1_000);
    await eventually(() => session.terminated, "Parley's BYE at 90 − 30 s");
    await eventually(() => callee.answered[0]?.terminated === true, "the callee's BYE");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
    await parley.node.sip.calls.cdrs?.drain();
    const [cdr] = await parley.node.cdrs.list({});
    assert.equal(cdr?.cause, "RECOVERY_ON_TIMER_EXPIRE");
  });

  test("a caller's refresh re-INVITE restarts the interval", async (t) => {
    const { clock, parley, caller, callee } = await setup(t, {});
    callee.answerCalls();
    const session = await caller.call("1002", [
      ["Session-Expires", "90;refresher=uac"],
      ["Supported", "timer"],
    ]);
    await confirmed(parley, callee);
    clock.advance(40_000);
    const refreshed = await session.reinvite(
      { contentType: "application/sdp", data: Buffer.from(REFRESH_OFFER) },
      [["Session-Expires", "90;refresher=uac"]],
    );
    assert.equal(refreshed.status, 200);
    assert.match(refreshed.headers.get("session-expires") ?? "", /^90;refresher=uac$/);
    clock.advance(40_000);
    assert.equal(session.terminated, false, "80 s after the start, 40 s after the refresh: still up");
    clock.advance(20_000);
    await eventually(() => session.terminated, "expiry 60 s after the refresh");
  });
});

/** A minimal offer for a refresh (the caller's own address does not matter to this test). */
const REFRESH_OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 40010 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "",
].join("\r\n");
