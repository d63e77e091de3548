import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  composeNonDeliveryNotice,
  composeVoiceMessage,
  parseVoiceMessage,
  SmtpMessageError,
  type VoiceMessageParts,
} from "../../../src/smtp/index.ts";

const FOREIGN = new URL("../../fixtures/mail/foreign-voice-message.eml", import.meta.url);

/** A WAV header in front of `samples` bytes of 8-bit PCM, enough for a reader to recognise. */
function wav(samples: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + samples.length, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]);
}

function parts(overrides: Partial<VoiceMessageParts> = {}): VoiceMessageParts {
  return {
    messageId: "vm-7f3a9c@parley-a.example",
    from: { address: "voicemail@parley-a.example", name: "Parley Voicemail" },
    to: [{ address: "2001@parley-b.example", name: "Jürgen Groß" }, { address: "2002@parley-b.example" }],
    date: new Date(Date.UTC(2026, 0, 14, 21, 5, 9)),
    caller: { id: "+4930123456", name: "Zoë Ångström" },
    durationSeconds: 37,
    audio: wav(randomBytes(3000)),
    ...overrides,
  };
}

/** Header lines of a composed message, unfolded, as `name: value` strings. */
function headerLines(raw: Buffer): string[] {
  const head = raw.toString("latin1").split("\r\n\r\n")[0] ?? "";
  return head.replace(/\r\n[ \t]/g, " ").split("\r\n");
}

