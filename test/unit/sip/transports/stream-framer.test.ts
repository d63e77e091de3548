import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { StreamFramer } from "../../../../src/sip/index.ts";

function message(callId: string, body: string): Buffer {
  const text = [
    "MESSAGE sip:1002@pbx.example.com SIP/2.0",
    "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKs",
    `Call-ID: ${callId}`,
    "CSeq: 1 MESSAGE",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
  return Buffer.from(text);
}

describe("StreamFramer (RFC 3261 §18.3)", () => {
  test("cuts pipelined messages by Content-Length and reports CRLF CRLF keep-alives", () => {
    const framer = new StreamFramer(65_535);
    const chunks = framer.push(
      Buffer.concat([message("a", "hello"), Buffer.from("\r\n\r\n"), message("b", "")]),
    );
    assert.deepEqual(
      chunks.map((c) => c.kind),
      ["message", "keepalive", "message"],
    );
  });

  test("a stream without Content-Length or over the size limit is an error that ends framing", () => {
    const missing = new StreamFramer(65_535).push(Buffer.from("OPTIONS sip:x SIP/2.0\r\nCall-ID: c\r\n\r\n"));
    assert.equal(missing[0]?.kind, "error");
    const huge = new StreamFramer(100).push(message("c", "x".repeat(200)));
    assert.equal(huge[0]?.kind, "error");
  });

  test("property: however the bytes are split into chunks, the same messages come out in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.string({ maxLength: 300 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 200 }),
        (messages, cuts) => {
          const whole = Buffer.concat(messages.map(([id, body]) => message(id, body)));
          const framer = new StreamFramer(65_535);
          const out: Buffer[] = [];
          let offset = 0;
          let i = 0;
          while (offset < whole.length) {
            const size = cuts[i++ % cuts.length] ?? 1;
            for (const chunk of framer.push(whole.subarray(offset, offset + size))) {
              assert.equal(chunk.kind, "message");
              if (chunk.kind === "message") out.push(chunk.data);
            }
            offset += size;
          }
          assert.deepEqual(
            out.map((b) => b.toString()),
            messages.map(([id, body]) => message(id, body).toString()),
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
