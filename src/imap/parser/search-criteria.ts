import { ImapParseError } from "../errors.ts";
import { astring, type ImapToken } from "./command-parser.ts";
import { SequenceSet } from "./sequence-set.ts";

/** One search key of https://www.rfc-editor.org/rfc/rfc3501#section-6.4.4, as a tree. */
export type SearchKey =
  | { readonly op: "all" }
  | { readonly op: "flag"; readonly flag: string; readonly present: boolean }
  | { readonly op: "recent"; readonly present: boolean }
  /** NEW is RECENT and not SEEN (§6.4.4). */
  | { readonly op: "new" }
  | { readonly op: "header"; readonly field: string; readonly value: string }
  | { readonly op: "body"; readonly value: string }
  | { readonly op: "text"; readonly value: string }
  | {
      readonly op: "date";
      readonly of: "internal" | "sent";
      readonly compare: "before" | "on" | "since";
      /** Days since the epoch (UTC), "disregarding time and timezone". */
      readonly day: number;
    }
  | { readonly op: "size"; readonly compare: "larger" | "smaller"; readonly octets: number }
  | { readonly op: "uid"; readonly set: SequenceSet }
  | { readonly op: "sequence"; readonly set: SequenceSet }
  | { readonly op: "not"; readonly key: SearchKey }
  | { readonly op: "or"; readonly left: SearchKey; readonly right: SearchKey }
  | { readonly op: "and"; readonly keys: readonly SearchKey[] };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

const FLAG_KEYS: Record<string, readonly [flag: string, present: boolean]> = {
  ANSWERED: ["\\Answered", true],
  DELETED: ["\\Deleted", true],
  DRAFT: ["\\Draft", true],
  FLAGGED: ["\\Flagged", true],
  SEEN: ["\\Seen", true],
  UNANSWERED: ["\\Answered", false],
  UNDELETED: ["\\Deleted", false],
  UNDRAFT: ["\\Draft", false],
  UNFLAGGED: ["\\Flagged", false],
  UNSEEN: ["\\Seen", false],
};

const HEADER_KEYS: Record<string, string> = {
  FROM: "from",
  TO: "to",
  CC: "cc",
  BCC: "bcc",
  SUBJECT: "subject",
};

const DATE_KEYS: Record<string, readonly ["internal" | "sent", "before" | "on" | "since"]> = {
  BEFORE: ["internal", "before"],
  ON: ["internal", "on"],
  SINCE: ["internal", "since"],
  SENTBEFORE: ["sent", "before"],
  SENTON: ["sent", "on"],
  SENTSINCE: ["sent", "since"],
};

/** date = 1*2DIGIT "-" date-month "-" 4DIGIT, quoted or not (§9 `date`). */
function parseDay(text: string, tag: string | undefined): number {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = match ? MONTHS.indexOf((match[2] ?? "").toUpperCase()) : -1;
  const day = Number(match?.[1]);
  if (!match || month < 0 || day < 1 || day > 31) throw new ImapParseError("Invalid date", tag);
  return Math.floor(Date.UTC(Number(match[3]), month, day) / 86_400_000);
}

/** Reads search keys one by one from a token list; used by parseSearch only. */
class SearchReader {
  readonly #tokens: readonly ImapToken[];
  readonly #tag: string | undefined;
  #pos = 0;

  constructor(tokens: readonly ImapToken[], tag: string | undefined) {
    this.#tokens = tokens;
    this.#tag = tag;
  }

  get atEnd(): boolean {
    return this.#pos >= this.#tokens.length;
  }

  #next(what: string): ImapToken {
    const token = this.#tokens[this.#pos++];
    if (token === undefined) throw new ImapParseError(`Missing ${what}`, this.#tag);
    return token;
  }

  #string(what: string): string {
    return astring(this.#next(what), what, this.#tag);
  }

  key(depth: number): SearchKey {
    if (depth > 32) throw new ImapParseError("Search nested too deeply", this.#tag);
    const token = this.#next("search key");
    if (token.type === "list") {
      const inner = new SearchReader(token.items, this.#tag);
      const keys: SearchKey[] = [];
      while (!inner.atEnd) keys.push(inner.key(depth + 1));
      if (keys.length === 0) throw new ImapParseError("Empty search list", this.#tag);
      return keys.length === 1 ? (keys[0] as SearchKey) : { op: "and", keys };
    }
    if (token.type !== "atom" || token.section) throw new ImapParseError("Invalid search key", this.#tag);
    const name = token.value.toUpperCase();
    const flag = FLAG_KEYS[name];
    if (flag) return { op: "flag", flag: flag[0], present: flag[1] };
    const header = HEADER_KEYS[name];
    if (header) return { op: "header", field: header, value: this.#string("search string") };
    const date = DATE_KEYS[name];
    if (date)
      return { op: "date", of: date[0], compare: date[1], day: parseDay(this.#string("date"), this.#tag) };
    switch (name) {
      case "ALL":
        return { op: "all" };
      case "NEW":
        return { op: "new" };
      case "OLD":
        return { op: "recent", present: false };
      case "RECENT":
        return { op: "recent", present: true };
      case "KEYWORD":
      case "UNKEYWORD":
        return { op: "flag", flag: this.#string("keyword"), present: name === "KEYWORD" };
      case "HEADER": {
        const field = this.#string("header field name");
        return { op: "header", field: field.toLowerCase(), value: this.#string("search string") };
      }
      case "BODY":
        return { op: "body", value: this.#string("search string") };
      case "TEXT":
        return { op: "text", value: this.#string("search string") };
      case "LARGER":
      case "SMALLER": {
        const text = this.#string("size");
        if (!/^\d{1,10}$/.test(text)) throw new ImapParseError("Invalid size", this.#tag);
        return { op: "size", compare: name === "LARGER" ? "larger" : "smaller", octets: Number(text) };
      }
      case "UID":
        return { op: "uid", set: SequenceSet.parse(this.#string("UID set"), this.#tag) };
      case "NOT":
        return { op: "not", key: this.key(depth + 1) };
      case "OR":
        return { op: "or", left: this.key(depth + 1), right: this.key(depth + 1) };
      default:
        if (/^[\d*:,]+$/.test(name)) return { op: "sequence", set: SequenceSet.parse(name, this.#tag) };
        throw new ImapParseError(`Unknown search key ${token.value}`, this.#tag);
    }
  }
}

/**
 * Reads SEARCH's arguments (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.4): an optional
 * `CHARSET name`, then keys that all must match. Returns the charset (upper-cased) separately so
 * the command can refuse ones it does not know with `NO [BADCHARSET]`.
 */
export function parseSearch(args: readonly ImapToken[], tag?: string): { charset: string; key: SearchKey } {
  let tokens = args;
  let charset = "US-ASCII";
  const first = tokens[0];
  if (first?.type === "atom" && first.value.toUpperCase() === "CHARSET") {
    charset = astring(tokens[1], "charset name", tag).toUpperCase();
    tokens = tokens.slice(2);
  }
  const reader = new SearchReader(tokens, tag);
  const keys: SearchKey[] = [];
  while (!reader.atEnd) keys.push(reader.key(0));
  if (keys.length === 0) throw new ImapParseError("Missing search criteria", tag);
  return { charset, key: keys.length === 1 ? (keys[0] as SearchKey) : { op: "and", keys } };
}
