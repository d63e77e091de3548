import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  createResponse,
  Dialog,
  DialogTable,
  parseSipMessage,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from "../../../../src/sip/index.ts";

function invite(extra: string[] = []): SipRequest {
  return parseSipMessage(
    Buffer.from(
      [
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8",
        "Max-Forwards: 70",
        'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
        "To: <sip:bob@biloxi.example.com>",
        "Call-ID: a84b4c76e66710",
        "CSeq: 314159 INVITE",
        "Contact: <sip:alice@pc33.atlanta.example.com>",
        "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>",
        ...extra,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
    ),
  ) as SipRequest;
}

/** A response as the callee sends it, with its Contact and the Record-Route of the request. */
function answer(
  request: SipRequest,
  status: number,
  toTag: string,
  contact = "<sip:bob@192.0.2.4>",
): SipResponse {
  // createResponse copies Record-Route into responses that establish a dialog (§12.1.1).
  const response = createResponse(request, status, { toTag, headers: [["Contact", contact]] });
  return parseSipMessage(response.toBuffer()) as SipResponse;
}

describe("Dialog (RFC 3261 §12)", () => {
  test("the UAS side takes the route set in order, the remote target from the request's Contact", () => {
    const request = invite();
    const dialog = Dialog.forUas(request, answer(request, 180, "bob-1"));
    assert.deepEqual(dialog.id, { callId: "a84b4c76e66710", localTag: "bob-1", remoteTag: "1928301774" });
    assert.equal(dialog.state, "Early");
    assert.deepEqual(dialog.routeSet, ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]);
    assert.equal(dialog.remoteTarget.toString(), "sip:alice@pc33.atlanta.example.com");
    assert.equal(dialog.remoteSeq, 314159);
    assert.equal(dialog.localSeq, undefined);
  });

  test("the UAC side reverses the route set and takes the remote target from the response's Contact", () => {
    const request = invite();
    const dialog = Dialog.forUac(request, answer(request, 200, "bob-1"));
    assert.equal(dialog.state, "Confirmed");
    assert.deepEqual(dialog.routeSet, ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    assert.equal(dialog.remoteTarget.toString(), "sip:bob@192.0.2.4");
    assert.equal(dialog.localSeq, 314159);
  });

  test("an in-dialog request goes to the remote target through the route set, with tags and the next CSeq", () => {
    const request = invite();
    const dialog = Dialog.forUac(request, answer(request, 200, "bob-1"));
    const bye = dialog.createRequest("BYE", {
      via: "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKbye",
    });
    assert.equal(bye.uriText, "sip:bob@192.0.2.4");
    assert.deepEqual(bye.headers.lines("route"), ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]);
    assert.equal(bye.to.tag, "bob-1");
    assert.equal(bye.from.tag, "1928301774");
    assert.equal(bye.from.displayName, "Alice");
    assert.equal(bye.callId, "a84b4c76e66710");
    assert.equal(bye.cseq.toString(), "314160 BYE");
    const ack = dialog.createRequest("ACK", { via: "SIP/2.0/UDP x;branch=z9hG4bKack", cseq: 314159 });
    assert.equal(ack.cseq.toString(), "314159 ACK", "ACK takes the INVITE's CSeq number");
    assert.equal(parseSipMessage(bye.toBuffer()).startLine(), "BYE sip:bob@192.0.2.4 SIP/2.0");
  });

  test("a strict router (no lr) becomes the Request-URI and the remote target goes last in Route (§12.2.1.1)", () => {
    const strict = parseSipMessage(
      Buffer.from(
        invite()
          .toString()
          .replace(
            "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>",
            "Record-Route: <sip:strict.example.com>",
          ),
      ),
    ) as SipRequest;
    const dialog = Dialog.forUac(strict, answer(strict, 200, "bob-1"));
    const bye = dialog.createRequest("BYE", { via: "SIP/2.0/UDP x;branch=z9hG4bKs" });
    assert.equal((bye.uri as SipUri).host, "strict.example.com");
    assert.deepEqual(bye.headers.lines("route"), ["<sip:bob@192.0.2.4>"]);
  });

  test("an out-of-order request is refused; a re-INVITE refreshes the remote target; BYE terminates", () => {
    const request = invite();
    const dialog = Dialog.forUas(request, answer(request, 200, "bob-1"));
    const reinvite = parseSipMessage(
      Buffer.from(
        request
          .toString()
          .replace("CSeq: 314159 INVITE", "CSeq: 314160 INVITE")
          .replace("To: <sip:bob@biloxi.example.com>", "To: <sip:bob@biloxi.example.com>;tag=bob-1")
          .replace("Contact: <sip:alice@pc33.atlanta.example.com>", "Contact: <sip:alice@198.51.100.7:5070>"),
      ),
    ) as SipRequest;
    assert.equal(dialog.receiveRequest(reinvite), true);
    assert.equal(dialog.remoteTarget.toString(), "sip:alice@198.51.100.7:5070");
    assert.equal(dialog.remoteSeq, 314160);
    assert.equal(dialog.receiveRequest(request), false, "CSeq 314159 after 314160 is out of order (500)");
    const bye = parseSipMessage(
      Buffer.from(
        reinvite
          .toString()
          .replace(/INVITE/g, "BYE")
          .replace("314160", "314161"),
      ),
    ) as SipRequest;
    assert.equal(dialog.receiveRequest(bye), true);
    assert.equal(dialog.state, "Terminated");
    assert.throws(() => dialog.createRequest("INFO", { via: "x" }), /terminated/);
  });

  test("DialogTable makes one early dialog per To tag of a forked INVITE and finds in-dialog requests", () => {
    const table = new DialogTable();
    const request = invite();
    const a = table.forResponse(request, answer(request, 180, "fork-a"));
    const b = table.forResponse(request, answer(request, 183, "fork-b"));
    assert.ok(a && b && a !== b);
    assert.equal(table.size, 2);
    assert.equal(table.forResponse(request, answer(request, 200, "fork-a")), a);
    a?.receiveResponse(request, answer(request, 200, "fork-a"));
    assert.equal(a?.state, "Confirmed");
    b?.terminate();
    assert.equal(
      table.forResponse(request, answer(request, 487, "fork-b")),
      undefined,
      "terminated dialogs are forgotten",
    );
    const bye = a?.createRequest("BYE", { via: "SIP/2.0/UDP x;branch=z9hG4bKb" });
    // Seen from the far end, our BYE's To tag is its local tag and our From tag its remote tag.
    const farEnd = new DialogTable();
    farEnd.add(Dialog.forUas(request, answer(request, 200, "fork-a")));
    assert.ok(bye && farEnd.forRequest(bye));
  });

  test("property: CSeq numbers of in-dialog requests strictly increase, whatever the mix of methods", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("BYE", "INFO", "UPDATE", "ACK", "MESSAGE", "REFER"), { maxLength: 40 }),
        (methods) => {
          const request = invite();
          const dialog = Dialog.forUac(request, answer(request, 200, "t"));
          let last = request.cseq.seq;
          for (const method of methods) {
            const r = dialog.createRequest(method, {
              via: "SIP/2.0/UDP x;branch=z9hG4bKp",
              cseq: request.cseq.seq,
            });
            if (method === "ACK") assert.equal(r.cseq.seq, request.cseq.seq);
            else {
              assert.equal(r.cseq.seq, last + 1);
              last = r.cseq.seq;
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("createResponse and Record-Route (RFC 3261 §12.1.1)", () => {
  test("a 180 or 200 to an initial INVITE copies every Record-Route value, in order; the caller's dialog routes through them", () => {
    const request = invite(["Record-Route: <sip:p0.example.com;lr;x=1>"]);
    for (const status of [180, 200]) {
      const response = parseSipMessage(
        createResponse(request, status, { toTag: "b" }).toBuffer(),
      ) as SipResponse;
      assert.deepEqual(response.headers.values("record-route"), [
        "<sip:p2.example.com;lr>",
        "<sip:p1.example.com;lr>",
        "<sip:p0.example.com;lr;x=1>",
      ]);
      const dialog = Dialog.forUac(request, response);
      assert.deepEqual(dialog.routeSet, [
        "<sip:p0.example.com;lr;x=1>",
        "<sip:p1.example.com;lr>",
        "<sip:p2.example.com;lr>",
      ]);
    }
  });

  test("no Record-Route in a 100, a failure, or a response inside a dialog", () => {
    const initial = invite();
    assert.deepEqual(createResponse(initial, 100).headers.values("record-route"), []);
    assert.deepEqual(createResponse(initial, 486, { toTag: "b" }).headers.values("record-route"), []);
    const reinvite = parseSipMessage(
      Buffer.from(
        initial
          .toBuffer()
          .toString()
          .replace("To: <sip:bob@biloxi.example.com>", "To: <sip:bob@biloxi.example.com>;tag=b"),
      ),
    ) as SipRequest;
    assert.deepEqual(createResponse(reinvite, 200).headers.values("record-route"), []);
  });
});
