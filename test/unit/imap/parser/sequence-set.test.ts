import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImapParseError } from "../../../../src/imap/errors.ts";
import { compactSet, SequenceSet } from "../../../../src/imap/parser/sequence-set.ts";

const members = (text: string, largest: number) =>
  Array.from({ length: largest }, (_, i) => i + 1).filter((n) =>
    SequenceSet.parse(text).contains(n, largest),
  );

describe("SequenceSet", () => {
  test("1:* covers every number up to the largest in use", () => {
    assert.deepEqual(members("1:*", 4), [1, 2, 3, 4]);
  });

  test("lists and ranges combine: 2,4:7", () => {
    assert.deepEqual(members("2,4:7", 9), [2, 4, 5, 6, 7]);
  });

  test("* alone is the largest number; ranges may be written high to low", () => {
    assert.deepEqual(members("*", 5), [5]);
    assert.deepEqual(members("4:2", 5), [2, 3, 4]);
    assert.deepEqual(members("7:*", 5), [5], "n:* with n past the end still names the last one");
  });

  test("largestNumber ignores *", () => {
    assert.equal(SequenceSet.parse("3,9:*").largestNumber, 9);
  });

  for (const bad of ["", "0", "1:0", "a", "1,", ",1", "1::2", "1:2:3", "01", "-1", "1 2", "99999999999"]) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => SequenceSet.parse(bad), ImapParseError);
    });
  }

  test("compactSet writes ascending runs as ranges", () => {
    assert.equal(compactSet([5, 1, 2, 3, 9]), "1:3,5,9");
  });
});
