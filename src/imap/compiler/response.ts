/**
 * Server data as RFC 3501 §4 types, before they become bytes: atoms are written as they are,
 * strings as quoted strings when they can be and literals when they cannot, `null` as NIL, numbers
 * as numbers and arrays as parenthesised lists (https://www.rfc-editor.org/rfc/rfc3501#section-4).
 */
export type ResponseItem =
  | { readonly atom: string }
  | { readonly string: string | Buffer }
  | { readonly literal: Buffer }
  | number
  | null
  | readonly ResponseItem[];

export function atom(text: string): ResponseItem {
  return { atom: text };
}

export function str(value: string | Buffer): ResponseItem {
  return { string: value };
}

/** A string, or NIL when there is no value. */
export function nstring(value: string | Buffer | undefined): ResponseItem {
  return value === undefined ? null : { string: value };
}

export function literal(bytes: Buffer): ResponseItem {
  return { literal: bytes };
}

/** A flag list: a parenthesised list of flag atoms (`\\Seen`, keywords). */
export function flagList(flags: readonly string[]): ResponseItem {
  return flags.map((f) => atom(f));
}

/** quoted = DQUOTE *QUOTED-CHAR DQUOTE: 7-bit text without CR, LF or NUL (§9). */
function quotable(bytes: Buffer): boolean {
  if (bytes.length > 1024) return false;
  for (const byte of bytes) if (byte === 0 || byte === 0x0a || byte === 0x0d || byte > 0x7f) return false;
  return true;
}

function isList(item: ResponseItem): item is readonly ResponseItem[] {
  return Array.isArray(item);
}

function compileInto(item: ResponseItem, out: Buffer[]): void {
  if (item === null) {
    out.push(Buffer.from("NIL"));
  } else if (typeof item === "number") {
    out.push(Buffer.from(String(item)));
  } else if (isList(item)) {
    out.push(Buffer.from("("));
    compileList(item, out);
    out.push(Buffer.from(")"));
  } else if ("atom" in item) {
    out.push(Buffer.from(item.atom, "utf8"));
  } else if ("literal" in item) {
    out.push(Buffer.from(`{${item.literal.length}}\r\n`), item.literal);
  } else {
    const bytes = typeof item.string === "string" ? Buffer.from(item.string, "utf8") : item.string;
    if (quotable(bytes)) {
      out.push(Buffer.from(`"${bytes.toString("latin1").replace(/(["\\])/g, "\\$1")}"`, "latin1"));
    } else {
      out.push(Buffer.from(`{${bytes.length}}\r\n`), bytes);
    }
  }
}

function compileList(items: readonly ResponseItem[], out: Buffer[]): void {
  items.forEach((item, i) => {
    if (i > 0) out.push(Buffer.from(" "));
    compileInto(item, out);
  });
}

/** Items joined by single spaces, as one response line's body (without CRLF). */
export function compile(items: readonly ResponseItem[]): Buffer {
  const out: Buffer[] = [];
  compileList(items, out);
  return Buffer.concat(out);
}
