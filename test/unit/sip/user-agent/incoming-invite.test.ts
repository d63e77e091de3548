import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  inviteFromPeer,
  nextEvent,
  recordEvents,
  SipPeer,
  sdp,
  stackAndPeer,
  startStack,
  TIMERS,
} from "../../../support/sip-peer.ts";

const { t1: T1, t2: T2 } = TIMERS;

describe("IncomingInvite (UAS until the final response, RFC 3261 §13.3)", () => {
  test("§13.3.1.4: accept() sends 200 with Contact and the To tag of the 1xx; over UDP it is re-sent at T1, 2T1, 4T1 … capped at T2 until the ACK with the INVITE's CSeq, which emits acked", async (t) => {
    const { stack, clock, peer, close } = await stackAndPeer();
    t.after(close);
    const { incoming, invite } = await inviteFromPeer(stack, peer);
    assert.equal(incoming.callId, invite.callId);
    assert.equal(incoming.offer?.contentType, "application/sdp");
    assert.deepEqual(incoming.offer?.data, invite.body);
    assert.deepEqual(incoming.source, { protocol: "udp", address: "127.0.0.1", port: peer.port });

    incoming.progress(180);
    const ringing = await peer.nextResponse(180, "INVITE");
    incoming.progress(183, { body: sdp("early") });
    const early = await peer.nextResponse(183, "INVITE");
    const session = incoming.accept({ body: sdp("answer") });
    const ok = await peer.nextResponse(200, "INVITE");

    // §12.1.1: one To tag for the whole early dialog and the 2xx that confirms it.
    assert.ok(incoming.localTag);
    for (const response of [ringing, early, ok]) assert.equal(response.to.tag, incoming.localTag);
    // §13.3.1.4 / §12.1.1: the 2xx "MUST contain a Contact header field" (our address).
    const contacts = ok.contacts;
    assert.notEqual(contacts, "*");
    assert.equal(
      String((contacts as Exclude<typeof contacts, "*">)[0]?.uri),
      `sip:127.0.0.1:${peer.stackPort}`,
    );
    assert.equal(ok.contentType, "application/sdp");
    assert.equal(ok.body.toString(), sdp("answer").data.toString());
    assert.equal(incoming.state, "Accepted");
    assert.equal(session.dialog.id.localTag, incoming.localTag);

    // "an interval that starts at T1 seconds and doubles for each retransmission until it reaches T2".
    let now = 0;
    for (const at of [T1, 3 * T1, 7 * T1, 7 * T1 + T2, 7 * T1 + 2 * T2, 7 * T1 + 3 * T2]) {
      clock.advance(at - 1 - now);
      assert.deepEqual(await peer.settle(), [], `no retransmission before ${at} ms`);
      clock.advance(1);
      now = at;
      const again = await peer.nextResponse(200, "INVITE");
      assert.equal(again.to.tag, incoming.localTag, `the 200 re-sent at ${at} ms is the same answer`);
      assert.deepEqual(again.body, ok.body);
    }

    // An ACK whose CSeq is not the INVITE's does not acknowledge this 2xx.
    const acked = recordEvents(session, ["acked"]);
    peer.ackFor(invite, ok, invite.cseq.seq + 7);
    assert.deepEqual(await peer.settle(), []);
    assert.deepEqual(acked, []);
    clock.advance(T2);
    await peer.nextResponse(200, "INVITE");

    // The real ACK stops the retransmissions and is reported.
    const ackEvent = nextEvent(session, "acked");
    const ack = peer.ackFor(invite, ok);
    const [received] = await ackEvent;
    assert.equal(received.cseq.seq, ack.cseq.seq);
    clock.advance(20 * T2);
    assert.deepEqual(await peer.settle(), [], "no 200 after the ACK");
    assert.equal(session.terminated, false);
  });

  test("§13.3.1.4: without an ACK the 2xx is re-sent for 64·T1, then the session sends BYE and ends by failure", async (t) => {
    const { stack, clock, peer, close } = await stackAndPeer();
    t.after(close);
    const { incoming, fromTag } = await inviteFromPeer(stack, peer);
    const session = incoming.accept({ body: sdp("answer") });
    await peer.nextResponse(200, "INVITE");
    const terminated = nextEvent(session, "terminated");
    const ended = recordEvents(session, ["terminated"]);
    assert.equal(stack.core.dialogCount, 1);

    clock.advance(64 * T1);
    const sent = await peer.settle();
    // T1, 3T1, 7T1, then every T2 while under 64·T1: 500, 1500, 3500, 7500 … 31500.
    assert.deepEqual(sent, Array(10).fill("SIP/2.0 200 OK"), "ten retransmissions in 64·T1, no BYE yet");
    assert.deepEqual(ended, []);
    peer.drain(() => true);

    // "If the server retransmits the 2xx response for 64*T1 seconds without receiving an ACK, the
    // dialog is confirmed, but the session SHOULD be terminated. This is accomplished with a BYE".
    clock.advance(T2);
    const bye = await peer.nextRequest("BYE");
    assert.equal(bye.callId, incoming.callId);
    assert.equal(bye.from.tag, incoming.localTag);
    assert.equal(bye.to.tag, fromTag);
    assert.equal(
      bye.uriText,
      `sip:peer@127.0.0.1:${peer.port}`,
      "to the remote target (the INVITE's Contact)",
    );
    const [end] = await terminated;
    assert.equal(end.by, "failure");
    assert.equal(session.terminated, true);
    assert.equal(stack.core.dialogCount, 0);
    peer.respond(bye, 200);
    await peer.settle(); // the stack has taken the 200 before the clock moves on
    clock.advance(10 * T2);
    assert.deepEqual(await peer.settle(), [], "no 200 and no BYE after the session ended");
  });

  test("§13.3.1.4 over TCP: the 2xx is sent once (the transport is reliable); without an ACK the session sends BYE at 64·T1 on the same connection", async (t) => {
    const { stack, clock, port } = await startStack();
    const peer = await SipPeer.connect(port);
    t.after(async () => {
      await peer.close();
      await stack.stop();
    });
    const { incoming, fromTag } = await inviteFromPeer(stack, peer);
    assert.equal(incoming.source.protocol, "tcp");
    const session = incoming.accept({ body: sdp("answer") });
    const ok = await peer.nextResponse(200, "INVITE");
    assert.match(ok.headers.get("contact") ?? "", /;transport=tcp>/);
    const ended = recordEvents(session, ["terminated"]);
    clock.advance(64 * T1 - 1);
    assert.deepEqual(await peer.settle(), [], "no retransmission over TCP");
    assert.deepEqual(ended, []);
    const terminated = nextEvent(session, "terminated");
    clock.advance(1);
    const bye = await peer.nextRequest("BYE");
    assert.equal(bye.to.tag, fromTag);
    assert.equal(bye.topVia.transport, "TCP");
    assert.equal((await terminated)[0].by, "failure");
    peer.respond(bye, 200);
    assert.deepEqual(await peer.settle(), []);
  });

  for (const ringFirst of [true, false]) {
    test(`§9.2: a CANCEL while Proceeding (${ringFirst ? "after a 180" : "before any 1xx"}) gets 200 with the To tag of the 487; the INVITE gets 487 and cancelled is emitted`, async (t) => {
      const { stack, peer, close } = await stackAndPeer();
      t.after(close);
      const { incoming, invite } = await inviteFromPeer(stack, peer);
      const cancelled = nextEvent(incoming, "cancelled");
      if (ringFirst) {
        incoming.progress(180);
        assert.equal((await peer.nextResponse(180, "INVITE")).to.tag, incoming.localTag);
      }
      const cancel = peer.cancelFor(invite);
      const cancelOk = await peer.nextResponse(200, "CANCEL");
      const requestTerminated = await peer.nextResponse(487, "INVITE");
      // "the To tag of the response to the CANCEL and the To tag in the response to the original
      // request SHOULD be the same".
      assert.equal(cancelOk.to.tag, incoming.localTag);
      assert.equal(requestTerminated.to.tag, incoming.localTag);
      const [received] = await cancelled;
      assert.equal(received.callId, cancel.callId);
      assert.equal(incoming.state, "Cancelled");

      // The INVITE is finished: nothing more is sent for it.
      incoming.progress(180);
      incoming.reject(486);
      assert.throws(() => incoming.accept(), /Cancelled/);
      peer.sendRequest("ACK", {
        callId: invite.callId,
        from: invite.headers.get("from") ?? "",
        to: requestTerminated.headers.get("to") ?? "",
        cseq: invite.cseq.seq,
        branch: invite.topVia.branch,
        uri: invite.uriText,
      });
      assert.deepEqual(await peer.settle(), []);
      assert.equal(stack.core.dialogCount, 0);
    });
  }

  test("§9.2: a CANCEL after accept() gets 200 (same To tag) and changes nothing: no 487, no cancelled, the 2xx still awaits its ACK", async (t) => {
    const { stack, clock, peer, close } = await stackAndPeer();
    t.after(close);
    const { incoming, invite } = await inviteFromPeer(stack, peer);
    const seen = recordEvents(incoming, ["cancelled"]);
    const session = incoming.accept({ body: sdp("answer") });
    const ok = await peer.nextResponse(200, "INVITE");
    peer.cancelFor(invite);
    const cancelOk = await peer.nextResponse(200, "CANCEL");
    assert.equal(cancelOk.to.tag, ok.to.tag);
    assert.deepEqual(await peer.settle(), [], "no 487");
    assert.deepEqual(seen, []);
    assert.equal(incoming.state, "Accepted");
    assert.equal(session.terminated, false);
    clock.advance(T1);
    await peer.nextResponse(200, "INVITE");
    const acked = nextEvent(session, "acked");
    peer.ackFor(invite, ok);
    await acked;
  });

  test("reject() sends the failure with the To tag and extra headers; the INVITE is then finished", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const { incoming, invite } = await inviteFromPeer(stack, peer);
    assert.throws(() => incoming.progress(200), /not a provisional status/);
    assert.throws(() => incoming.reject(200), /needs a failure status/);
    incoming.reject(486, { headers: [["Reason", "Q.850;cause=17"]] });
    const busy = await peer.nextResponse(486, "INVITE");
    assert.equal(busy.to.tag, incoming.localTag);
    assert.equal(busy.headers.get("reason"), "Q.850;cause=17");
    assert.equal(incoming.state, "Rejected");
    incoming.reject(480);
    incoming.progress(180);
    assert.throws(() => incoming.accept(), /Rejected/);
    // A CANCEL now only gets its 200 (§9.2: the INVITE already has its final response).
    peer.cancelFor(invite);
    assert.equal((await peer.nextResponse(200, "CANCEL")).to.tag, incoming.localTag);
    assert.deepEqual(await peer.settle(), []);
  });
});
