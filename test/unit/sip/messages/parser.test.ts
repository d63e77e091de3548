import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createResponse,
  NameAddr,
  parseSipMessage,
  SipParseError,
  type SipRequest,
  SipResponse,
  SipUri,
  TelUri,
} from "../../../../src/sip/index.ts";

const crlf = (lines: string[]) => Buffer.from(lines.join("\r\n"));

const INVITE = crlf([
  "INVITE sip:1002@pbx.example.com SIP/2.0",
  "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport",
  "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;received=2001:db8::9",
  "Max-Forwards: 70",
  'From: "Alice \\"A\\" Smith" <sip:1001@pbx.example.com>;tag=1928301774',
  "To: sip:1002@pbx.example.com",
  "Call-ID: a84b4c76e66710@pc33.example.com",
  "CSeq: 314159 INVITE",
  "Contact: <sip:1001@192.0.2.10:5062;transport=udp>;expires=60, <sips:alice@example.com>",
  "Subject: lunch",
  "  at noon",
  "X-Custom-Header: kept verbatim ;with=odd spacing",
  "Content-Type: application/sdp",
  "Content-Length: 4",
  "",
  "v=0\r\n",
]);

function request(data: Buffer): SipRequest {
  const message = parseSipMessage(data);
  assert.equal(message.kind, "request");
  return message as SipRequest;
}

