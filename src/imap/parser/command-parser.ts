import { ImapParseError } from "../errors.ts";

/**
 * One argument of a command, as the RFC 3501 §9 grammar builds them: atoms (with an optional
 * `[section]<partial>` tail for FETCH's BODY[...] items), strings (quoted or literal) and
 * parenthesised lists.
 */
export type ImapToken =
  | {
      readonly type: "atom";
      readonly value: string;
      /** The bracketed part of `BODY[1.HEADER.FIELDS (FROM)]`, when there is one. */
      readonly section?: readonly ImapToken[];
      /** The `<start.length>` tail after a section. */
      readonly partial?: { readonly start: number; readonly length: number | undefined };
    }
  | { readonly type: "string"; readonly value: string; readonly literal: boolean }
  | { readonly type: "list"; readonly items: readonly ImapToken[] };

export interface ParsedCommand {
  readonly tag: string;
  /** Upper-cased command name; `UID FETCH` style for the UID family. */
  readonly name: string;
  readonly args: readonly ImapToken[];
}

/** tag = 1*<any ASTRING-CHAR except "+"> (https://www.rfc-editor.org/rfc/rfc3501#section-9). */
export const TAG_PATTERN = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]+$/;

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 32;

function isAtomStop(byte: number, inSection: boolean): boolean {
  return (
    byte <= 0x1f ||
    byte === 0x7f ||
    byte === SP ||
    byte === 0x28 || // (
    byte === 0x29 || // )
    byte === 0x7b || // {
    byte === DQUOTE ||
    byte === 0x5b || // [
    (inSection && byte === 0x5d) // ]
  );
}

/**
 * Reads one command (as CommandReader framed it) into tag, name and arguments
 * (https://www.rfc-editor.org/rfc/rfc3501#section-9, `command`). Every violation throws
 * ImapParseError, carrying the tag once it is known so the answer can be a tagged BAD.
 */
export function parseCommand(bytes: Buffer): ParsedCommand {
  const tagEnd = bytes.indexOf(SP);
  const tag = bytes.subarray(0, tagEnd < 0 ? bytes.length : tagEnd).toString("latin1");
  if (!TAG_PATTERN.test(tag)) throw new ImapParseError("Invalid tag");
  if (tagEnd < 0) throw new ImapParseError("Missing command", tag);
  const reader = new TokenReader(bytes, tagEnd + 1, tag);
  let name = reader.commandName();
  if (name === "UID") {
    reader.space();
    name = `UID ${reader.commandName()}`;
  }
  const args: ImapToken[] = [];
  while (!reader.atEnd) {
    reader.space();
    args.push(reader.token(0, false));
  }
  return { tag, name, args };
}

/** A cursor over a command's bytes; used by parseCommand only. */
class TokenReader {
  readonly #bytes: Buffer;
  readonly #tag: string;
  #pos: number;

  constructor(bytes: Buffer, pos: number, tag: string) {
    this.#bytes = bytes;
    this.#pos = pos;
    this.#tag = tag;
  }

  get atEnd(): boolean {
    return this.#pos >= this.#bytes.length;
  }

  #error(message: string): never {
    throw new ImapParseError(message, this.#tag);
  }

