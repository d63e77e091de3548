import { SipParseError } from "../../errors.ts";
import { formatParams, parseParams, quoteIfNeeded, unquote } from "../scanner.ts";
import { parseUri, type Uri } from "../sip-uri.ts";

/**
 * name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route,
 * Refer-To, P-Asserted-Identity (RFC 3261 §20.10, §25.1).
 *
 * §20.10: "If the URI is not enclosed in angle brackets, any semicolon-delimited parameters are
 * header-parameters, not URI parameters." So `sip:a@b;tag=1` has a header `tag`, while
 * `<sip:a@b;tag=1>` has a URI parameter.
 */
export class NameAddr {
  displayName: string | undefined;
  uri: Uri;
  params: Map<string, string | null>;
  /** Whether the URI was (or must be) written in angle brackets. */
  bracketed: boolean;

  constructor(
    uri: Uri,
    init: { displayName?: string; params?: Map<string, string | null>; bracketed?: boolean } = {},
  ) {
    this.uri = uri;
    this.displayName = init.displayName;
    this.params = init.params ?? new Map();
    this.bracketed = init.bracketed ?? true;
  }

  static parse(text: string, header: string): NameAddr {
    const fail = (reason: string): never => {
      throw new SipParseError(`Bad ${header}`, reason);
    };
    const value = text.trim();
    const open = findAngle(value);
    if (open >= 0) {
      const close = value.indexOf(">", open);
      if (close < 0) fail("unterminated <");
      const display = value.slice(0, open).trim();
      let displayName: string | undefined;
      if (display.startsWith('"')) {
        displayName = unquote(display);
        if (displayName === undefined) fail("bad quoted display name");
      } else if (display !== "") {
        if (!/^[^"<>]+$/.test(display)) fail("bad display name");
        displayName = display.replace(/\s+/g, " ");
      }
      const uri = parseHeaderUri(value.slice(open + 1, close).trim(), fail);
      const params = parseParams(value.slice(close + 1), header, fail);
      return new NameAddr(uri, { displayName, params, bracketed: true });
    }
    const semi = value.indexOf(";");
    const uriText = semi < 0 ? value : value.slice(0, semi);
    if (/[\s,?]/.test(uriText)) fail("addr-spec with spaces, commas or ? must use <>");
    const uri = parseHeaderUri(uriText, fail);
    const params = parseParams(semi < 0 ? "" : value.slice(semi), header, fail);
    return new NameAddr(uri, { params, bracketed: false });
  }

  get tag(): string | undefined {
    return this.params.get("tag") ?? undefined;
  }

  set tag(value: string | undefined) {
    if (value === undefined) this.params.delete("tag");
    else this.params.set("tag", value);
  }

  clone(): NameAddr {
    const uri = this.uri.kind === "sip" ? this.uri.clone() : this.uri;
    return new NameAddr(uri, {
      displayName: this.displayName,
      params: new Map(this.params),
      bracketed: this.bracketed,
    });
  }

  toString(): string {
    const uri = this.uri.toString();
    const needsBrackets = this.bracketed || this.displayName !== undefined || /[;,?]/.test(uri);
    const display = this.displayName === undefined ? "" : `${quoteIfNeeded(this.displayName)} `;
    return `${needsBrackets ? `${display}<${uri}>` : uri}${formatParams(this.params)}`;
  }
}

/** Index of the `<` that opens the URI, skipping a quoted display name. */
function findAngle(value: string): number {
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "<") return i;
  }
  return -1;
}

function parseHeaderUri(text: string, fail: (reason: string) => never): Uri {
  try {
    return parseUri(text);
  } catch (error) {
    return fail((error as Error).message);
  }
}
