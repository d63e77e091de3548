import { SipParseError } from "../errors.ts";
import { CSeq } from "./headers/cseq.ts";
import { NameAddr } from "./headers/name-addr.ts";
import { Via } from "./headers/via.ts";
import type { SipHeaders } from "./sip-headers.ts";

const EMPTY = Buffer.alloc(0);

function callIdOf(h: SipHeaders): string {
  const value = h.get("call-id")?.trim();
  if (!value) throw new SipParseError("Missing Call-ID");
  if (/\s/.test(value)) throw new SipParseError("Bad Call-ID", "whitespace inside");
  return value;
}
function cseqOf(h: SipHeaders): CSeq {
  const rows = h.lines("cseq");
  if (rows.length === 0) throw new SipParseError("Missing CSeq");
  if (rows.length > 1) throw new SipParseError("Bad CSeq", "more than one CSeq");
  return CSeq.parse(rows[0] as string);
}
function fromOf(h: SipHeaders): NameAddr {
  return single(h, "from", "From");
}
function toOf(h: SipHeaders): NameAddr {
  return single(h, "to", "To");
}
function single(h: SipHeaders, key: string, label: string): NameAddr {
  const rows = h.lines(key);
  if (rows.length === 0) throw new SipParseError(`Missing ${label}`);
  if (rows.length > 1) throw new SipParseError(`Bad ${label}`, `more than one ${label}`);
  return NameAddr.parse(rows[0] as string, label);
}
function viasOf(h: SipHeaders): Via[] {
  return h.values("via").map((v) => Via.parse(v));
}
function contactsOf(h: SipHeaders): NameAddr[] | "*" {
  const values = h.values("contact");
  if (values.length === 1 && values[0] === "*") return "*";
  if (values.includes("*")) throw new SipParseError("Bad Contact", "* mixed with addresses");
  return values.map((v) => NameAddr.parse(v, "Contact"));
}
function maxForwardsOf(h: SipHeaders): number | undefined {
  const value = h.get("max-forwards");
  if (value === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(value) || Number(value) > 255) throw new SipParseError("Bad Max-Forwards");
  return Number(value);
}
function expiresOf(h: SipHeaders): number | undefined {
  const value = h.get("expires");
  if (value === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(value)) throw new SipParseError("Bad Expires");
  return Math.min(Number(value), 2 ** 32 - 1);
}

/**
 * What requests and responses share (RFC 3261 §7): headers, body, and typed access to the
 * headers the stack reads. Typed getters throw SipParseError when a header is missing or
 * malformed; the parser calls them once up front, so a message that reached a handler has them.
 */
export abstract class SipMessage {
  readonly headers: SipHeaders;
  body: Buffer;

  protected constructor(headers: SipHeaders, body: Buffer = EMPTY) {
    this.headers = headers;
    this.body = body;
  }

  abstract startLine(): string;

  get callId(): string {
    return this.headers.parsed("call-id", callIdOf);
  }

  get cseq(): CSeq {
    return this.headers.parsed("cseq", cseqOf);
  }

  get from(): NameAddr {
    return this.headers.parsed("from", fromOf);
  }

  get to(): NameAddr {
    return this.headers.parsed("to", toOf);
  }

  /** Every Via value, top first. */
  get vias(): Via[] {
    return this.headers.parsed("via", viasOf);
  }

  get topVia(): Via {
    const top = this.vias[0];
    if (!top) throw new SipParseError("Missing Via");
    return top;
  }

  /** Contact addresses, or "*" (REGISTER only, RFC 3261 §10.2.2). */
  get contacts(): NameAddr[] | "*" {
    return this.headers.parsed("contact", contactsOf);
  }

  get maxForwards(): number | undefined {
    return this.headers.parsed("max-forwards", maxForwardsOf);
  }

  get expires(): number | undefined {
    return this.headers.parsed("expires", expiresOf);
  }

  get contentType(): string | undefined {
    return this.headers.get("content-type")?.trim();
  }

  /** Option tags of a list header (Supported, Require …), lower case. */
  optionTags(name: "supported" | "require" | "proxy-require" | "unsupported"): string[] {
    return this.headers.values(name).map((t) => t.toLowerCase());
  }

  /** The wire form; Content-Length always states the body's real length. */
  toBuffer(): Buffer {
    let head = `${this.startLine()}\r\n`;
    for (const [name, value] of this.headers.entries()) {
      const lower = name.toLowerCase();
      if (lower === "content-length" || lower === "l") continue;
      head += `${name}: ${value}\r\n`;
    }
    head += `Content-Length: ${this.body.length}\r\n\r\n`;
    return this.body.length === 0
      ? Buffer.from(head, "utf8")
      : Buffer.concat([Buffer.from(head, "utf8"), this.body]);
  }

  toString(): string {
    return this.toBuffer().toString("utf8");
  }
}
