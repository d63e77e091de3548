import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SessionReply, SipBody, SipRequest } from "../../../../src/sip/index.ts";
import {
  callPeer,
  inviteFromPeer,
  nextEvent,
  recordEvents,
  sdp,
  stackAndPeer,
  TIMERS,
} from "../../../support/sip-peer.ts";

const { t1: T1, t2: T2 } = TIMERS;

/**
 * A confirmed session with the stack as UAS: the peer's INVITE (CSeq 1) answered 200 and ACKed.
 * `fromPeer` sends a request inside the dialog with the next CSeq (or the one given).
 */
async function confirmedCall() {
  const env = await stackAndPeer();
  const { stack, peer } = env;
  const { incoming, invite, fromTag } = await inviteFromPeer(stack, peer);
  const session = incoming.accept({ body: sdp("answer") });
  const ok = await peer.nextResponse(200, "INVITE");
  const acked = nextEvent(session, "acked");
  peer.ackFor(invite, ok);
  await acked;
  let cseq = invite.cseq.seq;
  const fromPeer = (
    method: string,
    options: { cseq?: number; body?: SipBody; headers?: Array<[string, string]> } = {},
  ): SipRequest => {
    cseq = options.cseq ?? cseq + 1;
    return peer.sendRequest(method, {
      callId: invite.callId,
      from: invite.headers.get("from") ?? "",
      to: ok.headers.get("to") ?? "",
      cseq,
      uri: `sip:127.0.0.1:${peer.stackPort}`,
      ...(options.body ? { body: options.body } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
  };
  return { ...env, session, invite, ok, fromTag, fromPeer };
}

/** A promise with its resolve function, for delegates answering later. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("InviteSession (RFC 3261 §12–§15)", () => {
  test("§15.1.2: a BYE from the peer gets 200 and ends the session (terminated by remote); the dialog is then unknown (481, §12.2.2)", async (t) => {
    const { stack, peer, session, close, fromPeer } = await confirmedCall();
    t.after(close);
    assert.equal(stack.core.dialogCount, 1);
    const terminated = nextEvent(session, "terminated");
    const bye = fromPeer("BYE", { headers: [["Reason", "Q.850;cause=16"]] });
    const ok = await peer.nextResponse(200, "BYE");
    assert.equal(ok.to.tag, session.dialog.id.localTag);
    const [end] = await terminated;
    assert.equal(end.by, "remote");
    assert.equal(end.request?.headers.get("reason"), "Q.850;cause=16");
    assert.equal(end.request?.cseq.seq, bye.cseq.seq);
    assert.equal(session.terminated, true);
    assert.equal(session.dialog.state, "Terminated");
    assert.equal(stack.core.dialogCount, 0);
    fromPeer("INFO");
    await peer.nextResponse(481, "INFO");
    fromPeer("BYE");
    await peer.nextResponse(481, "BYE");
  });

  test("§12.2.2: a request with a lower CSeq than the last one gets 500 (a late BYE does not end the session)", async (t) => {
    const { peer, session, close, fromPeer } = await confirmedCall();
    t.after(close);
    const ended = recordEvents(session, ["terminated"]);
    fromPeer("OPTIONS", { cseq: 10 });
    await peer.nextResponse(200, "OPTIONS");
    fromPeer("BYE", { cseq: 9 });
    await peer.nextResponse(500, "BYE");
    assert.deepEqual(ended, []);
    assert.equal(session.terminated, false);
    fromPeer("BYE", { cseq: 11 });
    await peer.nextResponse(200, "BYE");
    assert.deepEqual(ended, ["terminated"]);
  });

  test("without a delegate: INFO gets 415 (with Accept), REFER 603, a re-INVITE 488; an unknown method 405 with Allow; NOTIFY and OPTIONS 200", async (t) => {
    const { peer, session, close, fromPeer } = await confirmedCall();
    t.after(close);
    fromPeer("INFO", { body: { contentType: "application/dtmf-relay", data: Buffer.from("Signal=5\r\n") } });
    const info = await peer.nextResponse(415, "INFO");
    assert.equal(info.headers.get("accept"), "application/dtmf-relay");
    fromPeer("REFER", { headers: [["Refer-To", "<sip:1003@127.0.0.1>"]] });
    await peer.nextResponse(603, "REFER");
    fromPeer("INVITE", { body: sdp("reoffer") });
    await peer.nextResponse(488, "INVITE");
    fromPeer("MESSAGE");
    const message = await peer.nextResponse(405, "MESSAGE");
    assert.match(message.headers.get("allow") ?? "", /\bBYE\b/);
    fromPeer("NOTIFY");
    await peer.nextResponse(200, "NOTIFY");
    fromPeer("OPTIONS");
    await peer.nextResponse(200, "OPTIONS");
    assert.equal(session.terminated, false);
  });

  test("with a delegate, INFO and REFER get the delegate's answers", async (t) => {
    const { peer, session, close, fromPeer } = await confirmedCall();
    t.after(close);
    const asked: string[] = [];
    session.delegate = {
      onInfo: (request) => {
        asked.push(`INFO ${request.body.toString().trim()}`);
        return { status: 200 };
      },
      onRefer: (request) => {
        asked.push(`REFER ${request.headers.get("refer-to")}`);
        return { status: 202, headers: [["Require", "norefersub"]] };
      },
    };
    fromPeer("INFO", { body: { contentType: "application/dtmf-relay", data: Buffer.from("Signal=5\r\n") } });
    await peer.nextResponse(200, "INFO");
    fromPeer("REFER", { headers: [["Refer-To", "<sip:1003@127.0.0.1>"]] });
    const accepted = await peer.nextResponse(202, "REFER");
    assert.equal(accepted.headers.get("require"), "norefersub");
    assert.deepEqual(asked, ["INFO Signal=5", "REFER <sip:1003@127.0.0.1>"]);
  });

  test("§13.3.1.4 for a re-INVITE: the delegate's 2xx (with Contact) is re-sent until the ACK with the re-INVITE's CSeq", async (t) => {
    const { clock, peer, session, close, fromPeer } = await confirmedCall();
    t.after(close);
    const offers: string[] = [];
    session.delegate = {
      onReoffer: (request) => {
        offers.push(request.body.toString());
        return { status: 200, body: sdp("answer-2") };
      },
    };
    const reinvite = fromPeer("INVITE", { body: sdp("hold") });
    const ok = await peer.nextResponse(200, "INVITE");
    assert.deepEqual(offers, [sdp("hold").data.toString()]);
    assert.equal(ok.cseq.seq, reinvite.cseq.seq);
    assert.equal(ok.body.toString(), sdp("answer-2").data.toString());
    assert.ok(ok.headers.has("contact"), "a 2xx to a target refresh carries Contact");
    clock.advance(T1);
    await peer.nextResponse(200, "INVITE");
    // The ACK of the first INVITE (CSeq 1) again does not acknowledge this 2xx.
    peer.ackFor(reinvite, ok, 1);
    await peer.settle();
    clock.advance(2 * T1);
    await peer.nextResponse(200, "INVITE");
    const acked = nextEvent(session, "acked");
    peer.ackFor(reinvite, ok);
    assert.equal((await acked)[0].cseq.seq, reinvite.cseq.seq);
    clock.advance(10 * T2);
    assert.deepEqual(await peer.settle(), []);
  });

  test("§14.2: a re-INVITE while our own re-INVITE is pending gets 491; ours is then answered and ACKed with its CSeq", async (t) => {
    const { peer, session, close, fromPeer, fromTag } = await confirmedCall();
    t.after(close);
    const ended = recordEvents(session, ["terminated"]);
    let delegateAsked = false;
    session.delegate = {
      onReoffer: () => {
        delegateAsked = true;
        return { status: 200, body: sdp("x") };
      },
    };
    const ours = session.reinvite(sdp("hold"));
    const sent = await peer.nextRequest("INVITE");
    assert.equal(sent.to.tag, fromTag);
    assert.equal(sent.from.tag, session.dialog.id.localTag);
    assert.equal(sent.body.toString(), sdp("hold").data.toString());
    await assert.rejects(session.reinvite(sdp("again")), /already in progress/);

    // "A UAS that receives an INVITE on a dialog while an INVITE it had sent on that dialog is in
    // progress MUST return a 491 (Request Pending) response to the received INVITE."
    fromPeer("INVITE", { body: sdp("theirs") });
    await peer.nextResponse(491, "INVITE");
    assert.equal(delegateAsked, false);

    peer.respond(sent, 200, { body: sdp("held") });
    const response = await ours;
    assert.equal(response.status, 200);
    const ack = await peer.nextRequest("ACK");
    assert.equal(ack.cseq.seq, sent.cseq.seq);
    assert.notEqual(ack.topVia.branch, sent.topVia.branch);
    assert.deepEqual(ended, []);

    // With ours done, the peer's next re-INVITE goes to the delegate.
    fromPeer("INVITE", { body: sdp("theirs") });
    await peer.nextResponse(200, "INVITE");
    assert.equal(delegateAsked, true);
  });

  test("§13.2.2.4: a retransmitted 2xx to our re-INVITE gets the same ACK again", async (t) => {
    const { clock, peer, session, close } = await confirmedCall();
    t.after(close);
    const ours = session.reinvite(sdp("hold"));
    const sent = await peer.nextRequest("INVITE");
    const ok = peer.respond(sent, 200, { body: sdp("held") });
    await ours;
    const ack = await peer.nextRequest("ACK");
    // The peer's 2xx retransmission (its ACK was lost) while the client transaction is in Accepted …
    peer.send(ok);
    assert.equal((await peer.nextRequest("ACK")).toString(), ack.toString());
    // … and after Timer M.
    clock.advance(64 * T1);
    peer.send(ok);
    assert.equal((await peer.nextRequest("ACK")).toString(), ack.toString());
  });

  test("§14.2: a re-INVITE before the ACK of the previous 2xx gets 500 with Retry-After", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const { incoming, invite } = await inviteFromPeer(stack, peer);
    const session = incoming.accept({ body: sdp("answer") });
    session.delegate = { onReoffer: () => ({ status: 200, body: sdp("answer-2") }) };
    const ok = await peer.nextResponse(200, "INVITE");
    const inDialog = (cseq: number) =>
      peer.sendRequest("INVITE", {
        callId: invite.callId,
        from: invite.headers.get("from") ?? "",
        to: ok.headers.get("to") ?? "",
        cseq,
        body: sdp("reoffer"),
      });
    inDialog(2);
    const refused = await peer.nextResponse(500, "INVITE");
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 0 && retryAfter <= 10, `Retry-After between 0 and 10, not ${retryAfter}`);
    const acked = nextEvent(session, "acked");
    peer.ackFor(invite, ok);
    await acked;
    inDialog(3);
    await peer.nextResponse(200, "INVITE");
  });

  test("§14.2: a second re-INVITE before the first is answered gets 500 with Retry-After", async (t) => {
    const { peer, session, close, fromPeer } = await confirmedCall();
    t.after(close);
    const answer = deferred<SessionReply>();
    let asked = 0;
    session.delegate = {
      onReoffer: () => {
        asked += 1;
        return answer.promise;
      },
    };
    const first = fromPeer("INVITE", { body: sdp("one") });
    await peer.settle();
    assert.equal(asked, 1);
    // "A UAS that receives a second INVITE before it sends the final response to a first INVITE
    // with a lower CSeq sequence number on the same dialog MUST return a 500 … and MUST include a
    // Retry-After header field".
    fromPeer("INVITE", { body: sdp("two") });
    const refused = await peer.nextResponse(500, "INVITE");
    assert.ok(refused.headers.has("retry-after"));
    assert.equal(asked, 1);
    answer.resolve({ status: 200, body: sdp("answer-1") });
    const ok = await peer.nextResponse(200, "INVITE");
    assert.equal(ok.cseq.seq, first.cseq.seq);
  });

  test("RFC 3515 §2.4.4: notifyReferProgress sends NOTIFY with Event: refer, Subscription-State and a message/sipfrag body", async (t) => {
    const { peer, session, close, fromTag } = await confirmedCall();
    t.after(close);
    const progress = session.notifyReferProgress(180, "Ringing", false);
    const notify = await peer.nextRequest("NOTIFY");
    assert.equal(notify.uriText, `sip:peer@127.0.0.1:${peer.port}`, "to the remote target");
    assert.equal(notify.to.tag, fromTag);
    assert.equal(notify.from.tag, session.dialog.id.localTag);
    assert.equal(notify.headers.get("event"), "refer");
    assert.equal(notify.headers.get("subscription-state"), "active;expires=60");
    assert.equal(notify.contentType, "message/sipfrag;version=2.0");
    assert.equal(notify.body.toString(), "SIP/2.0 180 Ringing\r\n");
    peer.respond(notify, 200);
    assert.equal((await progress).status, 200);

    const final = session.notifyReferProgress(200, "OK", true);
    const last = await peer.nextRequest("NOTIFY");
    assert.equal(last.cseq.seq, notify.cseq.seq + 1, "§12.2.1.1: CSeq goes up by one");
    assert.match(last.headers.get("subscription-state") ?? "", /^terminated;reason=/);
    assert.equal(last.body.toString(), "SIP/2.0 200 OK\r\n");
    peer.respond(last, 481);
    assert.equal((await final).status, 481);
  });

  test("§15.1.1: bye() sends BYE in the dialog, ends the session (by local) at once and resolves on the answer", async (t) => {
    const { stack, peer, session, close, fromTag } = await confirmedCall();
    t.after(close);
    const terminated = nextEvent(session, "terminated");
    let resolved = false;
    const done = session.bye([["Reason", "Q.850;cause=16"]]).then(() => {
      resolved = true;
    });
    assert.equal(session.terminated, true);
    assert.equal((await terminated)[0].by, "local");
    assert.equal(stack.core.dialogCount, 0);
    const bye = await peer.nextRequest("BYE");
    assert.equal(bye.to.tag, fromTag);
    assert.equal(bye.headers.get("reason"), "Q.850;cause=16");
    await peer.settle();
    assert.equal(resolved, false, "not before the 200");
    peer.respond(bye, 200);
    await done;
    await session.bye();
    assert.deepEqual(await peer.settle(), [], "a second bye() sends nothing");
  });

  test("a UAC session gets the peer's in-dialog requests (dialog key Call-ID, our From tag, their To tag)", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer));
    const answered = nextEvent(invite, "answered");
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    const ok = peer.respond(request, 200, { toTag: "callee", body: sdp("answer") });
    const [session] = await answered;
    await peer.nextRequest("ACK");
    const terminated = nextEvent(session, "terminated");
    peer.sendRequest("BYE", {
      callId: request.callId,
      from: ok.headers.get("to") ?? "",
      to: request.headers.get("from") ?? "",
      cseq: 1,
    });
    await peer.nextResponse(200, "BYE");
    assert.equal((await terminated)[0].by, "remote");
    assert.equal(stack.core.dialogCount, 0);
  });
});
