import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { compile } from "../../../../src/imap/compiler/response.ts";
import { sectionBytes } from "../../../../src/imap/message/body-section.ts";
import { bodyStructure } from "../../../../src/imap/message/body-structure.ts";
import { addressList, envelope } from "../../../../src/imap/message/envelope.ts";
import { parseMimeStructure } from "../../../../src/imap/message/mime-structure.ts";
import type { BodySection } from "../../../../src/imap/parser/fetch-items.ts";
import { voiceMessage } from "../test-server.ts";

const section = (
  path: number[],
  specifier: BodySection["specifier"] = "",
  fields: string[] = [],
): BodySection => ({
  path,
  specifier,
  fields,
});

const EXPECTED_BODYSTRUCTURE =
  '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 119 5 NIL NIL NIL NIL)' +
  ' ("AUDIO" "WAV" ("NAME" "message.wav") NIL "Voice message" "BASE64" 16484 NIL ("ATTACHMENT" ("FILENAME" "message.wav")) NIL NIL)' +
  ' ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 51 1 NIL ("ATTACHMENT" ("FILENAME" "signature.txt")) NIL NIL)' +
  ' ("AUDIO" "WAV" ("NAME" "signature.wav") NIL NIL "BASE64" 5534 NIL ("ATTACHMENT" ("FILENAME" "signature.wav")) NIL NIL)' +
  ' ("IMAGE" "PNG" ("NAME" "signature.png") NIL NIL "BASE64" 230 NIL ("ATTACHMENT" ("FILENAME" "signature.png")) NIL NIL)' +
  ' "MIXED" ("BOUNDARY" "----=_Parley_VM_0001") NIL NIL NIL)';

const EXPECTED_ENVELOPE =
  '("Thu, 15 Jan 2026 09:30:12 +0100" "Voice message from +33 1 23 45 67 89 (0:01)"' +
  ' (("Parley Voicemail" NIL "voicemail" "parley.example")) ((NIL NIL "voicemail" "parley.example"))' +
  ' (("Parley Voicemail" NIL "voicemail" "parley.example")) (("Alice Martin" NIL "alice" "parley.example"))' +
  ' ((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL)) NIL NIL "<vm-20260115-093012-0001@parley.example>")';

describe("MIME structure of the voicemail fixture", () => {
  const raw = voiceMessage();
  const root = parseMimeStructure(raw);

  test("BODYSTRUCTURE lists the five parts with sizes, text lines, dispositions and the boundary", () => {
    assert.equal(compile([bodyStructure(raw, root, true)]).toString(), EXPECTED_BODYSTRUCTURE);
  });

  test("BODY is BODYSTRUCTURE without extension data", () => {
    const body = compile([bodyStructure(raw, root, false)]).toString();
    assert.ok(body.startsWith('(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 119 5) ("AUDIO"'));
    assert.ok(body.endsWith('"BASE64" 230) "MIXED")'));
  });

  test("ENVELOPE: sender from Sender, reply-to defaults to From, a group for Cc", () => {
    assert.equal(compile([envelope(root)]).toString(), EXPECTED_ENVELOPE);
  });

  test("BODY[2] is the base64 of the 8 kHz WAV, byte for byte", () => {
    const part = sectionBytes(raw, root, section([2]));
    assert.ok(part);
    const wav = Buffer.from(part.toString("ascii"), "base64");
    assert.equal(wav.subarray(0, 4).toString(), "RIFF");
    assert.equal(wav.readUInt32LE(24), 8000, "sample rate");
    assert.equal(wav.length, 12044);
    assert.equal(
      createHash("sha256").update(wav).digest("hex"),
      "401b42e51fef1e22a414d5a0f080ee65bec43c740fff0f730b70713932b90976",
    );
  });

  test("BODY[1] is the summary text without the CRLF that belongs to the next boundary", () => {
    const text = sectionBytes(raw, root, section([1]))?.toString();
    assert.ok(text?.startsWith("You have a new voice message.\r\n"));
    assert.ok(text?.endsWith("Length: 1 second\r\n"));
  });

  test("BODY[3.MIME] is the part header through its empty line", () => {
    assert.equal(
      sectionBytes(raw, root, section([3], "MIME"))?.toString(),
      "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n" +
        'Content-Disposition: attachment; filename="signature.txt"\r\nX-Parley-Signature: text\r\n\r\n',
    );
  });

  test("BODY[HEADER] and BODY[TEXT] split the message at the first empty line", () => {
    const header = sectionBytes(raw, root, section([], "HEADER"));
    const text = sectionBytes(raw, root, section([], "TEXT"));
    assert.ok(header && text);
    assert.ok(header.toString().endsWith('boundary="----=_Parley_VM_0001"\r\n\r\n'));
    assert.deepEqual(Buffer.concat([header, text]), raw);
  });

  test("BODY[HEADER.FIELDS (FROM X-PARLEY-CALLER)] keeps those fields and ends with an empty line", () => {
    assert.equal(
      sectionBytes(raw, root, section([], "HEADER.FIELDS", ["from", "X-PARLEY-CALLER"]))?.toString(),
      'From: "Parley Voicemail" <voicemail@parley.example>\r\nX-Parley-Caller: sip:+33123456789@trunk.parley.example\r\n\r\n',
    );
  });

  test("HEADER.FIELDS.NOT keeps folded fields whole", () => {
    const rest = sectionBytes(
      raw,
      root,
      section([], "HEADER.FIELDS.NOT", ["from", "to", "cc", "date"]),
    )?.toString();
    assert.ok(rest?.includes('Content-Type: multipart/mixed;\r\n boundary="----=_Parley_VM_0001"\r\n'));
    assert.ok(!rest?.includes("From:"));
  });

  test("a part number that does not exist names nothing", () => {
    assert.equal(sectionBytes(raw, root, section([6])), undefined);
    assert.equal(sectionBytes(raw, root, section([1, 2])), undefined);
  });
});

