import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { silentLogger } from "../../../../src/kernel/log.ts";
import {
  createResponse,
  DEFAULT_TIMERS,
  newBranch,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  TransactionLayer,
} from "../../../../src/sip/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import {
  makeRequest,
  RecordingTransport,
  recordingClientUser,
  responseTo,
} from "../../../support/sip-fixtures.ts";

function layer() {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock);
  const requests: Array<[SipRequest, ServerTransaction]> = [];
  const acks: SipRequest[] = [];
  const stray: SipResponse[] = [];
  const l = new TransactionLayer({
    clock,
    timers: DEFAULT_TIMERS,
    logger: silentLogger(),
    user: {
      receiveRequest: (r, t) => requests.push([r, t]),
      receiveAck: (a) => acks.push(a),
      receiveStrayResponse: (r) => stray.push(r),
    },
  });
  return { clock, transport, l, requests, acks, stray };
}

describe("TransactionLayer", () => {
  test("a retransmitted request reaches its transaction, not the TU a second time (§17.2.3)", () => {
    const { transport, l, requests } = layer();
    const options = makeRequest("OPTIONS");
    l.receiveRequest(options, transport);
    const [[, tx] = []] = requests;
    tx?.respond(createResponse(options, 200, { toTag: "t" }));
    l.receiveRequest(
      makeRequest("OPTIONS", { branch: options.topVia.branch, callId: options.callId }),
      transport,
    );
    assert.equal(requests.length, 1);
    assert.equal(transport.times("SIP/2.0 200").length, 2, "the retransmission got the response again");
  });

  test("an ACK for a non-2xx matches the INVITE transaction; an ACK for a 2xx goes to the TU", () => {
    const { transport, l, requests, acks } = layer();
    const invite = makeRequest("INVITE");
    l.receiveRequest(invite, transport);
    const tx = requests[0]?.[1];
    tx?.respond(createResponse(invite, 486, { toTag: "t" }));
    l.receiveRequest(
      makeRequest("ACK", { branch: invite.topVia.branch, callId: invite.callId, toTag: "t" }),
      transport,
    );
    assert.equal(tx?.state, "Confirmed");
    l.receiveRequest(makeRequest("ACK", { branch: newBranch(), callId: "other", toTag: "t" }), transport);
    assert.equal(acks.length, 1);
  });

  test("CANCEL opens its own transaction and finds the INVITE it cancels (§9.2)", () => {
    const { transport, l, requests } = layer();
    const invite = makeRequest("INVITE");
    l.receiveRequest(invite, transport);
    const cancel = makeRequest("CANCEL", { branch: invite.topVia.branch, callId: invite.callId });
    l.receiveRequest(cancel, transport);
    assert.equal(requests.length, 2);
    assert.equal(requests[1]?.[0].method, "CANCEL");
    assert.equal(l.findInviteFor(cancel), requests[0]?.[1]);
    assert.equal(l.findInviteFor(makeRequest("CANCEL")), undefined);
  });

  test("a request with the From tag, Call-ID and CSeq of another transaction but another branch is merged (§8.2.2.2)", () => {
    const { transport, l } = layer();
    const first = makeRequest("INVITE", { callId: "fork-1" });
    l.receiveRequest(first, transport);
    const second = makeRequest("INVITE", { callId: "fork-1" });
    assert.equal(l.isMergedRequest(second), true);
    assert.equal(l.isMergedRequest(first), false);
    assert.equal(l.isMergedRequest(makeRequest("INVITE", { callId: "fork-2" })), false);
  });

  test("responses go to the client transaction by branch and CSeq method; unmatched ones to the TU", () => {
    const { transport, l, stray } = layer();
    const user = recordingClientUser();
    const request = makeRequest("REGISTER", { branch: newBranch() });
    l.sendRequest(request, transport, user);
    l.receiveResponse(responseTo(request, 200));
    assert.deepEqual(user.events, ["response 200"]);
    l.receiveResponse(responseTo(makeRequest("REGISTER", { branch: newBranch() }), 200));
    assert.equal(stray.length, 1);
  });

  test("transactions are forgotten when they terminate", () => {
    const { clock, transport, l, requests } = layer();
    const options = makeRequest("OPTIONS");
    l.receiveRequest(options, transport);
    requests[0]?.[1].respond(createResponse(options, 200, { toTag: "t" }));
    l.sendRequest(makeRequest("MESSAGE", { branch: newBranch() }), transport, recordingClientUser());
    assert.equal(l.serverTransactions, 1);
    assert.equal(l.clientTransactions, 1);
    clock.advance(64 * 500);
    assert.equal(l.serverTransactions, 0);
    assert.equal(l.clientTransactions, 0);
    assert.equal(clock.pendingTimers, 0);
  });

  test("property: any sequence of responses, retransmissions, ACKs, transport errors and time never makes an illegal transition or leaks a timer", () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("respond" as const),
        status: fc.constantFrom(100, 180, 183, 200, 202, 302, 404, 486, 500, 603),
      }),
      fc.record({
        kind: fc.constant("response" as const),
        status: fc.constantFrom(100, 180, 200, 302, 486, 503),
      }),
      fc.record({ kind: fc.constant("retransmit" as const) }),
      fc.record({ kind: fc.constant("ack" as const) }),
      fc.record({ kind: fc.constant("transport-error" as const), onServer: fc.boolean() }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("INVITE", "OPTIONS"),
        fc.boolean(),
        fc.array(step, { maxLength: 30 }),
        (method, reliable, steps) => {
          const clock = new FakeClock();
          const transport = new RecordingTransport(clock, reliable);
          const server: ServerTransaction[] = [];
          const l = new TransactionLayer({
            clock,
            timers: DEFAULT_TIMERS,
            logger: silentLogger(),
            user: {
              receiveRequest: (_r, t) => server.push(t),
              receiveAck: () => {},
              receiveStrayResponse: () => {},
            },
          });
          const incoming = makeRequest(method);
          l.receiveRequest(incoming, transport);
          const outgoing = makeRequest(method, { branch: newBranch() });
          const client = l.sendRequest(outgoing, transport, recordingClientUser());
          const tx = server[0] as ServerTransaction;
          for (const s of steps) {
            if (s.kind === "respond") {
              const final = tx.state === "Completed" || tx.state === "Confirmed" || tx.state === "Terminated";
              const acceptedNon2xx = tx.state === "Accepted" && (s.status < 200 || s.status >= 300);
              if (!final && !acceptedNon2xx) tx.respond(createResponse(incoming, s.status, { toTag: "t" }));
            } else if (s.kind === "response") l.receiveResponse(responseTo(outgoing, s.status));
            else if (s.kind === "retransmit") l.receiveRequest(incoming, transport);
            else if (s.kind === "ack" && method === "INVITE") {
              l.receiveRequest(
                makeRequest("ACK", { branch: incoming.topVia.branch, callId: incoming.callId, toTag: "t" }),
                transport,
              );
            } else if (s.kind === "transport-error")
              (fc.sample(fc.boolean(), 1)[0] ? tx : client).transportError();
            else if (s.kind === "advance") clock.advance(s.ms);
            for (const t of [tx, client]) {
              if (t.terminated)
                assert.deepEqual(t.armedTimers, [], `${t.constructor.name} keeps no timer after Terminated`);
            }
          }
          // Whatever happened, only server transactions still waiting for their TU may be alive
          // (a retransmission after Terminated opens a new one); the TU answers them now.
          for (const t of server) {
            if (t.state === "Proceeding" || t.state === "Trying") t.respond(createResponse(t.request, 500));
          }
          clock.advance(200_000);
          if (client.state === "Proceeding" && method === "INVITE") client.transportError();
          clock.advance(200_000);
          assert.equal(l.serverTransactions, 0);
          assert.equal(l.clientTransactions, 0);
          assert.equal(clock.pendingTimers, 0, "no timer leaked");
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