  commandName(): string {
    const start = this.#pos;
    while (!this.atEnd && /[A-Za-z0-9]/.test(String.fromCharCode(this.#bytes[this.#pos] ?? 0))) this.#pos++;
    if (this.#pos === start) this.#error("Missing command name");
    if (!this.atEnd && this.#bytes[this.#pos] !== SP) this.#error("Invalid command name");
    return this.#bytes.subarray(start, this.#pos).toString("latin1").toUpperCase();
  }

  space(): void {
    if (this.#bytes[this.#pos] !== SP) this.#error("Expected a space");
    this.#pos++;
  }

  token(depth: number, inSection: boolean): ImapToken {
    if (depth > MAX_DEPTH) this.#error("Lists nested too deeply");
    const byte = this.#bytes[this.#pos];
    if (byte === undefined) this.#error("Unexpected end of command");
    if (byte === 0x28) return this.#list(depth);
    if (byte === DQUOTE) return this.#quoted();
    if (byte === 0x7b) return this.#literal();
    return this.#atom(depth, inSection);
  }

  #list(depth: number): ImapToken {
    this.#pos++; // (
    const items: ImapToken[] = [];
    for (;;) {
      const byte = this.#bytes[this.#pos];
      if (byte === undefined) this.#error("Unterminated list");
      if (byte === 0x29) {
        this.#pos++;
        return { type: "list", items };
      }
      if (items.length > 0) this.space();
      items.push(this.token(depth + 1, false));
    }
  }

  #quoted(): ImapToken {
    this.#pos++; // "
    const out: number[] = [];
    for (;;) {
      const byte = this.#bytes[this.#pos++];
      if (byte === undefined) this.#error("Unterminated quoted string");
      if (byte === DQUOTE) break;
      if (byte === 0x0d || byte === 0x0a || byte === 0) this.#error("Line break in quoted string");
      if (byte === BACKSLASH) {
        const next = this.#bytes[this.#pos++];
        if (next !== DQUOTE && next !== BACKSLASH) this.#error("Invalid escape in quoted string");
        out.push(next);
      } else {
        out.push(byte);
      }
    }
    return { type: "string", value: Buffer.from(out).toString("utf8"), literal: false };
  }

  #literal(): ImapToken {
    const close = this.#bytes.indexOf(0x7d, this.#pos);
    const spec = close < 0 ? "" : this.#bytes.subarray(this.#pos + 1, close).toString("latin1");
    const match = /^(\d{1,20})\+?$/.exec(spec);
    if (!match) this.#error("Invalid literal");
    const length = Number(match[1]);
    const start = close + 3;
    if (this.#bytes[close + 1] !== 0x0d || this.#bytes[close + 2] !== 0x0a)
      this.#error("Literal without CRLF");
    if (start + length > this.#bytes.length) this.#error("Literal shorter than announced");
    this.#pos = start + length;
    return {
      type: "string",
      value: this.#bytes.subarray(start, start + length).toString("utf8"),
      literal: true,
    };
  }

  #atom(depth: number, inSection: boolean): ImapToken {
    const start = this.#pos;
    while (!this.atEnd && !isAtomStop(this.#bytes[this.#pos] ?? 0, inSection)) this.#pos++;
    const value = this.#bytes.subarray(start, this.#pos).toString("utf8");
    if (this.#bytes[this.#pos] !== 0x5b) {
      if (value === "") this.#error("Unexpected character");
      return { type: "atom", value };
    }
    if (value === "") this.#error("Section without a name");
    this.#pos++; // [
    const section: ImapToken[] = [];
    for (;;) {
      const byte = this.#bytes[this.#pos];
      if (byte === undefined) this.#error("Unterminated section");
      if (byte === 0x5d) {
        this.#pos++;
        break;
      }
      if (section.length > 0) this.space();
      section.push(this.token(depth + 1, true));
    }
    if (this.#bytes[this.#pos] !== 0x3c) return { type: "atom", value, section };
    const close = this.#bytes.indexOf(0x3e, this.#pos);
    const spec = close < 0 ? "" : this.#bytes.subarray(this.#pos + 1, close).toString("latin1");
    const match = /^(\d{1,10})(?:\.(\d{1,10}))?$/.exec(spec);
    if (!match) this.#error("Invalid partial");
    this.#pos = close + 1;
    const partial = {
      start: Number(match[1]),
      length: match[2] === undefined ? undefined : Number(match[2]),
    };
    return { type: "atom", value, section, partial };
  }
}

/** The text of an atom or string argument (astring), or a parse error naming what was expected. */
export function astring(token: ImapToken | undefined, what: string, tag?: string): string {
  if (token?.type === "string") return token.value;
  if (token?.type === "atom" && !token.section) return token.value;
  throw new ImapParseError(`Expected ${what}`, tag);
}

/** An atom's text (case kept), or a parse error naming what was expected. */
export function atom(token: ImapToken | undefined, what: string, tag?: string): string {
  if (token?.type === "atom" && !token.section) return token.value;
  throw new ImapParseError(`Expected ${what}`, tag);
}

/** The items of a parenthesised list, or a parse error naming what was expected. */
export function list(token: ImapToken | undefined, what: string, tag?: string): readonly ImapToken[] {
  if (token?.type === "list") return token.items;
  throw new ImapParseError(`Expected ${what}`, tag);
}
