import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  formatMessageSummary,
  type MessageCounts,
  type MessageSummary,
  parseMessageSummary,
  SipParseError,
} from "../../../src/sip/index.ts";

const RUNS = Number(process.env.PARLEY_TEST_FUZZ_RUNS ?? (process.env.CI === "true" ? 5_000 : 20_000));

describe("message-summary bodies (RFC 3842 §5.2)", () => {
  test("formatMessageSummary writes the status line, the account and the voice line with urgent counts", () => {
    assert.equal(
      formatMessageSummary({ new: 2, old: 1, account: "sip:1001@parley.test" }),
      "Messages-Waiting: yes\r\nMessage-Account: sip:1001@parley.test\r\nVoice-Message: 2/1 (0/0)\r\n",
    );
    assert.equal(
      formatMessageSummary({ new: 0, old: 5, urgentNew: 0, urgentOld: 2 }),
      "Messages-Waiting: no\r\nVoice-Message: 0/5 (0/2)\r\n",
    );
  });

  test("Messages-Waiting is yes when any class has new or new urgent messages, unless stated", () => {
    assert.match(formatMessageSummary({ new: 0, old: 0, urgentNew: 1 }), /^Messages-Waiting: yes/);
    assert.match(
      formatMessageSummary({ new: 0, old: 0, others: { "fax-message": { new: 1, old: 0 } } }),
      /^Messages-Waiting: yes/,
    );
    assert.match(formatMessageSummary({ new: 3, old: 0, waiting: false }), /^Messages-Waiting: no/);
  });

  test("other context classes get their own lines after the voice line", () => {
    assert.equal(
      formatMessageSummary({ new: 1, old: 0, others: { "fax-message": { new: 0, old: 2 } } }),
      "Messages-Waiting: yes\r\nVoice-Message: 1/0 (0/0)\r\nFax-Message: 0/2 (0/0)\r\n",
    );
  });

  test("counts outside 0..2^32-1 and a multi-line account are refused with a RangeError", () => {
    assert.throws(() => formatMessageSummary({ new: -1, old: 0 }), RangeError);
    assert.throws(() => formatMessageSummary({ new: 1.5, old: 0 }), RangeError);
    assert.throws(() => formatMessageSummary({ new: 2 ** 32, old: 0 }), RangeError);
    assert.throws(() => formatMessageSummary({ new: 1, old: 0, account: "sip:a@b\r\nEvil: 1" }), RangeError);
  });

  test("parseMessageSummary reads RFC 3842's example", () => {
    const body =
      "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 4/8 (1/2)\r\n";
    assert.deepEqual(parseMessageSummary(body), {
      waiting: true,
      account: "sip:alice@vmail.example.com",
      new: 4,
      old: 8,
      urgentNew: 1,
      urgentOld: 2,
    });
  });

  test("parse is lenient where the grammar allows: header case, spaces, bare LF, no urgent part, extension headers", () => {
    const body =
      "messages-waiting:   NO\nvoice-message: 0 / 3\nX-Vendor: thing\n\nMessage-Account: sip:ignored@x\n";
    assert.deepEqual(parseMessageSummary(Buffer.from(body)), {
      waiting: false,
      new: 0,
      old: 3,
      urgentNew: 0,
      urgentOld: 0,
    });
    assert.deepEqual(parseMessageSummary("Messages-Waiting: yes\r\nFax-Message: 1/0\r\n"), {
      waiting: true,
      new: 0,
      old: 0,
      urgentNew: 0,
      urgentOld: 0,
      others: { "fax-message": { new: 1, old: 0, urgentNew: 0, urgentOld: 0 } },
    });
  });

  test("parse refuses bodies that break the grammar with SipParseError 'Bad message-summary'", () => {
    for (const body of [
      "",
      "Voice-Message: 1/0\r\n",
      "Messages-Waiting: maybe\r\n",
      "Messages-Waiting: yes\r\nMessages-Waiting: no\r\n",
      "Messages-Waiting: yes\r\nVoice-Message: one/two\r\n",
      "Messages-Waiting: yes\r\nVoice-Message: 99999999999/0\r\n",
      "Messages-Waiting: yes\r\nMessage-Account: not a uri\r\n",
      "Messages-Waiting: yes\r\nno colon here\r\n",
    ]) {
      assert.throws(
        () => parseMessageSummary(body),
        (error: unknown) => error instanceof SipParseError && error.reason === "Bad message-summary",
        JSON.stringify(body),
      );
    }
  });

  const count = fc.nat({ max: 2 ** 32 - 1 });
  const counts: fc.Arbitrary<MessageCounts> = fc.record(
    { new: count, old: count, urgentNew: count, urgentOld: count },
    { requiredKeys: ["new", "old"] },
  );
  const summary: fc.Arbitrary<MessageSummary> = fc
    .record(
      {
        counts,
        waiting: fc.boolean(),
        account: fc.webUrl().map((url) => url.replace(/^https?/, "sip")),
        others: fc.record(
          { "fax-message": counts, "text-message": counts, none: counts },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ["counts"] },
    )
    .map(({ counts: c, ...rest }) => ({ ...c, ...rest }));

  /** What parse gives back for a summary: every count explicit, Messages-Waiting decided. */
  function normalised(s: MessageSummary): MessageSummary {
    const full = (c: MessageCounts) => ({
      new: c.new,
      old: c.old,
      urgentNew: c.urgentNew ?? 0,
      urgentOld: c.urgentOld ?? 0,
    });
    const others = Object.entries(s.others ?? {});
    return {
      waiting: parseMessageSummary(formatMessageSummary(s)).waiting as boolean,
      ...full(s),
      ...(s.account === undefined ? {} : { account: s.account }),
      ...(others.length === 0 ? {} : { others: Object.fromEntries(others.map(([k, v]) => [k, full(v)])) }),
    };
  }

  test("property: parse(format(s)) gives s back, with defaults made explicit", () => {
    fc.assert(
      fc.property(summary, (s) => {
        const parsed = parseMessageSummary(formatMessageSummary(s));
        assert.deepEqual(parsed, normalised(s));
        assert.equal(formatMessageSummary(parsed), formatMessageSummary(s));
      }),
      { numRuns: Math.min(RUNS, 5_000) },
    );
  });

  test("property: parse never throws anything but SipParseError, whatever the bytes", () => {
    const lines = fc.array(
      fc.oneof(
        fc.constantFrom(
          "Messages-Waiting: yes",
          "Messages-Waiting: no",
          "Message-Account: sip:a@b",
          "Voice-Message: 1/2 (3/4)",
          "Fax-Message: 0/0",
          "",
          " folded",
          ":",
        ),
        fc.string(),
      ),
      { maxLength: 8 },
    );
    const bodies = fc.oneof(
      lines.map((l) => l.join("\r\n")),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          const parsed = parseMessageSummary(body);
          assert.equal(typeof parsed.waiting, "boolean");
        } catch (error) {
          if (!(error instanceof SipParseError)) throw error;
        }
      }),
      { numRuns: RUNS },
    );
  });
});
