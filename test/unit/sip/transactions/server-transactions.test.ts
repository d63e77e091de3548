import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createResponse,
  ServerInviteTransaction,
  ServerNonInviteTransaction,
  type SipRequest,
} from "../../../../src/sip/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import { makeRequest, RecordingTransport, transactionOptions } from "../../../support/sip-fixtures.ts";

function serverInvite(reliable = false) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock, reliable);
  const events: string[] = [];
  const invite = makeRequest("INVITE");
  const tx = new ServerInviteTransaction(
    "k",
    invite,
    {
      receiveAcceptedAck: () => events.push("ack"),
      ackTimedOut: () => events.push("ack-timeout"),
      serverTransportFailed: () => events.push("transport-failed"),
    },
    transactionOptions(clock, transport),
  );
  tx.start();
  const ack = () => makeRequest("ACK", { branch: invite.topVia.branch, callId: invite.callId, toTag: "t" });
  return { clock, transport, events, invite, tx, ack };
}

function serverNonInvite(reliable = false) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock, reliable);
  const request = makeRequest("OPTIONS");
  const tx = new ServerNonInviteTransaction("k", request, {}, transactionOptions(clock, transport));
  tx.start();
  return { clock, transport, request, tx };
}

describe("ServerInviteTransaction (RFC 3261 §17.2.1, RFC 6026)", () => {
  test("answers 100 Trying at once and resends the latest provisional response on INVITE retransmission", () => {
    const { transport, invite, tx } = serverInvite();
    assert.deepEqual(transport.times("SIP/2.0 100"), [0]);
    tx.receiveRequest(invite);
    assert.equal(transport.times("SIP/2.0 100").length, 2);
    tx.respond(createResponse(invite, 180, { toTag: "t" }));
    tx.receiveRequest(invite);
    assert.equal(transport.times("SIP/2.0 180").length, 2);
    assert.equal(tx.state, "Proceeding");
  });

  test("over UDP a non-2xx final is retransmitted by Timer G (T1 doubling, capped at T2) until Timer H gives up", () => {
    const { clock, transport, events, invite, tx } = serverInvite();
    tx.respond(createResponse(invite, 486, { toTag: "t" }));
    assert.equal(tx.state, "Completed");
    assert.deepEqual(tx.armedTimers, ["G", "H"]);
    clock.advance(31_999);
    assert.deepEqual(
      transport.times("SIP/2.0 486"),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    clock.advance(1);
    assert.equal(tx.state, "Terminated");
    assert.deepEqual(events, ["ack-timeout"]);
    assert.equal(clock.pendingTimers, 0);
  });

  test("an ACK in Completed stops retransmission, Confirmed absorbs further ACKs, Timer I (T4) ends it", () => {
    const { clock, transport, events, invite, tx, ack } = serverInvite();
    tx.respond(createResponse(invite, 404, { toTag: "t" }));
    clock.advance(700);
    tx.receiveRequest(ack());
    assert.equal(tx.state, "Confirmed");
    assert.deepEqual(tx.armedTimers, ["I"]);
    tx.receiveRequest(ack());
    tx.receiveRequest(invite);
    clock.advance(4_999);
    assert.equal(transport.times("SIP/2.0 404").length, 2, "sent, once by G, and never after the ACK");
    assert.equal(tx.state, "Confirmed");
    clock.advance(1);
    assert.equal(tx.state, "Terminated");
    assert.deepEqual(events, []);
  });

  test("a 2xx moves to Accepted: INVITE retransmissions are absorbed, ACKs go to the TU, Timer L ends it", () => {
    const { clock, transport, events, invite, tx, ack } = serverInvite();
    tx.respond(createResponse(invite, 200, { toTag: "t" }));
    assert.equal(tx.state, "Accepted");
    tx.receiveRequest(invite);
    assert.equal(
      transport.times("SIP/2.0 200").length,
      1,
      "the UAS core, not the transaction, retransmits 2xx",
    );
    tx.respond(createResponse(invite, 200, { toTag: "t" }));
    assert.equal(transport.times("SIP/2.0 200").length, 2);
    tx.receiveRequest(ack());
    assert.deepEqual(events, ["ack"]);
    clock.advance(32_000);
    assert.equal(tx.state, "Terminated");
  });

  test("over a reliable transport: no Timer G, Timer H still runs, and Timer I is zero", () => {
    const { clock, transport, invite, tx, ack } = serverInvite(true);
    tx.respond(createResponse(invite, 486, { toTag: "t" }));
    assert.deepEqual(tx.armedTimers, ["H"]);
    clock.advance(10_000);
    assert.equal(transport.times("SIP/2.0 486").length, 1);
    tx.receiveRequest(ack());
    assert.equal(tx.state, "Terminated");
    assert.equal(clock.pendingTimers, 0);
  });

  test("a response in a state that takes none is a bug and throws", () => {
    const { invite, tx } = serverInvite();
    tx.respond(createResponse(invite, 486, { toTag: "t" }));
    assert.throws(() => tx.respond(createResponse(invite, 200, { toTag: "t" })), /response 200 in Completed/);
  });
});

describe("ServerNonInviteTransaction (RFC 3261 §17.2.2)", () => {
  test("discards retransmissions in Trying, resends the last response in Proceeding and Completed", () => {
    const { transport, request, tx } = serverNonInvite();
    tx.receiveRequest(request);
    assert.equal(transport.sent.length, 0, "Trying discards retransmissions");
    tx.respond(createResponse(request, 100));
    tx.receiveRequest(request);
    assert.equal(transport.times("SIP/2.0 100").length, 2);
    tx.respond(createResponse(request, 200, { toTag: "t" }));
    tx.receiveRequest(request);
    assert.equal(transport.times("SIP/2.0 200").length, 2);
    assert.equal(tx.state, "Completed");
  });

  test("Timer J keeps it 64*T1 in Completed over UDP and zero over a reliable transport", () => {
    const udp = serverNonInvite();
    udp.tx.respond(createResponse(udp.request, 200, { toTag: "t" }));
    assert.deepEqual(udp.tx.armedTimers, ["J"]);
    udp.clock.advance(31_999);
    assert.equal(udp.tx.state, "Completed");
    udp.clock.advance(1);
    assert.equal(udp.tx.state, "Terminated");
    const tcp = serverNonInvite(true);
    tcp.tx.respond(createResponse(tcp.request, 200, { toTag: "t" }));
    assert.equal(tcp.tx.state, "Terminated");
  });

  test("a second final response is a bug and throws", () => {
    const { request, tx } = serverNonInvite();
    tx.respond(createResponse(request, 200, { toTag: "t" }) as never);
    assert.throws(() => tx.respond(createResponse(request as SipRequest, 500)), /in Completed|in Terminated/);
  });
});
