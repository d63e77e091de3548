import { ImapParseError } from "../errors.ts";
import { astring, type ImapToken } from "./command-parser.ts";

/** A section spec (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.5, BODY[<section>]). */
export interface BodySection {
  /** Part numbers, `[1, 2]` for `1.2`; empty for the whole message. */
  readonly path: readonly number[];
  readonly specifier: "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  /** Header field names for HEADER.FIELDS / HEADER.FIELDS.NOT, as the client wrote them. */
  readonly fields: readonly string[];
}

export type SimpleFetchItem =
  | "UID"
  | "FLAGS"
  | "INTERNALDATE"
  | "RFC822.SIZE"
  | "ENVELOPE"
  | "BODY"
  | "BODYSTRUCTURE"
  | "RFC822"
  | "RFC822.HEADER"
  | "RFC822.TEXT";

export type FetchItem =
  | { readonly kind: "simple"; readonly name: SimpleFetchItem }
  | {
      readonly kind: "section";
      readonly peek: boolean;
      readonly section: BodySection;
      readonly partial: { readonly start: number; readonly length: number } | undefined;
    };

const SIMPLE = new Set<string>([
  "UID",
  "FLAGS",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODY",
  "BODYSTRUCTURE",
  "RFC822",
  "RFC822.HEADER",
  "RFC822.TEXT",
]);

/** §6.4.5: "ALL", "FAST" and "FULL" are macros for lists of items. */
const MACROS: Record<string, readonly SimpleFetchItem[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

const SPECIFIERS = new Set(["", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"]);

function parseSection(tokens: readonly ImapToken[], tag: string | undefined): BodySection {
  const [head, fieldList, ...rest] = tokens;
  if (rest.length > 0) throw new ImapParseError("Invalid section", tag);
  const text = head === undefined ? "" : astring(head, "a section", tag);
  const pieces = text === "" ? [] : text.split(".");
  const path: number[] = [];
  while (pieces.length > 0 && /^\d+$/.test(pieces[0] ?? "")) {
    const n = Number(pieces.shift());
    if (n < 1 || n > 10_000) throw new ImapParseError("Invalid section part number", tag);
    path.push(n);
  }
  const specifier = pieces.join(".").toUpperCase();
  if (!SPECIFIERS.has(specifier) || (specifier === "MIME" && path.length === 0)) {
    throw new ImapParseError("Invalid section", tag);
  }
  const wantsFields = specifier === "HEADER.FIELDS" || specifier === "HEADER.FIELDS.NOT";
  if (wantsFields !== (fieldList !== undefined)) throw new ImapParseError("Invalid section field list", tag);
  let fields: string[] = [];
  if (fieldList) {
    if (fieldList.type !== "list" || fieldList.items.length === 0) {
      throw new ImapParseError("Invalid section field list", tag);
    }
    fields = fieldList.items.map((item) => astring(item, "a header field name", tag));
    if (fields.some((f) => !/^[\x21-\x39\x3b-\x7e]+$/.test(f))) {
      throw new ImapParseError("Invalid header field name", tag);
    }
  }
  return { path, specifier: specifier as BodySection["specifier"], fields };
}

function parseItem(token: ImapToken, tag: string | undefined): FetchItem {
  if (token.type !== "atom") throw new ImapParseError("Invalid fetch item", tag);
  const name = token.value.toUpperCase();
  if (!token.section) {
    if (token.partial || !SIMPLE.has(name))
      throw new ImapParseError(`Unknown fetch item ${token.value}`, tag);
    return { kind: "simple", name: name as SimpleFetchItem };
  }
  if (name !== "BODY" && name !== "BODY.PEEK")
    throw new ImapParseError(`Unknown fetch item ${token.value}`, tag);
  const partial = token.partial;
  if (partial && partial.length === undefined) throw new ImapParseError("Partial without a length", tag);
  return {
    kind: "section",
    peek: name === "BODY.PEEK",
    section: parseSection(token.section, tag),
    partial: partial ? { start: partial.start, length: partial.length ?? 0 } : undefined,
  };
}

/**
 * Reads FETCH's data item argument (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.5): a macro,
 * a single item, or a parenthesised list of items.
 */
export function parseFetchItems(token: ImapToken | undefined, tag?: string): FetchItem[] {
  if (token === undefined) throw new ImapParseError("Missing fetch items", tag);
  if (token.type === "atom" && !token.section) {
    const macro = MACROS[token.value.toUpperCase()];
    if (macro) return macro.map((name) => ({ kind: "simple", name }));
  }
  if (token.type === "list") {
    if (token.items.length === 0) throw new ImapParseError("Empty fetch item list", tag);
    return token.items.map((item) => parseItem(item, tag));
  }
  return [parseItem(token, tag)];
}

/** The section as it is echoed in the response: `1.2.HEADER.FIELDS (FROM)`. */
export function sectionLabel(section: BodySection): string {
  const parts = [...section.path.map(String)];
  if (section.specifier !== "") parts.push(section.specifier);
  const label = parts.join(".");
  if (section.fields.length === 0) return label;
  const names = section.fields.map((f) =>
    /^[A-Za-z0-9-]+$/.test(f) ? f : `"${f.replace(/(["\\])/g, "\\$1")}"`,
  );
  return `${label} (${names.join(" ")})`;
}
