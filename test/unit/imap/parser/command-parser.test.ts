import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ImapParseError } from "../../../../src/imap/errors.ts";
import { parseCommand } from "../../../../src/imap/parser/command-parser.ts";

const parse = (text: string) => parseCommand(Buffer.from(text, "latin1"));

describe("parseCommand", () => {
  test("reads tag, upper-cased command name and atom arguments", () => {
    const command = parse("a001 login alice secret");
    assert.equal(command.tag, "a001");
    assert.equal(command.name, "LOGIN");
    assert.deepEqual(command.args, [
      { type: "atom", value: "alice" },
      { type: "atom", value: "secret" },
    ]);
  });

  test("joins UID and its subcommand into one name", () => {
    assert.equal(parse("A1 uid fetch 1:* FLAGS").name, "UID FETCH");
  });

  test('reads quoted strings with \\" and \\\\ escapes', () => {
    const command = parse('A1 LOGIN "al\\"ice" "pa\\\\ss word"');
    assert.deepEqual(command.args, [
      { type: "string", value: 'al"ice', literal: false },
      { type: "string", value: "pa\\ss word", literal: false },
    ]);
  });

  test("refuses other escapes in quoted strings, with the tag kept for a tagged BAD", () => {
    assert.throws(
      () => parse('A7 LOGIN "a\\nb" x'),
      (e: unknown) => e instanceof ImapParseError && e.tag === "A7",
    );
  });

  test("reads synchronising and non-synchronising literals as strings", () => {
    const command = parse("A1 LOGIN {5}\r\nalice {6+}\r\nse cr3");
    assert.deepEqual(command.args, [
      { type: "string", value: "alice", literal: true },
      { type: "string", value: "se cr3", literal: true },
    ]);
  });

  test("refuses a literal shorter than announced", () => {
    assert.throws(() => parse("A1 LOGIN {10}\r\nabc"), ImapParseError);
  });

  test("reads nested parenthesised lists", () => {
    const command = parse("A1 STORE 1 +FLAGS (\\Seen (\\Flagged x))");
    assert.deepEqual(command.args[2], {
      type: "list",
      items: [
        { type: "atom", value: "\\Seen" },
        {
          type: "list",
          items: [
            { type: "atom", value: "\\Flagged" },
            { type: "atom", value: "x" },
          ],
        },
      ],
    });
  });

  test("reads BODY.PEEK[1.2.HEADER.FIELDS (FROM)]<0.100> as one atom with section and partial", () => {
    const command = parse('A1 FETCH 1 (UID BODY.PEEK[1.2.HEADER.FIELDS (FROM "To")]<0.100> BODY[])');
    const items = command.args[1];
    assert.equal(items?.type, "list");
    assert.deepEqual(items.type === "list" ? items.items : [], [
      { type: "atom", value: "UID" },
      {
        type: "atom",
        value: "BODY.PEEK",
        section: [
          { type: "atom", value: "1.2.HEADER.FIELDS" },
          {
            type: "list",
            items: [
              { type: "atom", value: "FROM" },
              { type: "string", value: "To", literal: false },
            ],
          },
        ],
        partial: { start: 0, length: 100 },
      },
      { type: "atom", value: "BODY", section: [] },
    ]);
  });

  test("keeps LIST wildcards inside atoms", () => {
    assert.deepEqual(parse('A1 LIST "" INBOX/%*').args[1], { type: "atom", value: "INBOX/%*" });
  });

  for (const [line, why] of [
    ["", "empty line"],
    ["A+1 NOOP", "+ in tag"],
    ["A*1 NOOP", "* in tag"],
    ["(A) NOOP", "( in tag"],
    ["A1", "no command"],
    ["A1 NO-OP", "bad command name"],
    ["A1 LOGIN (a b", "unterminated list"],
    ['A1 LOGIN "abc', "unterminated string"],
    ["A1 LOGIN a  b", "two spaces"],
    ["A1 FETCH 1 BODY[1", "unterminated section"],
    ["A1 FETCH 1 BODY[]<1.x>", "bad partial"],
    ["A1 LOGIN {x}\r\n", "bad literal"],
  ] as const) {
    test(`refuses ${why} with ImapParseError`, () => {
      assert.throws(() => parse(line), ImapParseError);
    });
  }

  test("an unreadable tag gives an untagged error (no tag)", () => {
    assert.throws(
      () => parse("A\\1 NOOP"),
      (e: unknown) => e instanceof ImapParseError && e.tag === undefined,
    );
  });

  test("property: random and mutated command lines throw nothing but ImapParseError", () => {
    const seeds = [
      "A1 LOGIN alice secret",
      'A2 LIST "" "*"',
      "A3 FETCH 1:* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (FROM)]<0.100> UID)",
      "A4 UID STORE 2,4:7 +FLAGS.SILENT (\\Seen \\Deleted)",
      'A5 SEARCH OR FROM "bob" (NOT SEEN) SINCE 1-Feb-2026',
      "A6 LOGIN {5}\r\nalice {6+}\r\nsecret",
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      )
      .map(([seed, edits]) => {
        const bytes = Buffer.from(seed, "latin1");
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return bytes;
      });
    const random = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));
    const structured = fc
      .array(
        fc.constantFrom(
          "A1",
          " ",
          "FETCH",
          "(",
          ")",
          "[",
          "]",
          "<",
          ">",
          "{3}\r\n",
          "{2+}\r\n",
          '"',
          "\\",
          "*",
          ":",
          "1",
          "BODY",
          "x",
        ),
        {
          maxLength: 30,
        },
      )
      .map((parts) => Buffer.from(parts.join(""), "latin1"));
    fc.assert(
      fc.property(fc.oneof(mutated, random, structured), (bytes) => {
        try {
          parseCommand(bytes);
        } catch (error) {
          if (!(error instanceof ImapParseError)) throw error;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
