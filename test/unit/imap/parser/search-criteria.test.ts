import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImapParseError } from "../../../../src/imap/errors.ts";
import { parseCommand } from "../../../../src/imap/parser/command-parser.ts";
import { parseSearch } from "../../../../src/imap/parser/search-criteria.ts";

const search = (text: string) => parseSearch(parseCommand(Buffer.from(`A1 SEARCH ${text}`)).args);

describe("parseSearch", () => {
  test("several keys are an AND", () => {
    const { key } = search("SEEN UNDELETED");
    assert.deepEqual(key, {
      op: "and",
      keys: [
        { op: "flag", flag: "\\Seen", present: true },
        { op: "flag", flag: "\\Deleted", present: false },
      ],
    });
  });

  test("reads OR, NOT and parenthesised groups", () => {
    const { key } = search('OR FROM "bob" (NOT FLAGGED LARGER 100)');
    assert.equal(key.op, "or");
    assert.ok(key.op === "or" && key.right.op === "and");
  });

  test("reads dates as UTC day numbers", () => {
    const { key } = search("SINCE 1-Feb-2026");
    assert.deepEqual(key, {
      op: "date",
      of: "internal",
      compare: "since",
      day: Date.UTC(2026, 1, 1) / 86_400_000,
    });
  });

  test("reads a sequence set and UID set", () => {
    assert.equal(search("2,4:*").key.op, "sequence");
    assert.equal(search("UID 1:3").key.op, "uid");
  });

  test("returns the CHARSET for the command to judge", () => {
    assert.equal(search("CHARSET utf-8 ALL").charset, "UTF-8");
  });

  for (const bad of ["", "BOGUS", "FROM", "SINCE 31-Foo-2026", "LARGER x", "UID 0", "OR SEEN", "()"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseSearch(bad === "" ? [] : parseCommand(Buffer.from(`A1 SEARCH ${bad}`)).args),
        ImapParseError,
      );
    });
  }
});