function parseError(data: Buffer): SipParseError {
  try {
    parseSipMessage(data);
  } catch (error) {
    assert.ok(error instanceof SipParseError, `expected SipParseError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a SipParseError");
}

describe("parseSipMessage", () => {
  test("reads a request line, typed headers, folded and unknown headers, and the body by Content-Length", () => {
    const invite = request(INVITE);
    assert.equal(invite.method, "INVITE");
    assert.equal(invite.uri.toString(), "sip:1002@pbx.example.com");
    assert.equal(invite.callId, "a84b4c76e66710@pc33.example.com");
    assert.equal(invite.cseq.seq, 314159);
    assert.equal(invite.cseq.method, "INVITE");
    assert.equal(invite.maxForwards, 70);
    assert.equal(invite.from.displayName, 'Alice "A" Smith');
    assert.equal(invite.from.tag, "1928301774");
    assert.equal(invite.to.tag, undefined);
    assert.equal(invite.headers.get("subject"), "lunch at noon", "folded lines are joined with one space");
    assert.equal(invite.headers.get("x-custom-header"), "kept verbatim ;with=odd spacing");
    assert.equal(invite.body.toString(), "v=0\r");
  });

  test("splits comma-joined Via and Contact values, keeping order across lines", () => {
    const invite = request(INVITE);
    assert.deepEqual(
      invite.vias.map((v) => [v.transport, v.host, v.port ?? null]),
      [
        ["UDP", "192.0.2.10", 5062],
        ["TCP", "proxy.example.com", null],
        ["UDP", "[2001:db8::1]", 5060],
      ],
    );
    assert.equal(invite.topVia.branch, "z9hG4bK776asdhds");
    assert.equal(invite.topVia.rport, null, "rport without a value asks for one (RFC 3581)");
    assert.equal(invite.vias[2]?.received, "2001:db8::9");
    const contacts = invite.contacts;
    assert.ok(contacts !== "*");
    assert.equal(contacts.length, 2);
    assert.equal(contacts[0]?.params.get("expires"), "60");
    assert.equal((contacts[0]?.uri as SipUri | undefined)?.transport, "udp");
    assert.equal((contacts[1]?.uri as SipUri | undefined)?.scheme, "sips");
  });

  test("accepts compact header forms, odd case, leading CRLFs, bare LF line ends and space before the colon", () => {
    const compact = Buffer.from(
      "\r\n\r\nOPTIONS sip:pbx.example.com SIP/2.0\n" +
        "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc\n" +
        "f  : <sip:a@example.com>;tag=1\n" +
        "T: <sip:pbx.example.com>\n" +
        "i: compact-1\n" +
        "cSeQ: 1 OPTIONS\n" +
        "k: path, outbound\n" +
        "m: <sip:a@192.0.2.1>\n" +
        "l: 0\n\n",
    );
    const options = request(compact);
    assert.equal(options.callId, "compact-1");
    assert.equal(options.from.tag, "1");
    assert.deepEqual(options.optionTags("supported"), ["path", "outbound"]);
    assert.equal(options.maxForwards, undefined, "a missing Max-Forwards is tolerated");
  });

  test("a ;tag outside <> belongs to the header, inside <> to the URI (RFC 3261 §20.10)", () => {
    const outside = NameAddr.parse("sip:a@example.com;tag=xyz", "To");
    assert.equal(outside.tag, "xyz");
    assert.equal((outside.uri as SipUri).params.size, 0);
    const inside = NameAddr.parse("<sip:a@example.com;tag=xyz>", "To");
    assert.equal(inside.tag, undefined);
    assert.equal((inside.uri as SipUri).params.get("tag"), "xyz");
  });

  test("parses SIP, SIPS and tel URIs with passwords, escapes, IPv6, parameters and headers", () => {
    const uri = SipUri.parse(
      "sips:alice%20b:secret@[2001:db8::5]:5061;transport=tls;lr?subject=hi&priority=urgent",
    );
    assert.equal(uri.scheme, "sips");
    assert.equal(uri.user, "alice%20b");
    assert.equal(uri.decodedUser, "alice b");
    assert.equal(uri.password, "secret");
    assert.equal(uri.host, "[2001:db8::5]");
    assert.equal(uri.port, 5061);
    assert.equal(uri.params.get("lr"), null);
    assert.equal(uri.headers, "subject=hi&priority=urgent");
    assert.equal(
      uri.toString(),
      "sips:alice%20b:secret@[2001:db8::5]:5061;transport=tls;lr?subject=hi&priority=urgent",
    );
    const tel = TelUri.parse("tel:+1-201-555-0123;ext=12");
    assert.equal(tel.digits, "+12015550123");
    assert.throws(() => TelUri.parse("tel:5550123"), SipParseError, "a local number needs phone-context");
    assert.equal(TelUri.parse("tel:5550123;phone-context=example.com").digits, "5550123");
    assert.throws(() => SipUri.parse("sip:alice@exa mple.com"), SipParseError);
    assert.throws(() => SipUri.parse("sip:alice@example.com:99999"), SipParseError);
  });

  test("serializing a parsed message and parsing it again gives the same message", () => {
    const first = request(INVITE);
    const second = request(first.toBuffer());
    assert.equal(second.startLine(), first.startLine());
    assert.deepEqual(second.headers.entries(), first.headers.entries());
    assert.deepEqual(second.body, first.body);
    assert.match(first.toString(), /\r\nContent-Length: 4\r\n\r\nv=0\r$/);
  });

  test("responses are parsed with status, reason and their own headers", () => {
    const response = parseSipMessage(
      crlf([
        "SIP/2.0 486 Busy Here",
        "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds",
        "From: <sip:1001@pbx.example.com>;tag=1",
        "To: <sip:1002@pbx.example.com>;tag=2",
        "Call-ID: r1",
        "CSeq: 2 INVITE",
        "",
        "",
      ]),
    );
    assert.ok(response instanceof SipResponse);
    assert.equal(response.status, 486);
    assert.equal(response.reason, "Busy Here");
    assert.equal(
      response.cseq.method,
      "INVITE",
      "a response's CSeq method names the request, not the response",
    );
  });
});

describe("parseSipMessage refuses broken messages with a reason a 400 can carry", () => {
  const base = [
    "OPTIONS sip:pbx.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx",
    "From: <sip:a@example.com>;tag=1",
    "To: <sip:pbx.example.com>",
    "Call-ID: broken-1",
    "CSeq: 1 OPTIONS",
    "Max-Forwards: 70",
  ];
  const without = (name: string) => crlf([...base.filter((l) => !l.startsWith(`${name}:`)), "", ""]);
  const replacing = (name: string, line: string) =>
    crlf([...base.map((l) => (l.startsWith(`${name}:`) ? line : l)), "", ""]);

  for (const [name, reason] of [
    ["From", "Missing From"],
    ["To", "Missing To"],
    ["Call-ID", "Missing Call-ID"],
    ["CSeq", "Missing CSeq"],
  ] as const) {
    test(`a request without ${name} fails with "${reason}" and keeps the partial request`, () => {
      const error = parseError(without(name));
      assert.equal(error.reason, reason);
      assert.equal(error.status, 400);
      assert.ok(error.partial, "answerable: the partial request is attached");
    });
  }

  test("CSeq: non-numeric, above 2^31-1, or naming another method", () => {
    assert.equal(parseError(replacing("CSeq", "CSeq: one OPTIONS")).reason, "Bad CSeq");
    assert.equal(parseError(replacing("CSeq", "CSeq: 2147483648 OPTIONS")).reason, "Bad CSeq");
    assert.equal(parseError(replacing("CSeq", "CSeq: 1 INVITE")).reason, "Bad CSeq");
  });

  test("Content-Length: larger than the datagram's body, non-numeric, or given twice differently", () => {
    assert.equal(parseError(crlf([...base, "Content-Length: 10", "", "abc"])).reason, "Bad Content-Length");
    assert.equal(parseError(crlf([...base, "Content-Length: ten", "", ""])).reason, "Bad Content-Length");
    assert.equal(
      parseError(crlf([...base, "Content-Length: 1", "l: 2", "", "ab"])).reason,
      "Bad Content-Length",
    );
    const shorter = request(crlf([...base, "Content-Length: 2", "", "abcdef"]));
    assert.equal(shorter.body.toString(), "ab", "bytes past Content-Length are discarded (§18.3)");
  });

  test("Max-Forwards, Via, Request-URI and header lines that do not parse", () => {
    assert.equal(parseError(replacing("Max-Forwards", "Max-Forwards: -1")).reason, "Bad Max-Forwards");
    assert.equal(parseError(replacing("Via", "Via: SIP/2.0/UDP")).reason, "Bad Via");
    assert.equal(parseError(crlf([...base, "no colon here", "", ""])).reason, "Bad Header");
    const badUri = parseError(
      Buffer.from(without("x").toString().replace("sip:pbx.example.com", "sip:pbx example")),
    );
    assert.ok(["Bad Request-URI", "Bad Request-Line"].includes(badUri.reason));
  });

  test("limits: a header line over maxLineBytes, too many headers, a message over maxMessageBytes", () => {
    const limits = { maxMessageBytes: 4000, maxHeaderCount: 20, maxLineBytes: 200 };
    assert.equal(
      request(crlf([...base, `X-Long: ${"a".repeat(300)}`, "", ""])).headers.get("x-long")?.length,
      300,
    );
    assert.throws(
      () => parseSipMessage(crlf([...base, `X-Long: ${"a".repeat(300)}`, "", ""]), limits),
      (e: unknown) =>
        e instanceof SipParseError && e.reason === "Header Too Large" && e.partial !== undefined,
    );
    const many = Array.from({ length: 30 }, (_, i) => `X-H${i}: ${i}`);
    assert.throws(
      () => parseSipMessage(crlf([...base, ...many, "", ""]), limits),
      (e: unknown) => e instanceof SipParseError && e.reason === "Too Many Headers",
    );
    assert.throws(
      () => parseSipMessage(crlf([...base, "", "x".repeat(5000)]), limits),
      (e: unknown) => e instanceof SipParseError && e.status === 513,
    );
  });

  test("garbage, an HTTP request and a NUL in the start line fail without a partial request", () => {
    for (const data of [
      Buffer.from([0xde, 0xad, 0xbe, 0xef]),
      Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      Buffer.from("OPTIONS sip:a\0b SIP/2.0\r\n\r\n"),
      Buffer.from("\r\n\r\n"),
    ]) {
      const error = parseError(data);
      assert.equal(error.partial, undefined);
    }
  });
});

describe("createResponse", () => {
  test("copies every Via in order, From, To, Call-ID and CSeq, and adds a To tag above 100 (§8.2.6.2)", () => {
    const invite = request(INVITE);
    const ringing = createResponse(invite, 180, { toTag: "callee-1" });
    assert.deepEqual(ringing.headers.lines("via"), invite.headers.lines("via"));
    assert.equal(ringing.headers.get("from"), invite.headers.get("from"));
    assert.equal(ringing.headers.get("call-id"), invite.callId);
    assert.equal(ringing.headers.get("cseq"), "314159 INVITE");
    assert.equal(ringing.to.tag, "callee-1");
    assert.equal(createResponse(invite, 100).to.tag, undefined, "100 Trying has no To tag");
    const reparsed = parseSipMessage(ringing.toBuffer());
    assert.ok(reparsed instanceof SipResponse);
    assert.equal(reparsed.reason, "Ringing");
    assert.equal(reparsed.vias.length, 3);
  });
});
