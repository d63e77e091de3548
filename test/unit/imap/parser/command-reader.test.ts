import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CommandReader } from "../../../../src/imap/parser/command-reader.ts";

const text = (events: ReturnType<CommandReader["push"]>) =>
  events.map((e) =>
    e.kind === "command"
      ? `command:${e.bytes.toString("latin1")}`
      : e.kind === "reject"
        ? `reject:${e.tag}`
        : e.kind,
  );

describe("CommandReader", () => {
  test("splits pipelined commands at CRLF and waits for the rest of a partial line", () => {
    const reader = new CommandReader(1024);
    assert.deepEqual(text(reader.push(Buffer.from("A1 NOOP\r\nA2 CAPA"))), ["command:A1 NOOP"]);
    assert.deepEqual(text(reader.push(Buffer.from("BILITY\r\n"))), ["command:A2 CAPABILITY"]);
  });

  test("asks for a synchronising literal's bytes with a continuation, then reads them whole", () => {
    const reader = new CommandReader(1024);
    assert.deepEqual(text(reader.push(Buffer.from("A1 LOGIN {5}\r\n"))), ["continue"]);
    assert.deepEqual(text(reader.push(Buffer.from("ali"))), []);
    assert.deepEqual(text(reader.push(Buffer.from("ce secret\r\n"))), [
      "command:A1 LOGIN {5}\r\nalice secret",
    ]);
  });

  test("reads a literal holding CRLF without ending the command there", () => {
    const reader = new CommandReader(1024);
    const events = reader.push(Buffer.from("A1 X {4+}\r\na\r\nb Y\r\n"));
    assert.deepEqual(text(events), ["command:A1 X {4+}\r\na\r\nb Y"]);
  });

  test("a non-synchronising literal gets no continuation", () => {
    const reader = new CommandReader(1024);
    assert.deepEqual(text(reader.push(Buffer.from("A1 LOGIN {5+}\r\nalice x\r\n"))), [
      "command:A1 LOGIN {5+}\r\nalice x",
    ]);
  });

  test("refuses a synchronising literal over the limit with the command's tag and keeps reading", () => {
    const reader = new CommandReader(1024);
    assert.deepEqual(text(reader.push(Buffer.from("A9 APPEND INBOX {10485760}\r\nA10 NOOP\r\n"))), [
      "reject:A9",
      "command:A10 NOOP",
    ]);
  });

  test("gives up on a non-synchronising literal over the limit (RFC 7888 lets the server close)", () => {
    const reader = new CommandReader(1024);
    assert.deepEqual(text(reader.push(Buffer.from("A9 APPEND INBOX {10485760+}\r\nxxxx"))), ["overflow"]);
    assert.deepEqual(text(reader.push(Buffer.from("A10 NOOP\r\n"))), []);
  });

  test("gives up on a line that grows past the limit without CRLF", () => {
    const reader = new CommandReader(64);
    assert.deepEqual(text(reader.push(Buffer.alloc(100, 0x41))), ["overflow"]);
  });

  test("counts lines and literals together against the limit", () => {
    const reader = new CommandReader(40);
    assert.deepEqual(text(reader.push(Buffer.from("A1 X {10}\r\n0123456789 {20}\r\n"))), [
      "continue",
      "reject:A1",
    ]);
  });

  test("reset() drops what was buffered (STARTTLS)", () => {
    const reader = new CommandReader(1024);
    reader.push(Buffer.from("A2 LOGIN al"));
    reader.reset();
    assert.deepEqual(text(reader.push(Buffer.from("A3 NOOP\r\n"))), ["command:A3 NOOP"]);
  });
});
