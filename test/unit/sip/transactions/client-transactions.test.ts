import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ClientInviteTransaction,
  ClientNonInviteTransaction,
  type SipRequest,
} from "../../../../src/sip/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import {
  makeRequest,
  RecordingTransport,
  recordingClientUser,
  responseTo,
  transactionOptions,
} from "../../../support/sip-fixtures.ts";

function inviteTransaction(reliable = false) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock, reliable);
  const user = recordingClientUser();
  const invite = makeRequest("INVITE");
  let terminated = 0;
  const tx = new ClientInviteTransaction(
    "k",
    invite,
    user,
    transactionOptions(clock, transport, () => terminated++),
  );
  tx.start();
  return { clock, transport, user, invite, tx, terminated: () => terminated };
}

function nonInviteTransaction(reliable = false) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock, reliable);
  const user = recordingClientUser();
  const request = makeRequest("REGISTER");
  const tx = new ClientNonInviteTransaction("k", request, user, transactionOptions(clock, transport));
  tx.start();
  return { clock, transport, user, request, tx };
}

describe("ClientInviteTransaction (RFC 3261 §17.1.1, RFC 6026)", () => {
  test("over UDP retransmits the INVITE with Timer A doubling from T1 and times out with Timer B at 64*T1", () => {
    const { clock, transport, user, tx, terminated } = inviteTransaction();
    assert.equal(tx.state, "Calling");
    assert.deepEqual(tx.armedTimers, ["A", "B"]);
    clock.advance(31_999);
    assert.deepEqual(transport.times("INVITE"), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.deepEqual(user.events, []);
    clock.advance(1);
    assert.equal(tx.state, "Terminated");
    assert.deepEqual(user.events, ["timeout"], "Timer B tells the TU once");
    assert.equal(terminated(), 1);
    assert.equal(clock.pendingTimers, 0);
  });

  test("a provisional response moves Calling to Proceeding and stops retransmission", () => {
    const { clock, transport, user, invite, tx } = inviteTransaction();
    clock.advance(600);
    tx.receiveResponse(responseTo(invite, 180));
    assert.equal(tx.state, "Proceeding");
    assert.deepEqual(tx.armedTimers, []);
    clock.advance(120_000);
    assert.equal(transport.times("INVITE").length, 2);
    tx.receiveResponse(responseTo(invite, 183));
    assert.deepEqual(user.events, ["response 180", "response 183"]);
  });

  test("a non-2xx final response is ACKed by the transaction; retransmissions get the ACK again, not the TU", () => {
    const { clock, transport, user, invite, tx } = inviteTransaction();
    tx.receiveResponse(responseTo(invite, 180));
    const busy = responseTo(invite, 486);
    tx.receiveResponse(busy);
    assert.equal(tx.state, "Completed");
    const ack = transport.sent.at(-1)?.message as SipRequest;
    assert.equal(ack.method, "ACK");
    assert.equal(ack.uriText, invite.uriText);
    assert.deepEqual(ack.headers.lines("via"), [invite.headers.lines("via")[0]]);
    assert.equal(ack.to.tag, "far");
    assert.equal(ack.from.tag, "from1");
    assert.equal(ack.callId, invite.callId);
    assert.equal(ack.cseq.toString(), `${invite.cseq.seq} ACK`);
    tx.receiveResponse(busy);
    assert.equal(transport.times("ACK").length, 2);
    assert.deepEqual(user.events, ["response 180", "response 486"]);
    assert.deepEqual(tx.armedTimers, ["D"]);
    clock.advance(31_999);
    assert.equal(tx.state, "Completed");
    clock.advance(1);
    assert.equal(tx.state, "Terminated", "Timer D is 32 s on UDP");
  });

  test("a 2xx moves to Accepted (RFC 6026); further 2xx reach the TU until Timer M", () => {
    const { clock, user, invite, tx } = inviteTransaction();
    tx.receiveResponse(responseTo(invite, 200));
    assert.equal(tx.state, "Accepted");
    tx.receiveResponse(responseTo(invite, 200));
    tx.receiveResponse(responseTo(invite, 486));
    assert.deepEqual(user.events, ["response 200", "response 200"]);
    clock.advance(31_999);
    assert.equal(tx.state, "Accepted");
    clock.advance(1);
    assert.equal(tx.state, "Terminated");
  });

  test("over a reliable transport it never retransmits, and Completed ends at once (Timer D = 0)", () => {
    const { clock, transport, invite, tx } = inviteTransaction(true);
    assert.deepEqual(tx.armedTimers, ["B"]);
    clock.advance(10_000);
    assert.equal(transport.times("INVITE").length, 1);
    tx.receiveResponse(responseTo(invite, 503));
    assert.equal(tx.state, "Terminated");
    assert.equal(transport.times("ACK").length, 1);
    assert.equal(clock.pendingTimers, 0);
  });

  test("a transport error terminates it and the TU hears transport-failed (treated as 503)", () => {
    const { clock, user, tx } = inviteTransaction();
    tx.transportError();
    assert.equal(tx.state, "Terminated");
    assert.deepEqual(user.events, ["transport-failed"]);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe("ClientNonInviteTransaction (RFC 3261 §17.1.2)", () => {
  test("over UDP retransmits at 500 ms, 1 s, 2 s, 4 s, then every T2, and times out with Timer F at 64*T1", () => {
    const { clock, transport, user, tx } = nonInviteTransaction();
    assert.deepEqual(tx.armedTimers, ["E", "F"]);
    clock.advance(31_999);
    assert.deepEqual(
      transport.times("REGISTER"),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    clock.advance(1);
    assert.equal(tx.state, "Terminated");
    assert.deepEqual(user.events, ["timeout"]);
    assert.equal(clock.pendingTimers, 0);
  });

  test("in Proceeding it keeps retransmitting every T2 and Timer F still runs", () => {
    const { clock, transport, user, request, tx } = nonInviteTransaction();
    clock.advance(600);
    tx.receiveResponse(responseTo(request, 100));
    assert.equal(tx.state, "Proceeding");
    assert.deepEqual(tx.armedTimers, ["E", "F"]);
    clock.advance(9_400);
    assert.deepEqual(transport.times("REGISTER"), [0, 500, 1500, 5500, 9500]);
    clock.advance(22_000);
    assert.equal(tx.state, "Terminated");
    assert.deepEqual(user.events, ["response 100", "timeout"]);
  });

  test("a final response completes it; retransmitted finals are absorbed until Timer K (T4) ends it", () => {
    const { clock, transport, user, request, tx } = nonInviteTransaction();
    const ok = responseTo(request, 200);
    tx.receiveResponse(ok);
    tx.receiveResponse(ok);
    assert.equal(tx.state, "Completed");
    assert.deepEqual(tx.armedTimers, ["K"]);
    assert.deepEqual(user.events, ["response 200"]);
    clock.advance(4_999);
    assert.equal(tx.state, "Completed");
    clock.advance(1);
    assert.equal(tx.state, "Terminated");
    assert.equal(transport.times("REGISTER").length, 1);
  });

  test("over a reliable transport: no Timer E, Timer F still times out, Timer K is zero", () => {
    const timeout = nonInviteTransaction(true);
    assert.deepEqual(timeout.tx.armedTimers, ["F"]);
    timeout.clock.advance(32_000);
    assert.deepEqual(timeout.user.events, ["timeout"]);
    assert.equal(timeout.transport.times("REGISTER").length, 1);
    const answered = nonInviteTransaction(true);
    answered.tx.receiveResponse(responseTo(answered.request, 401));
    assert.equal(answered.tx.state, "Terminated");
    assert.equal(answered.clock.pendingTimers, 0);
  });
});
