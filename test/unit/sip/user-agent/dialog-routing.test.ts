import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SipRequest } from "../../../../src/sip/index.ts";
import { callPeer, inviteFromPeer, nextEvent, sdp, stackAndPeer, TIMERS } from "../../../support/sip-peer.ts";

const { t1: T1 } = TIMERS;

/** UserAgentCore's dialog routing and SipStack's onInvite / invite / request, over real UDP. */
describe("UserAgentCore dialog routing and SipStack", () => {
  test("§12.2.2: a request with a To tag for an unknown dialog gets 481 (INVITE, BYE, INFO, REFER, UPDATE, NOTIFY)", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    stack.onInvite(() => assert.fail("an in-dialog request is not a new INVITE"));
    for (const method of ["INVITE", "BYE", "INFO", "REFER", "UPDATE", "NOTIFY"]) {
      peer.sendRequest(method, {
        callId: `gone-${method}`,
        from: "<sip:peer@127.0.0.1>;tag=p1",
        to: `<${peer.stackUri}>;tag=long-gone`,
        cseq: 2,
      });
      const response = await peer.nextResponse(481, method);
      assert.equal(response.callId, `gone-${method}`);
    }
    assert.deepEqual(await peer.settle(), []);
  });

  test("§8.2.1: without an INVITE handler the stack does not support BYE: 405 with Allow", async (t) => {
    const { peer, close } = await stackAndPeer();
    t.after(close);
    peer.sendRequest("BYE", {
      callId: "no-calls-here",
      from: "<sip:peer@127.0.0.1>;tag=p1",
      to: `<${peer.stackUri}>;tag=x`,
      cseq: 2,
    });
    const response = await peer.nextResponse(405, "BYE");
    assert.doesNotMatch(response.headers.get("allow") ?? "", /\bBYE\b/);
  });

  test("§9.2: a CANCEL that matches no INVITE gets 481", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    stack.onInvite(() => {});
    peer.sendRequest("CANCEL", {
      callId: "no-such-invite",
      from: "<sip:peer@127.0.0.1>;tag=p1",
      to: `<${peer.stackUri}>`,
      cseq: 1,
    });
    await peer.nextResponse(481, "CANCEL");
  });

  test("§17.2.3: an ACK and a 2xx that match no dialog are dropped without an answer", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    stack.onInvite(() => {});
    const dialog = {
      callId: "no-dialog",
      from: "<sip:peer@127.0.0.1>;tag=p1",
      to: `<${peer.stackUri}>;tag=x`,
      cseq: 1,
    };
    peer.sendRequest("ACK", dialog);
    // A 2xx to an INVITE the stack never sent (no transaction, no dialog).
    peer.respond(peer.request("INVITE", { ...dialog, to: `<${peer.stackUri}>` }), 200, { toTag: "x" });
    assert.deepEqual(await peer.settle(), []);
  });

  test("RFC 6026 §7.1: an ACK that reuses the INVITE's branch matches the Accepted transaction and still reaches the session", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const { incoming, invite } = await inviteFromPeer(stack, peer);
    const session = incoming.accept({ body: sdp("answer") });
    const ok = await peer.nextResponse(200, "INVITE");
    const acked = nextEvent(session, "acked");
    peer.sendRequest("ACK", {
      callId: invite.callId,
      from: invite.headers.get("from") ?? "",
      to: ok.headers.get("to") ?? "",
      cseq: invite.cseq.seq,
      branch: invite.topVia.branch,
    });
    await acked;
  });

  test("onInvite: a new INVITE reaches the handler; a handler that throws gets the INVITE a 500", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    stack.onInvite(() => {
      throw new Error("handler bug");
    });
    peer.sendRequest("INVITE", {
      callId: "throws",
      from: "<sip:peer@127.0.0.1>;tag=p1",
      to: `<${peer.stackUri}>`,
      cseq: 1,
      body: sdp("offer"),
    });
    await peer.nextResponse(500, "INVITE");
  });

  test("invite(options, callId) uses the given Call-ID, our Contact and a Via with rport towards the target", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const invite = stack.invite(callPeer(peer), "chosen-call-id@test");
    await invite.start();
    const request = await peer.nextRequest("INVITE");
    assert.equal(request.callId, "chosen-call-id@test");
    assert.equal(request.headers.get("contact"), `<sip:127.0.0.1:${peer.stackPort}>`);
    assert.equal(request.topVia.port, peer.stackPort);
    assert.equal(request.topVia.rport, null);
    assert.equal(request.headers.get("user-agent"), "Parley/test");
  });

  test("request(): a non-INVITE outside a dialog gets a Via and User-Agent and resolves with the final response", async (t) => {
    const { stack, peer, close } = await stackAndPeer();
    t.after(close);
    const message = new SipRequest({ method: "MESSAGE", uri: `sip:peer@127.0.0.1:${peer.port}` });
    message.headers.append("Max-Forwards", "70");
    message.headers.append("From", "<sip:parley@127.0.0.1>;tag=m1");
    message.headers.append("To", "<sip:peer@127.0.0.1>");
    message.headers.append("Call-ID", "message-1");
    message.headers.append("CSeq", "1 MESSAGE");
    const answer = stack.request(message, { protocol: "udp", address: "127.0.0.1", port: peer.port });
    const received = await peer.nextRequest("MESSAGE");
    assert.equal(received.vias.length, 1);
    assert.match(received.topVia.branch ?? "", /^z9hG4bK/);
    assert.equal(received.topVia.port, peer.stackPort);
    assert.equal(received.headers.get("user-agent"), "Parley/test");
    peer.respond(received, 202, { toTag: "peer" });
    assert.equal((await answer).status, 202);
  });

  test("request(): with no answer it is re-sent (Timer E) and resolves with 408 after 64·T1 (§8.1.3.1)", async (t) => {
    const { stack, clock, peer, close } = await stackAndPeer();
    t.after(close);
    const message = new SipRequest({ method: "OPTIONS", uri: `sip:peer@127.0.0.1:${peer.port}` });
    message.headers.append("Via", `SIP/2.0/UDP 127.0.0.1:${peer.stackPort};branch=z9hG4bKgiven`);
    message.headers.append("Max-Forwards", "70");
    message.headers.append("From", "<sip:parley@127.0.0.1>;tag=o1");
    message.headers.append("To", "<sip:peer@127.0.0.1>");
    message.headers.append("Call-ID", "options-1");
    message.headers.append("CSeq", "1 OPTIONS");
    const answer = stack.request(message, { protocol: "udp", address: "127.0.0.1", port: peer.port });
    const first = await peer.nextRequest("OPTIONS");
    assert.equal(first.topVia.branch, "z9hG4bKgiven", "a Via the caller wrote is kept");
    clock.advance(T1);
    await peer.nextRequest("OPTIONS");
    clock.advance(64 * T1);
    assert.equal((await answer).status, 408);
  });
});
