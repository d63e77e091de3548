import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { digestCredentials } from "../../../../src/directory/index.ts";
import { DigestChallenger, DigestClient } from "../../../../src/sip/index.ts";
import { callPeer, nextEvent, recordEvents, sdp, stackAndPeer, TIMERS } from "../../../support/sip-peer.ts";

const { t1: T1 } = TIMERS;
const REALM = "trunk.example.net";

describe("OutgoingInvite (UAC, RFC 3261 §13.2)", () => {
  test("progress is reported for 180 and 183 (not 100); a failure ends in failed; Timer B ends it with 408", async (t) => {
    const { stack, clock, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer));
    const progress: number[] = [];
    invite.on("progress", (r) => progress.push(r.status));
    const failed = nextEvent(invite, "failed");
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    assert.equal(request.callId, invite.callId);
    assert.equal(request.from.tag, invite.localTag);
    assert.equal(request.to.tag, undefined);
    assert.equal(request.body.toString(), sdp("offer").data.toString());
    peer.respond(request, 100);
    peer.respond(request, 180, { toTag: "callee" });
    peer.respond(request, 183, { toTag: "callee", body: sdp("early") });
    peer.respond(request, 486, { toTag: "callee" });
    const [response] = await failed;
    assert.equal(response.status, 486);
    assert.deepEqual(progress, [180, 183]);
    assert.equal(invite.state, "Failed");
    // §17.1.1.3: the transaction ACKs the failure with the INVITE's branch.
    assert.equal((await peer.nextRequest("ACK")).topVia.branch, request.topVia.branch);

    // §17.1.1.2: nobody answers; Timer B (64·T1) gives a 408 (§8.1.3.1).
    const silent = stack.invite(callPeer(peer));
    const timedOut = nextEvent(silent, "failed");
    await silent.start();
    await peer.nextRequest("INVITE", silent.callId);
    clock.advance(64 * T1);
    assert.equal((await timedOut)[0].status, 408);
  });

  test("§9.1: cancel() before any provisional response sends no CANCEL until a 1xx arrives, then one with the INVITE's branch, Request-URI, From, To, Call-ID and CSeq number", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer));
    const failed = nextEvent(invite, "failed");
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    invite.cancel([["Reason", 'SIP;cause=487;text="ORIGINATOR_CANCEL"']]);
    assert.equal(invite.state, "Cancelling");
    // "If no provisional response has been received, the CANCEL request MUST NOT be sent".
    assert.deepEqual(await peer.settle(), [], "no CANCEL before a provisional response");

    peer.respond(request, 180, { toTag: "callee" });
    const cancel = await peer.nextRequest("CANCEL");
    // "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in the CANCEL
    // request MUST be identical to those in the request being cancelled, including tags. A CANCEL
    // constructed by a client MUST have only a single Via header field value matching the top Via".
    assert.equal(cancel.uriText, request.uriText);
    assert.equal(cancel.callId, request.callId);
    assert.equal(cancel.headers.get("to"), request.headers.get("to"));
    assert.equal(cancel.headers.get("from"), request.headers.get("from"));
    assert.equal(cancel.cseq.seq, request.cseq.seq);
    assert.equal(cancel.cseq.method, "CANCEL");
    assert.equal(cancel.vias.length, 1);
    assert.equal(cancel.topVia.branch, request.topVia.branch);
    assert.equal(cancel.headers.get("reason"), 'SIP;cause=487;text="ORIGINATOR_CANCEL"');

    peer.respond(cancel, 200, { toTag: "callee" });
    peer.respond(request, 487, { toTag: "callee" });
    const [response] = await failed;
    assert.equal(response.status, 487);
    assert.equal(invite.state, "Failed");
    assert.equal((await peer.nextRequest("ACK")).topVia.branch, request.topVia.branch);
    assert.deepEqual(await peer.settle(), [], "one CANCEL only");
  });

  test("§9.1: a 100 Trying is a provisional response too: a pending CANCEL goes out when it arrives", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer));
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    invite.cancel();
    assert.deepEqual(await peer.settle(), []);
    peer.respond(request, 100);
    const cancel = await peer.nextRequest("CANCEL");
    assert.equal(cancel.topVia.branch, request.topVia.branch);
    // A later 180 does not send a second CANCEL.
    peer.respond(request, 180, { toTag: "callee" });
    assert.deepEqual(await peer.settle(), []);
  });

  test("§9.1/§13.2.2.4: a 200 that crosses the CANCEL is ACKed, then ended with BYE, and failed is emitted (with a failure status)", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer));
    const seen = recordEvents(invite, ["answered"]);
    const failed = nextEvent(invite, "failed");
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    peer.respond(request, 180, { toTag: "callee" });
    await nextEvent(invite, "progress");
    invite.cancel();
    const cancel = await peer.nextRequest("CANCEL");
    peer.respond(cancel, 200, { toTag: "callee" });
    peer.respond(request, 200, { toTag: "callee", body: sdp("answer") });

    const [response] = await failed;
    assert.ok(response.status >= 300, `failed carries a final failure, not ${response.status}`);
    assert.equal(invite.state, "Failed");
    assert.deepEqual(seen, []);
    // The ACK first (§13.2.2.4: "MUST generate an ACK"), then the BYE that ends the dialog.
    const sent = await peer.settle();
    assert.deepEqual(
      sent.map((line) => line.split(" ")[0]),
      ["ACK", "BYE"],
    );
    const ack = await peer.nextRequest("ACK");
    const bye = await peer.nextRequest("BYE");
    assert.equal(ack.cseq.seq, request.cseq.seq);
    assert.notEqual(ack.topVia.branch, request.topVia.branch, "the ACK for a 2xx is a new transaction");
    assert.equal(ack.to.tag, "callee");
    assert.equal(ack.uriText, `sip:peer@127.0.0.1:${peer.port}`, "to the Contact of the 2xx");
    assert.equal(bye.to.tag, "callee");
    assert.equal(bye.from.tag, invite.localTag);
    assert.equal(bye.cseq.seq, request.cseq.seq + 1);
    peer.respond(bye, 200);
    await peer.settle();
    assert.equal(stack.core.dialogCount, 0);
  });

  test("§13.2.2.4 forking: the first 2xx becomes the session; a second fork's 2xx is ACKed and BYE'd with Reason SIP;cause=200; a retransmitted 2xx gets the same ACK, also after Timer M", async (t) => {
    const { stack, clock, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer));
    const answeredCount = recordEvents(invite, ["answered"]);
    const answered = nextEvent(invite, "answered");
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    const contactA = `<sip:a@127.0.0.1:${peer.port}>`;
    const contactB = `<sip:b@127.0.0.1:${peer.port}>`;
    peer.respond(request, 180, { toTag: "fork-a", contact: contactA });
    peer.respond(request, 180, { toTag: "fork-b", contact: contactB });
    const okA = peer.respond(request, 200, { toTag: "fork-a", contact: contactA, body: sdp("a") });

    const [session, response] = await answered;
    assert.equal(response.to.tag, "fork-a");
    assert.equal(session.dialog.id.remoteTag, "fork-a");
    assert.equal(invite.state, "Answered");
    const ackA = await peer.nextRequest("ACK");
    assert.equal(ackA.to.tag, "fork-a");
    assert.equal(ackA.uriText, `sip:a@127.0.0.1:${peer.port}`);
    assert.equal(ackA.cseq.seq, request.cseq.seq);

    // "the UAC core … MUST generate an ACK … and then a BYE" for any 2xx from another dialog.
    peer.respond(request, 200, { toTag: "fork-b", contact: contactB, body: sdp("b") });
    const ackB = await peer.nextRequest("ACK");
    const byeB = await peer.nextRequest("BYE");
    assert.equal(ackB.to.tag, "fork-b");
    assert.equal(ackB.uriText, `sip:b@127.0.0.1:${peer.port}`);
    assert.equal(byeB.to.tag, "fork-b");
    assert.equal(byeB.uriText, `sip:b@127.0.0.1:${peer.port}`);
    assert.match(byeB.headers.get("reason") ?? "", /^SIP;cause=200\b/);
    peer.respond(byeB, 200);
    assert.deepEqual(await peer.settle(), []);
    assert.equal(session.terminated, false);
    assert.deepEqual(answeredCount, ["answered"]);

    // §13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received from the
    // transaction layer" — the same ACK again, while the transaction is in Accepted …
    peer.send(okA);
    assert.equal((await peer.nextRequest("ACK")).toString(), ackA.toString());
    // … and after Timer M ended it (the response reaches the dialog as a stray 2xx).
    clock.advance(64 * T1);
    assert.equal(stack.transactions.clientTransactions, 0);
    peer.send(okA);
    assert.equal((await peer.nextRequest("ACK")).toString(), ackA.toString());
    assert.deepEqual(await peer.settle(), []);
    assert.deepEqual(answeredCount, ["answered"]);
  });

  for (const [status, challengeHeader, answerHeader] of [
    [401, "WWW-Authenticate", "authorization"],
    [407, "Proxy-Authenticate", "proxy-authorization"],
  ] as const) {
    test(`§22.2: a ${status} is answered once with credentials, CSeq + 1 and a new branch; a second challenge ends in failed`, async (t) => {
      const { stack, clock, peer, close } = await stackAndPeer();
      t.after(close);
      const challenger = new DigestChallenger({
        clock,
        credentials: {
          lookup: async (username, realm) =>
            username === "trunkuser" && realm === REALM
              ? digestCredentials("trunkuser", REALM, "s3cret")
              : undefined,
        },
      });
      const invite = stack.invite({
        ...callPeer(peer),
        credentials: new DigestClient({ username: "trunkuser", password: "s3cret" }),
      });
      const failed = nextEvent(invite, "failed");
      await invite.start();
      const first = await peer.nextRequest("INVITE");
      assert.equal(first.headers.has(answerHeader), false);
      peer.respond(first, status, {
        toTag: "proxy",
        headers: challenger.challenge(REALM).map((c): [string, string] => [challengeHeader, c]),
      });
      assert.equal((await peer.nextRequest("ACK")).topVia.branch, first.topVia.branch);

      const second = await peer.nextRequest("INVITE");
      assert.equal(second.cseq.seq, first.cseq.seq + 1);
      assert.notEqual(second.topVia.branch, first.topVia.branch);
      assert.equal(second.callId, first.callId);
      assert.equal(second.from.tag, first.from.tag);
      assert.equal(second.to.tag, undefined);
      assert.deepEqual(second.body, first.body);
      const verdict = await challenger.verify(second, REALM, answerHeader);
      assert.equal(verdict.kind, "authenticated");

      peer.respond(second, status, {
        toTag: "proxy",
        headers: challenger.challenge(REALM).map((c): [string, string] => [challengeHeader, c]),
      });
      const [response] = await failed;
      assert.equal(response.status, status);
      assert.equal(invite.state, "Failed");
      assert.equal((await peer.nextRequest("ACK")).topVia.branch, second.topVia.branch);
      assert.deepEqual(await peer.settle(), [], "no third INVITE");
    });
  }

  test("the 200 to the authenticated INVITE is ACKed with its CSeq (§13.2.2.4)", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite({
      ...callPeer(peer),
      credentials: new DigestClient({ username: "trunkuser", password: "s3cret" }),
    });
    const answered = nextEvent(invite, "answered");
    await invite.start();
    const first = await peer.nextRequest("INVITE");
    peer.respond(first, 407, { headers: [["Proxy-Authenticate", `Digest realm="${REALM}", nonce="n1"`]] });
    assert.equal((await peer.nextRequest("ACK")).topVia.branch, first.topVia.branch);
    const second = await peer.nextRequest("INVITE");
    assert.ok(second.headers.has("proxy-authorization"));
    peer.respond(second, 200, { toTag: "callee" });
    const [session] = await answered;
    const ack = await peer.nextRequest("ACK");
    assert.equal(ack.cseq.seq, second.cseq.seq);
    assert.equal(session.dialog.localSeq, second.cseq.seq);
  });
});
