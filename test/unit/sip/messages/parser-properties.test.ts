import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseSipMessage, type SipMessageUnion, SipParseError } from "../../../../src/sip/index.ts";

/** 100,000 cases on a developer's machine, fewer in CI (PARLEY_TEST_FUZZ_RUNS overrides). */
const RUNS = Number(process.env.PARLEY_TEST_FUZZ_RUNS ?? (process.env.CI === "true" ? 20_000 : 100_000));

const SEEDS = [
  [
    "INVITE sip:1002@pbx.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport",
    "Max-Forwards: 70",
    'From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774',
    "To: <sip:1002@pbx.example.com>",
    "Call-ID: a84b4c76e66710",
    "CSeq: 314159 INVITE",
    "Contact: <sip:1001@192.0.2.10:5062>;expires=60",
    "Content-Type: application/sdp",
    "Content-Length: 10",
    "",
    "v=0\r\no=- 1",
  ],
  [
    "REGISTER sip:pbx.example.com SIP/2.0",
    "v: SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKreg",
    "f: <sip:1001@pbx.example.com>;tag=r1",
    "t: <sip:1001@pbx.example.com>",
    "i: reg-1",
    "CSeq: 2 REGISTER",
    "m: <sip:1001@[2001:db8::1]:5060;transport=tcp>;q=0.7, *",
    "Expires: 3600",
    'Authorization: Digest username="1001", realm="pbx.example.com", nonce="abc", uri="sip:pbx.example.com", response="0123"',
    "l: 0",
    "",
    "",
  ],
  [
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;received=192.0.2.99;rport=6000",
    "From: <sip:1001@pbx.example.com>;tag=1",
    "To: sip:1002@pbx.example.com;tag=2",
    "Call-ID: resp-1",
    "CSeq: 1 OPTIONS",
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE",
    "",
    "",
  ],
].map((lines) => Buffer.from(lines.join("\r\n")));

const SPECIAL = [
  ":",
  ";",
  ",",
  "<",
  ">",
  '"',
  "\\",
  "\r\n",
  "\n",
  " ",
  "\t",
  "\0",
  "@",
  "[",
  "]",
  "=",
  "?",
  "%",
  "*",
  "\r\n ",
  "\xff",
];

type Mutation =
  | { kind: "flip"; at: number; byte: number }
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 12 })),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let data = Buffer.from(seed);
  for (const m of mutations) {
    const at = data.length === 0 ? 0 : m.at % (data.length + 1);
    if (m.kind === "flip" && data.length > 0) data[at % data.length] = m.byte;
    else if (m.kind === "delete") data = Buffer.concat([data.subarray(0, at), data.subarray(at + m.length)]);
    else if (m.kind === "insert")
      data = Buffer.concat([data.subarray(0, at), Buffer.from(m.text, "latin1"), data.subarray(at)]);
    else if (m.kind === "truncate") data = data.subarray(0, at);
  }
  return data;
}

/** Every typed getter either answers or throws SipParseError; serializing and re-parsing works. */
function exercise(message: SipMessageUnion): void {
  const touch = (read: () => unknown) => {
    try {
      read();
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
    }
  };
  touch(() => message.vias.map((v) => [v.branch, v.rport, v.received, v.toString()]));
  touch(() => message.from.toString());
  touch(() => message.to.tag);
  touch(() => message.contacts);
  touch(() => message.expires);
  touch(() => message.optionTags("supported"));
  if (message.kind === "request") touch(() => message.uri.toString());
  const again = parseSipMessage(message.toBuffer());
  assert.equal(again.startLine(), message.startLine());
  assert.deepEqual(again.body, message.body);
}

function parsesOrRefuses(data: Buffer): void {
  let message: SipMessageUnion;
  try {
    message = parseSipMessage(data);
  } catch (error) {
    if (error instanceof SipParseError) return;
    throw error;
  }
  exercise(message);
}

describe("parseSipMessage properties (fast-check)", () => {
  test(`mutated valid messages either parse (and re-serialize) or fail with SipParseError only (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (seed, ms) => {
          parsesOrRefuses(mutate(seed, ms));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test(`random bytes and random text never throw anything but SipParseError (${Math.ceil(RUNS / 4)} cases)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
          fc.string({ maxLength: 600 }).map((s) => Buffer.from(`OPTIONS sip:a SIP/2.0\r\n${s}`)),
        ),
        parsesOrRefuses,
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  test("generated well-formed requests survive a serialize → parse round trip unchanged", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,15}$/);
    fc.assert(
      fc.property(
        fc.record({
          method: fc.constantFrom("INVITE", "OPTIONS", "REGISTER", "MESSAGE", "BYE", "PUBLISH"),
          user: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._~-]{0,15}$/),
          host: fc.constantFrom("example.com", "192.0.2.7", "[2001:db8::7]", "pbx.example.org"),
          cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          callId: token,
          display: fc.string({ maxLength: 20 }).filter((s) => !/[\r\n\0]/.test(s)),
          extra: fc.array(
            fc.tuple(
              token.map((t) => `X-${t}`),
              fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/),
            ),
            { maxLength: 5 },
          ),
          body: fc.uint8Array({ maxLength: 200 }),
        }),
        (r) => {
          const escaped = r.display.replace(/(["\\])/g, "\\$1");
          const text = [
            `${r.method} sip:${r.user}@${r.host} SIP/2.0`,
            `Via: SIP/2.0/UDP ${r.host}:5060;branch=z9hG4bK${r.callId}`,
            `From: "${escaped}" <sip:${r.user}@${r.host}>;tag=${r.callId}`,
            `To: <sip:${r.user}@${r.host}>`,
            `Call-ID: ${r.callId}`,
            `CSeq: ${r.cseq} ${r.method}`,
            "Max-Forwards: 70",
            ...r.extra.map(([n, v]) => `${n}: ${v}`),
            `Content-Length: ${r.body.length}`,
            "",
            "",
          ].join("\r\n");
          const message = parseSipMessage(Buffer.concat([Buffer.from(text), r.body]));
          assert.equal(message.kind, "request");
          assert.equal(message.from.displayName, r.display);
          assert.equal(message.cseq.seq, r.cseq);
          assert.deepEqual(message.body, Buffer.from(r.body));
          const again = parseSipMessage(message.toBuffer());
          assert.deepEqual(again.headers.entries(), message.headers.entries());
        },
      ),
      { numRuns: Math.ceil(RUNS / 20) },
    );
  });
});