describe("composeVoiceMessage / parseVoiceMessage", () => {
  test("a composed message parses back with every part byte-exact, its headers and its encoded-words", async () => {
    const signature = {
      text: "Zoë Ångström\r\nSales, Parley GmbH\n  trailing spaces  \n",
      voice: wav(randomBytes(1601)),
      image: { data: randomBytes(2048), contentType: "image/png" as const },
    };
    const input = parts({ urgent: true, signature });
    const raw = composeVoiceMessage(input);
    const parsed = await parseVoiceMessage(raw);

    assert.ok(parsed.audio.data.equals(input.audio), "the recording comes back byte for byte");
    assert.equal(parsed.audio.contentType, "audio/wav");
    assert.equal(parsed.signature.text, signature.text);
    assert.ok(
      parsed.signature.voice?.equals(signature.voice),
      "the voice signature comes back byte for byte",
    );
    assert.ok(
      parsed.signature.image?.data.equals(signature.image.data),
      "the image comes back byte for byte",
    );
    assert.equal(parsed.signature.image?.contentType, "image/png");
    assert.deepEqual(parsed.signatureStatus, { state: "attached" });

    assert.deepEqual(parsed.from, { address: "voicemail@parley-a.example", name: "Parley Voicemail" });
    assert.deepEqual(parsed.to, [
      { address: "2001@parley-b.example", name: "Jürgen Groß" },
      { address: "2002@parley-b.example" },
    ]);
    assert.equal(parsed.date?.toISOString(), "2026-01-14T21:05:09.000Z");
    assert.equal(parsed.messageId, "vm-7f3a9c@parley-a.example");
    assert.equal(parsed.subject, "Voice message from Zoë Ångström (+4930123456)");
    assert.equal(parsed.callerId, "+4930123456");
    assert.equal(parsed.callerName, "Zoë Ångström");
    assert.equal(parsed.durationSeconds, 37);
    assert.equal(parsed.urgent, true);
    assert.match(parsed.summary ?? "", /Duration: 37 seconds \(0:37\)/);
  });

  test("the bytes follow RFC 5322/2045: CRLF only, 7-bit, lines within limits, the fixed header set and part order", () => {
    const raw = composeVoiceMessage(
      parts({
        urgent: true,
        signature: {
          text: "hi",
          voice: wav(Buffer.alloc(10)),
          image: { data: Buffer.alloc(5), contentType: "image/jpeg" },
        },
      }),
    );
    const text = raw.toString("latin1");
    assert.ok(
      raw.every((byte) => byte < 0x80),
      "the message is 7-bit clean",
    );
    assert.ok(!/[^\r]\n/.test(text) && !/\r[^\n]/.test(text), "every line ends in CRLF");
    const lines = text.split("\r\n");
    assert.ok(
      lines.every((line) => line.length <= 78),
      "no line is longer than 78 characters",
    );

    const headers = headerLines(raw);
    assert.equal(headers[0], "MIME-Version: 1.0");
    assert.ok(headers.includes("Date: Wed, 14 Jan 2026 21:05:09 +0000"));
    assert.ok(headers.includes("Message-ID: <vm-7f3a9c@parley-a.example>"));
    assert.ok(headers.includes("X-Parley-Caller-Id: +4930123456"));
    assert.ok(headers.includes("X-Parley-Duration: 37"));
    assert.ok(headers.includes("X-Parley-Urgent: yes"));
    assert.ok(headers.includes("X-Parley-Signature-Status: attached"));
    assert.ok(
      headers.some((h) => /^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=/.test(h)),
      "the subject is an encoded-word",
    );
    assert.ok(
      headers.some((h) =>
        /^To: =\?UTF-8\?B\?.+\?= <2001@parley-b\.example>, 2002@parley-b\.example$/.test(h),
      ),
    );
    assert.ok(
      headers.some((h) => /^Content-Type: multipart\/mixed; boundary="=_parley_0_[0-9a-f]{32}"$/.test(h)),
    );

    const order = [...text.matchAll(/^Content-Type: ([^;\r]+)/gm)].map((m) => m[1]);
    assert.deepEqual(order, [
      "multipart/mixed",
      "text/plain",
      "audio/wav",
      "text/plain",
      "audio/wav",
      "image/jpeg",
    ]);
    const dispositions = [...text.matchAll(/^Content-Disposition: (.+)$/gm)].map((m) => m[1]);
    assert.deepEqual(dispositions, [
      'attachment; filename="message.wav"',
      'attachment; filename="signature.txt"',
      'attachment; filename="signature.wav"',
      'attachment; filename="signature.jpg"',
    ]);
    assert.deepEqual(
      [...text.matchAll(/^X-Parley-Signature: (.+)$/gm)].map((m) => m[1]),
      ["text", "voice", "image"],
    );
    assert.match(text, /^Content-Duration: 37$/m);
  });

  test("the same parts give the same bytes, and another message id another boundary", () => {
    const input = parts();
    assert.ok(composeVoiceMessage(input).equals(composeVoiceMessage({ ...input })));
    const other = composeVoiceMessage({ ...input, messageId: "vm-other@parley-a.example" }).toString(
      "latin1",
    );
    assert.ok(
      !other.includes(/boundary="([^"]+)"/.exec(composeVoiceMessage(input).toString("latin1"))?.[1] ?? "?"),
    );
  });

  test("a message without a signature says none; an unreachable signature server says unavailable with the reason", async () => {
    const none = await parseVoiceMessage(composeVoiceMessage(parts()));
    assert.deepEqual(none.signature, {});
    assert.deepEqual(none.signatureStatus, { state: "none" });
    assert.equal(none.urgent, false);

    const raw = composeVoiceMessage(
      parts({ signatureUnavailable: "signature server timed out after 2 s — überlastet" }),
    );
    assert.ok(
      headerLines(raw).some((h) => h.startsWith("X-Parley-Signature-Status: unavailable (=?UTF-8?B?")),
    );
    const unavailable = await parseVoiceMessage(raw);
    assert.deepEqual(unavailable.signatureStatus, {
      state: "unavailable",
      reason: "signature server timed out after 2 s — überlastet",
    });
    assert.deepEqual(unavailable.signature, {});
  });

  test("a caller name with CR LF cannot inject a header, and long non-ASCII names fold into several encoded-words", async () => {
    const name = `Mallory\r\nBcc: everyone@example.net ${"ä".repeat(80)}`;
    const raw = composeVoiceMessage(parts({ caller: { id: "2001", name } }));
    assert.ok(!headerLines(raw).some((h) => h.startsWith("Bcc:")));
    const parsed = await parseVoiceMessage(raw);
    assert.equal(parsed.callerName, `Mallory  Bcc: everyone@example.net ${"ä".repeat(80)}`);
  });

  test("bad input is refused with SMTP_COMPOSE_INVALID", () => {
    const invalid = (overrides: Partial<VoiceMessageParts>) =>
      assert.throws(() => composeVoiceMessage(parts(overrides)), { code: "SMTP_COMPOSE_INVALID" });
    invalid({ to: [] });
    invalid({ messageId: "no-at-sign" });
    invalid({ from: { address: "a b@example.net" } });
    invalid({ to: [{ address: "x@example.net>\r\nBcc: y@example.net" }] });
    invalid({ durationSeconds: Number.NaN });
    invalid({ signature: { text: "x" }, signatureUnavailable: "both" });
    invalid({ date: new Date(Number.NaN) });
  });

  test("a VPIM message from another vendor yields its audio, spoken name, caller, urgency and duration", async () => {
    const parsed = await parseVoiceMessage(readFileSync(FOREIGN));
    assert.equal(parsed.audio.contentType, "audio/wav");
    assert.equal(parsed.audio.data.toString("ascii", 0, 4), "RIFF");
    assert.equal(parsed.audio.data.toString("ascii", 8, 12), "WAVE");
    assert.equal(parsed.audio.data.readUInt32LE(24), 8000, "sample rate from the fmt chunk");
    assert.equal(parsed.audio.data.readUInt32LE(40), 8000, "one second of 8-bit samples");
    assert.equal(parsed.audio.data.length, 8044);
    assert.equal(
      parsed.signature.voice?.length,
      200,
      "the originator's spoken name stands in for the voice signature",
    );
    assert.equal(parsed.signature.text, undefined);
    assert.equal(parsed.signatureStatus, undefined);
    assert.equal(parsed.callerId, "+15551230002");
    assert.equal(parsed.callerName, "Robin Smith");
    assert.equal(parsed.durationSeconds, 1);
    assert.equal(parsed.urgent, true, "Importance: High");
    assert.equal(parsed.messageId, "vm.20260114.160509.7731@vpim.example.net");
    assert.equal(parsed.date?.toISOString(), "2026-01-14T21:05:09.000Z");
    assert.deepEqual(parsed.to, [{ address: "+4930123456@parley.example" }]);
  });

  test("a message without any audio part is refused with SMTP_MESSAGE_INVALID", async () => {
    const plain = Buffer.from(
      "From: a@example.net\r\nTo: b@example.net\r\nSubject: hello\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: text/plain\r\n\r\nNo voice here.\r\n",
    );
    await assert.rejects(parseVoiceMessage(plain), (error) => {
      assert.ok(error instanceof SmtpMessageError);
      assert.equal(error.code, "SMTP_MESSAGE_INVALID");
      return true;
    });
  });

  test("parse never throws anything but SmtpMessageError on mutated messages", async () => {
    const pattern = (length: number, step: number) =>
      Buffer.from(Array.from({ length }, (_, i) => (i * step) & 0xff));
    const ours = composeVoiceMessage(
      parts({
        audio: wav(pattern(300, 37)),
        urgent: true,
        signature: {
          text: "sig ä",
          voice: wav(pattern(40, 11)),
          image: { data: pattern(50, 13), contentType: "image/png" },
        },
      }),
    );
    const foreign = readFileSync(FOREIGN);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ maxLength: 40 }),
      }),
      fc.record({ kind: fc.constant("drop" as const), at: fc.nat(), length: fc.nat({ max: 200 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(ours, foreign),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        async (base, mutations) => {
          let raw = Buffer.from(base);
          for (const m of mutations) {
            const at = raw.length === 0 ? 0 : m.at % raw.length;
            if (m.kind === "flip") raw[at] = m.byte;
            else if (m.kind === "cut") raw = raw.subarray(0, at);
            else if (m.kind === "insert")
              raw = Buffer.concat([raw.subarray(0, at), Buffer.from(m.bytes), raw.subarray(at)]);
            else raw = Buffer.concat([raw.subarray(0, at), raw.subarray(at + m.length)]);
          }
          try {
            const parsed = await parseVoiceMessage(raw);
            assert.ok(Buffer.isBuffer(parsed.audio.data));
          } catch (error) {
            assert.ok(error instanceof SmtpMessageError, `unexpected ${String(error)}`);
            assert.equal(error.code, "SMTP_MESSAGE_INVALID");
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("composeNonDeliveryNotice", () => {
  test("is an RFC 3464 multipart/report naming each failed recipient, its status and diagnostic, with the original attached", () => {
    const original = composeVoiceMessage(parts());
    const notice = composeNonDeliveryNotice({
      messageId: "ndn-1@parley-a.example",
      date: new Date(Date.UTC(2026, 0, 15, 8, 0, 0)),
      from: { address: "postmaster@parley-a.example", name: "Parley Voicemail" },
      to: { address: "2000@parley-a.example" },
      reportingMta: "parley-a.example",
      failures: [
        {
          recipient: "2001@parley-b.example",
          permanent: true,
          responseCode: 550,
          reply: "550 5.1.1 <2001@parley-b.example>: no such mailbox",
          status: "5.1.1",
          reason: "no such mailbox",
          remoteMta: "parley-b.example",
        },
        {
          recipient: "2002@parley-b.example",
          permanent: false,
          status: "4.4.1",
          reason: "connection refused",
        },
      ],
      lastAttemptDate: new Date(Date.UTC(2026, 0, 15, 7, 59, 0)),
      original,
    });
    const text = notice.toString("latin1");
    assert.match(text, /^Content-Type: multipart\/report; report-type=delivery-status;\r\n boundary="/m);
    assert.match(text, /^Auto-Submitted: auto-replied$/m);
    assert.match(text, /^In-Reply-To: <vm-7f3a9c@parley-a\.example>$/m);
    assert.match(text, /^Reporting-MTA: dns; parley-a\.example$/m);
    assert.match(
      text,
      /Final-Recipient: rfc822; 2001@parley-b\.example\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; parley-b\.example\r\nDiagnostic-Code: smtp; 550 5\.1\.1 <2001@parley-b\.example>: no such mailbox\r\nLast-Attempt-Date: Thu, 15 Jan 2026 07:59:00 \+0000/,
    );
    assert.match(
      text,
      /Final-Recipient: rfc822; 2002@parley-b\.example\r\nAction: failed\r\nStatus: 4\.4\.1\r\n/,
    );
    assert.match(text, /^Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n/m);
    assert.ok(
      notice.includes(original.subarray(0, original.length - 2)),
      "the original is returned unchanged",
    );
  });

  test("returnContent headers returns only the original's header block as text/rfc822-headers", () => {
    const original = composeVoiceMessage(parts());
    const notice = composeNonDeliveryNotice({
      messageId: "ndn-2@parley-a.example",
      date: new Date(0),
      from: { address: "postmaster@parley-a.example" },
      to: { address: "2000@parley-a.example" },
      reportingMta: "parley-a.example",
      failures: [
        { recipient: "2001@parley-b.example", permanent: true, status: "5.4.4", reason: "no route" },
      ],
      original,
      returnContent: "headers",
    }).toString("latin1");
    assert.match(notice, /^Content-Type: text\/rfc822-headers$/m);
    assert.ok(notice.includes("X-Parley-Caller-Id: +4930123456"));
    assert.ok(!notice.includes("Content-Type: audio/wav"), "the recording is not returned");
  });
});