describe("MIME structure of other shapes", () => {
  test("a non-multipart message has a part 1: its body", () => {
    const raw = Buffer.from("Subject: x\r\n\r\nline one\r\nline two");
    const root = parseMimeStructure(raw);
    assert.equal(sectionBytes(raw, root, section([1]))?.toString(), "line one\r\nline two");
    assert.equal(
      compile([bodyStructure(raw, root, false)]).toString(),
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 18 2)',
    );
  });

  test("message/rfc822 parts carry envelope, body and lines; 2.HEADER and 2.1 reach inside", () => {
    const inner = "From: carol@parley.example\r\nSubject: inner\r\n\r\nInner body\r\n";
    const raw = Buffer.from(
      'Subject: outer\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' +
        "--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n" +
        `--b\r\nContent-Type: message/rfc822\r\n\r\n${inner}` +
        "--b--\r\n",
    );
    const root = parseMimeStructure(raw);
    assert.equal(
      sectionBytes(raw, root, section([2], "HEADER"))?.toString(),
      "From: carol@parley.example\r\nSubject: inner\r\n\r\n",
    );
    assert.equal(sectionBytes(raw, root, section([2, 1]))?.toString(), "Inner body");
    assert.equal(sectionBytes(raw, root, section([2]))?.toString(), inner.slice(0, -2));
    const structure = compile([bodyStructure(raw, root, false)]).toString();
    assert.match(
      structure,
      /\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 56 \(NIL "inner" \(\(NIL NIL "carol" "parley.example"\)\)/,
    );
    assert.match(structure, /\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL "7BIT" 10 1\) 4\) "MIXED"\)$/);
  });

  test("bare LF line ends and a missing closing boundary are tolerated", () => {
    const raw = Buffer.from(
      "Content-Type: multipart/alternative; boundary=zz\n\n--zz\n\none\n--zz\nContent-Type: text/html\n\n<p>two</p>\n",
    );
    const root = parseMimeStructure(raw);
    assert.equal(root.children.length, 2);
    assert.equal(sectionBytes(raw, root, section([1]))?.toString(), "one");
    assert.equal(sectionBytes(raw, root, section([2]))?.toString(), "<p>two</p>\n");
  });

  test("a multipart without its boundary is described as text/plain", () => {
    const raw = Buffer.from("Content-Type: multipart/mixed\r\n\r\nno parts here\r\n");
    assert.equal(
      compile([bodyStructure(raw, parseMimeStructure(raw), false)]).toString(),
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 15 1)',
    );
  });

  test("property-free robustness: garbage parses without throwing", () => {
    for (const text of [
      "",
      "\r\n",
      "::::\r\n\r\n",
      'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n',
      "Content-Type: /\r\n\r\n",
    ]) {
      const raw = Buffer.from(text);
      const root = parseMimeStructure(raw);
      compile([bodyStructure(raw, root, true), envelope(root)]);
    }
  });
});

describe("addressList", () => {
  test("reads display names, bare addresses, comments and quoted commas", () => {
    assert.equal(
      compile([
        addressList('"Martin, Alice" <alice@parley.example>, bob@parley.example (Bob B), <carol@x>'),
      ]).toString(),
      '(("Martin, Alice" NIL "alice" "parley.example") ("Bob B" NIL "bob" "parley.example") (NIL NIL "carol" "x"))',
    );
  });

  test("marks groups with start and end entries", () => {
    assert.equal(
      compile([addressList("Team: a@x, b@y;")]).toString(),
      '((NIL NIL "Team" NIL) (NIL NIL "a" "x") (NIL NIL "b" "y") (NIL NIL NIL NIL))',
    );
  });

  test("is NIL when absent or empty", () => {
    assert.equal(addressList(undefined), null);
    assert.equal(addressList(""), null);
  });
});
