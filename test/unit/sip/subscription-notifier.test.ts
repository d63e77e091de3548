import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { randomHex } from "../../../src/kernel/ids.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  type SipRequest,
  type SipResponse,
  type SubscriptionEnd,
  SubscriptionNotifier,
} from "../../../src/sip/index.ts";
import { SipPeer, stackAndPeer, TIMERS } from "../../support/sip-peer.ts";

const RESOURCE = "sip:1001@parley.test";
const TYPE = "application/simple-message-summary";

/**
 * A SubscriptionNotifier for `message-summary` on a real stack (UDP on loopback, timers on a
 * FakeClock), with a SipPeer as the subscriber. The body is whatever `state.body` holds when a
 * NOTIFY is built.
 */
async function notifierAndPeer(t: import("node:test").TestContext) {
  const { stack, clock, peer, close } = await stackAndPeer();
  t.after(close);
  const state = { body: "Messages-Waiting: no\r\n" };
  const notifier = new SubscriptionNotifier({
    stack,
    clock,
    logger: silentLogger(),
    event: "message-summary",
    contentType: TYPE,
    body: () => Buffer.from(state.body),
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,
  });
  stack.core.handle("SUBSCRIBE", (request, transaction) => {
    notifier.accept(request, transaction, RESOURCE);
  });
  const ended: SubscriptionEnd[] = [];
  notifier.on("ended", (_subscription, end) => ended.push(end));
  return { stack, clock, peer, notifier, state, ended };
}

/** A new SUBSCRIBE from the peer; resolves with its 200 and the initial NOTIFY (not yet answered). */
async function subscribe(peer: SipPeer, headers: Array<[string, string]> = [["Expires", "600"]]) {
  const fromTag = `s${randomHex(4)}`;
  const request = peer.sendRequest("SUBSCRIBE", {
    callId: `sub-${randomHex(6)}`,
    from: `<${RESOURCE}>;tag=${fromTag}`,
    to: `<${RESOURCE}>`,
    cseq: 1,
    headers: [["Event", "message-summary"], ["Accept", TYPE], ...headers],
  });
  const ok = await peer.nextResponse(200, "SUBSCRIBE");
  const notify = await peer.nextRequest("NOTIFY", request.callId);
  return { request, ok, notify, fromTag };
}

/** A SUBSCRIBE inside the subscription's dialog (refresh or unsubscribe). */
function resubscribe(peer: SipPeer, first: SipRequest, ok: SipResponse, cseq: number, expires: number) {
  return peer.sendRequest("SUBSCRIBE", {
    callId: first.callId,
    from: first.headers.get("from") ?? "",
    to: ok.headers.get("to") ?? "",
    cseq,
    headers: [
      ["Event", "message-summary"],
      ["Expires", String(expires)],
    ],
  });
}

