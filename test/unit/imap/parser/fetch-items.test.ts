import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImapParseError } from "../../../../src/imap/errors.ts";
import { parseCommand } from "../../../../src/imap/parser/command-parser.ts";
import { parseFetchItems, sectionLabel } from "../../../../src/imap/parser/fetch-items.ts";

const items = (text: string) => parseFetchItems(parseCommand(Buffer.from(`A1 FETCH 1 ${text}`)).args[1]);

describe("parseFetchItems", () => {
  test("expands the ALL, FAST and FULL macros", () => {
    assert.deepEqual(
      items("ALL").map((i) => (i.kind === "simple" ? i.name : "")),
      ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    );
    assert.equal(items("FAST").length, 3);
    assert.equal(items("full").length, 5);
  });

  test("reads BODY.PEEK[1.2.HEADER.FIELDS (FROM)]<0.100>", () => {
    const [item] = items("BODY.PEEK[1.2.HEADER.FIELDS (FROM)]<0.100>");
    assert.deepEqual(item, {
      kind: "section",
      peek: true,
      section: { path: [1, 2], specifier: "HEADER.FIELDS", fields: ["FROM"] },
      partial: { start: 0, length: 100 },
    });
    assert.ok(item?.kind === "section");
    assert.equal(sectionLabel(item.section), "1.2.HEADER.FIELDS (FROM)");
  });

  test("reads BODY[], BODY[TEXT], BODY[2.MIME] and a list of simple items", () => {
    const parsed = items("(UID BODY[] BODY[TEXT] BODY[2.MIME] RFC822.SIZE)");
    assert.equal(parsed.length, 5);
    assert.deepEqual(parsed[1], {
      kind: "section",
      peek: false,
      section: { path: [], specifier: "", fields: [] },
      partial: undefined,
    });
    assert.ok(parsed[3]?.kind === "section" && parsed[3].section.specifier === "MIME");
  });

  for (const bad of [
    "BODY[MIME]",
    "BODY[0]",
    "BODY[HEADER.FIELDS]",
    "BODY[TEXT (FROM)]",
    "BODY[]<5>",
    "FOO",
    "()",
    "BODY[1.BOGUS]",
    "FLAGS[1]",
  ]) {
    test(`refuses ${bad}`, () => {
      assert.throws(() => items(bad), ImapParseError);
    });
  }
});