describe("SubscriptionNotifier (RFC 6665 notifier)", () => {
  test("answers a SUBSCRIBE 200 with a To tag, Expires and Contact, and sends the initial NOTIFY at once in the new dialog", async (t) => {
    const { peer, notifier } = await notifierAndPeer(t);
    const { request, ok, notify, fromTag } = await subscribe(peer);
    assert.ok(ok.to.tag, "the 200 creates the dialog with our To tag");
    assert.equal(ok.headers.get("expires"), "600");
    assert.match(ok.headers.get("contact") ?? "", /^<sip:127\.0\.0\.1:\d+>$/);
    assert.equal(notify.callId, request.callId);
    assert.equal(notify.from.tag, ok.to.tag, "the NOTIFY's From tag is the dialog's local tag");
    assert.equal(notify.to.tag, fromTag, "the NOTIFY's To tag is the subscriber's tag");
    assert.equal(
      notify.uriText,
      `sip:peer@127.0.0.1:${peer.port}`,
      "the Request-URI is the SUBSCRIBE's Contact",
    );
    assert.equal(notify.headers.get("event"), "message-summary");
    assert.equal(notify.headers.get("subscription-state"), "active;expires=600");
    assert.equal(notify.contentType, TYPE);
    assert.equal(notify.body.toString(), "Messages-Waiting: no\r\n");
    assert.ok(notify.headers.has("contact"));
    peer.respond(notify, 200);
    assert.equal(notifier.subscriptions(RESOURCE).length, 1);
  });

  test("over TCP the NOTIFYs come back on the connection the SUBSCRIBE came in on (its flow), not to the Contact", async (t) => {
    const { peer: udp } = await notifierAndPeer(t);
    const tcp = await SipPeer.connect(udp.stackPort);
    t.after(() => tcp.close());
    const { ok, notify } = await subscribe(tcp);
    assert.match(ok.headers.get("contact") ?? "", /;transport=tcp>$/);
    assert.match(notify.topVia.transport, /^TCP$/);
    tcp.respond(notify, 200);
  });

  test("a change is notified with a higher CSeq, and changes while a NOTIFY is unanswered go out as one NOTIFY with the latest state", async (t) => {
    const { peer, notifier, state } = await notifierAndPeer(t);
    const { notify: initial } = await subscribe(peer);
    state.body = "Messages-Waiting: yes\r\nVoice-Message: 1/0 (0/0)\r\n";
    assert.equal(notifier.notify(RESOURCE), 1);
    state.body = "Messages-Waiting: yes\r\nVoice-Message: 2/0 (0/0)\r\n";
    notifier.notify(RESOURCE);
    // The initial NOTIFY is still unanswered: nothing else is sent until it is.
    assert.deepEqual(await peer.settle(), []);
    peer.respond(initial, 200);
    const second = await peer.nextRequest("NOTIFY", initial.callId);
    assert.equal(second.cseq.seq, initial.cseq.seq + 1);
    assert.match(second.body.toString(), /Voice-Message: 2\/0/);
    peer.respond(second, 200);
    assert.deepEqual(await peer.settle(), [], "the two changes made one NOTIFY");
  });

  test("a re-SUBSCRIBE in the dialog refreshes the expiry and is followed by a NOTIFY", async (t) => {
    const { peer, clock, notifier } = await notifierAndPeer(t);
    const { request, ok, notify } = await subscribe(peer, [["Expires", "600"]]);
    peer.respond(notify, 200);
    await peer.settle();
    clock.advance(500_000);
    resubscribe(peer, request, ok, 2, 900);
    const refreshed = await peer.nextResponse(200, "SUBSCRIBE");
    assert.equal(refreshed.headers.get("expires"), "900");
    assert.equal(refreshed.to.tag, ok.to.tag);
    const after = await peer.nextRequest("NOTIFY", request.callId);
    assert.equal(after.headers.get("subscription-state"), "active;expires=900");
    assert.ok(after.cseq.seq > notify.cseq.seq);
    peer.respond(after, 200);
    await peer.settle();
    // 600 s after the first SUBSCRIBE the refreshed subscription is still there.
    clock.advance(200_000);
    assert.equal(notifier.subscriptions(RESOURCE).length, 1);
    assert.deepEqual(await peer.settle(), []);
  });

  test("an unrefreshed subscription expires on the clock with a final NOTIFY terminated;reason=timeout, and its dialog is gone (481)", async (t) => {
    const { peer, clock, notifier, ended } = await notifierAndPeer(t);
    const { request, ok, notify } = await subscribe(peer, [["Expires", "120"]]);
    peer.respond(notify, 200);
    await peer.settle();
    clock.advance(119_000);
    assert.deepEqual(await peer.settle(), [], "nothing before the expiry");
    clock.advance(1_000);
    const final = await peer.nextRequest("NOTIFY", request.callId);
    assert.equal(final.headers.get("subscription-state"), "terminated;reason=timeout");
    assert.equal(final.body.toString(), "Messages-Waiting: no\r\n", "the final NOTIFY carries the state");
    peer.respond(final, 200);
    assert.deepEqual(ended, [{ cause: "expired" }]);
    assert.equal(notifier.subscriptions(RESOURCE).length, 0);
    resubscribe(peer, request, ok, 2, 600);
    await peer.nextResponse(481, "SUBSCRIBE");
  });

  test("SUBSCRIBE with Expires: 0 in the dialog unsubscribes: 200 with Expires: 0, then the final NOTIFY", async (t) => {
    const { peer, notifier, ended } = await notifierAndPeer(t);
    const { request, ok, notify } = await subscribe(peer);
    peer.respond(notify, 200);
    resubscribe(peer, request, ok, 2, 0);
    const answer = await peer.nextResponse(200, "SUBSCRIBE");
    assert.equal(answer.headers.get("expires"), "0");
    const final = await peer.nextRequest("NOTIFY", request.callId);
    assert.equal(final.headers.get("subscription-state"), "terminated;reason=timeout");
    peer.respond(final, 200);
    assert.deepEqual(ended, [{ cause: "unsubscribed" }]);
    assert.equal(notifier.notify(RESOURCE), 0);
    assert.deepEqual(await peer.settle(), []);
  });

  test("a new SUBSCRIBE with Expires: 0 is a fetch: 200, then one NOTIFY with the state and terminated", async (t) => {
    const { peer, notifier } = await notifierAndPeer(t);
    const { ok, notify } = await subscribe(peer, [["Expires", "0"]]);
    assert.equal(ok.headers.get("expires"), "0");
    assert.equal(notify.headers.get("subscription-state"), "terminated;reason=timeout");
    assert.equal(notify.body.toString(), "Messages-Waiting: no\r\n");
    peer.respond(notify, 200);
    assert.equal(notifier.subscriptions().length, 0);
  });

  test("an unknown event package gets 489 Bad Event with Allow-Events, and no subscription", async (t) => {
    const { peer, notifier } = await notifierAndPeer(t);
    peer.sendRequest("SUBSCRIBE", {
      callId: "presence-1",
      from: `<${RESOURCE}>;tag=p1`,
      to: `<${RESOURCE}>`,
      cseq: 1,
      headers: [["Event", "presence"]],
    });
    const refused = await peer.nextResponse(489, "SUBSCRIBE");
    assert.equal(refused.headers.get("allow-events"), "message-summary");
    assert.equal(notifier.subscriptions().length, 0);
    assert.deepEqual(await peer.settle(), [], "no NOTIFY");
  });

  test("a too brief Expires gets 423 with Min-Expires; a too long one is granted maxExpires", async (t) => {
    const { peer } = await notifierAndPeer(t);
    peer.sendRequest("SUBSCRIBE", {
      callId: "brief-1",
      from: `<${RESOURCE}>;tag=b1`,
      to: `<${RESOURCE}>`,
      cseq: 1,
      headers: [
        ["Event", "message-summary"],
        ["Expires", "30"],
      ],
    });
    const brief = await peer.nextResponse(423, "SUBSCRIBE");
    assert.equal(brief.headers.get("min-expires"), "60");
    const { ok, notify } = await subscribe(peer, [["Expires", "86400"]]);
    assert.equal(ok.headers.get("expires"), "3600");
    assert.equal(notify.headers.get("subscription-state"), "active;expires=3600");
  });

  test("an Accept that excludes the package's body type gets 406", async (t) => {
    const { peer } = await notifierAndPeer(t);
    peer.sendRequest("SUBSCRIBE", {
      callId: "accept-1",
      from: `<${RESOURCE}>;tag=a1`,
      to: `<${RESOURCE}>`,
      cseq: 1,
      headers: [
        ["Event", "message-summary"],
        ["Accept", "application/pidf+xml"],
      ],
    });
    await peer.nextResponse(406, "SUBSCRIBE");
  });

  test("a NOTIFY answered 481 ends the subscription: no more NOTIFYs, and a refresh gets 481", async (t) => {
    const { peer, notifier, ended } = await notifierAndPeer(t);
    const { request, ok, notify } = await subscribe(peer);
    peer.respond(notify, 481);
    await peer.settle();
    assert.deepEqual(ended, [{ cause: "notify-failed", status: 481 }]);
    assert.equal(notifier.notify(RESOURCE), 0);
    assert.deepEqual(await peer.settle(), [], "no final NOTIFY to a subscriber that disowned the dialog");
    resubscribe(peer, request, ok, 2, 600);
    await peer.nextResponse(481, "SUBSCRIBE");
  });

  test("a NOTIFY that times out (Timer F, 64·T1) ends the subscription", async (t) => {
    const { peer, clock, notifier, ended } = await notifierAndPeer(t);
    const { request } = await subscribe(peer);
    await peer.settle();
    clock.advance(64 * TIMERS.t1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(ended, [{ cause: "notify-failed", status: 408 }]);
    assert.equal(notifier.subscriptions().length, 0);
    // Only retransmissions of the one NOTIFY were sent (Timer E), never a second NOTIFY.
    const notifies = peer.inbox.filter((m) => m.kind === "request" && m.method === "NOTIFY");
    assert.ok(notifies.every((m) => m.callId === request.callId && m.cseq.seq === notifies[0]?.cseq.seq));
  });

  test("an out-of-order re-SUBSCRIBE (lower CSeq) gets 500", async (t) => {
    const { peer } = await notifierAndPeer(t);
    const { request, ok, notify } = await subscribe(peer);
    peer.respond(notify, 200);
    resubscribe(peer, request, ok, 5, 600);
    await peer.nextResponse(200, "SUBSCRIBE");
    peer.respond(await peer.nextRequest("NOTIFY", request.callId), 200);
    resubscribe(peer, request, ok, 3, 600);
    await peer.nextResponse(500, "SUBSCRIBE");
  });

  test("close() ends every subscription with terminated;reason=deactivated and refuses new ones (503)", async (t) => {
    const { peer, notifier } = await notifierAndPeer(t);
    const { notify } = await subscribe(peer);
    peer.respond(notify, 200);
    let closed = false;
    const closing = notifier.close().then(() => {
      closed = true;
    });
    await notifier.close();
    const final = await peer.nextRequest("NOTIFY", notify.callId);
    assert.equal(final.headers.get("subscription-state"), "terminated;reason=deactivated");
    assert.equal(closed, false, "close() waits for the final NOTIFY's answer");
    peer.respond(final, 200);
    await closing;
    peer.sendRequest("SUBSCRIBE", {
      callId: "late-1",
      from: `<${RESOURCE}>;tag=l1`,
      to: `<${RESOURCE}>`,
      cseq: 1,
      headers: [["Event", "message-summary"]],
    });
    await peer.nextResponse(503, "SUBSCRIBE");
    assert.ok(notifier.closed);
  });

  test("close() stops waiting for an unanswered final NOTIFY after a second, and nothing is sent after it", async (t) => {
    const { peer, clock, notifier, state } = await notifierAndPeer(t);
    const { notify } = await subscribe(peer);
    peer.respond(notify, 200);
    await peer.settle();
    const closing = notifier.close();
    const final = await peer.nextRequest("NOTIFY", notify.callId);
    assert.equal(final.headers.get("subscription-state"), "terminated;reason=deactivated");
    clock.advance(1000);
    await closing;
    state.body = "changed";
    assert.equal(notifier.notify(RESOURCE), 0);
  });

  test("no timer is left armed once every subscription has ended", async (t) => {
    const { peer, clock, notifier } = await notifierAndPeer(t);
    const idle = clock.pendingTimers; // the transport layer's own periodic timer
    const { request, ok, notify } = await subscribe(peer);
    peer.respond(notify, 200);
    resubscribe(peer, request, ok, 2, 0);
    await peer.nextResponse(200, "SUBSCRIBE");
    peer.respond(await peer.nextRequest("NOTIFY", request.callId), 200);
    await peer.settle();
    assert.equal(notifier.subscriptions().length, 0);
    // What remains is the transaction layer's (Timer J/K of the answered requests), never an expiry.
    clock.advance(64 * TIMERS.t1);
    assert.equal(clock.pendingTimers, idle);
  });
});
