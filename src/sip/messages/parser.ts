import { SipParseError } from "../errors.ts";
import { TOKEN } from "./scanner.ts";
import { SipHeaders } from "./sip-headers.ts";
import { SipRequest } from "./sip-request.ts";
import { SipResponse } from "./sip-response.ts";

export interface SipParseLimits {
  /** Whole message, headers and body. */
  maxMessageBytes: number;
  maxHeaderCount: number;
  /** One header line after unfolding. */
  maxLineBytes: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<SipParseLimits> = Object.freeze({
  maxMessageBytes: 65_535,
  maxHeaderCount: 256,
  maxLineBytes: 8_192,
});

export type SipMessageUnion = SipRequest | SipResponse;

const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) ([Ss][Ii][Pp]\/\d+\.\d+)$/;
const STATUS_LINE = /^([Ss][Ii][Pp]\/\d+\.\d+) ([1-6]\d\d) ?(.*)$/;
/** Headers without which a request cannot be answered at all (§8.2.6.2 copies them). */
const ANSWER_HEADERS = new Set(["via", "from", "to", "call-id", "cseq"]);

/**
 * Parses one complete SIP message (a UDP datagram, or one message cut from a stream by the
 * framer), RFC 3261 §7. Returns the message with its mandatory headers checked, or throws a
 * SipParseError whose `partial` holds the request when it is worth answering with a 400.
 *
 * Robustness choices: leading CRLFs are skipped (§7.5), bare LF is accepted as a line end,
 * folded header lines are unfolded (§7.3.1), unknown headers are kept verbatim.
 */
export function parseSipMessage(
  data: Buffer,
  limits: SipParseLimits = DEFAULT_PARSE_LIMITS,
): SipMessageUnion {
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start === data.length) throw new SipParseError("Empty message");
  const { headEnd, bodyStart } = findHeadEnd(data, start);
  const lines = data.toString("utf8", start, headEnd).split(/\r?\n/);
  const startLine = lines[0] as string;
  if (startLine.includes("\0")) throw new SipParseError("Bad Start-Line", "NUL byte");

  const request = REQUEST_LINE.exec(startLine);
  const status = request ? null : STATUS_LINE.exec(startLine);
  if (!request && !status) {
    const looksLikeRequest = /^[A-Za-z0-9\-.!%*_+`'~]+\s+.+\s+SIP\/\S+\s*$/i.test(startLine);
    if (!looksLikeRequest) throw new SipParseError("Bad Start-Line", "neither a request nor a status line");
  }
  const headers = new SipHeaders();
  let problem: SipParseError | undefined;
  const note = (error: SipParseError) => {
    problem ??= error;
  };
  if (data.length > limits.maxMessageBytes) {
    note(new SipParseError("Message Too Large", `${data.length} bytes`, 513));
  }

  if (request && Buffer.byteLength(startLine) > limits.maxLineBytes) {
    note(new SipParseError("Request-URI Too Long", `request line over ${limits.maxLineBytes} bytes`, 414));
  }

  let count = 0;
  for (const line of unfold(lines.slice(1))) {
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).replace(/[ \t]+$/, "");
    if (colon < 0 || !TOKEN.test(name)) {
      note(new SipParseError("Bad Header", `malformed header line ${JSON.stringify(line.slice(0, 40))}`));
      continue;
    }
    const key = name.toLowerCase();
    const essential = ANSWER_HEADERS.has(key) || ["v", "f", "t", "i"].includes(key);
    if (Buffer.byteLength(line) > limits.maxLineBytes) {
      note(new SipParseError("Header Too Large", `${name} exceeds ${limits.maxLineBytes} bytes`));
      if (!essential) continue;
    }
    if (++count > limits.maxHeaderCount) {
      note(new SipParseError("Too Many Headers", `more than ${limits.maxHeaderCount}`));
      if (!essential) continue;
    }
    const value = line.slice(colon + 1).trim();
    if (value.includes("\0")) {
      note(new SipParseError("Bad Header", `NUL byte in ${name}`));
      continue;
    }
    headers.append(name, value);
  }

  let message: SipMessageUnion;
  if (request) {
    message = new SipRequest({
      method: request[1] as string,
      uri: request[2] as string,
      version: request[3] as string,
      headers,
    });
  } else if (status) {
    message = new SipResponse({
      status: Number(status[2]),
      reason: status[3] as string,
      version: status[1] as string,
      headers,
    });
  } else {
    const fields = startLine.trim().split(/\s+/);
    message = new SipRequest({ method: fields[0] ?? "", uri: fields.slice(1, -1).join(" "), headers });
    note(new SipParseError("Bad Request-Line", "fields must be separated by single spaces"));
  }

  try {
    message.body = bodyOf(data, bodyStart, headers);
    checkMandatory(message);
    if (problem) throw problem;
  } catch (error) {
    if (error instanceof SipParseError && message.kind === "request") error.partial = message;
    throw error;
  }
  return message;
}

/** End of the header section: the first empty line (CRLF CRLF, or LF LF from sloppy peers). */
function findHeadEnd(data: Buffer, from: number): { headEnd: number; bodyStart: number } {
  for (let i = from; i < data.length; i++) {
    if (data[i] !== 0x0a) continue;
    if (data[i + 1] === 0x0a) return { headEnd: i, bodyStart: i + 2 };
    if (data[i + 1] === 0x0d && data[i + 2] === 0x0a)
      return { headEnd: data[i - 1] === 0x0d ? i - 1 : i, bodyStart: i + 3 };
  }
  return { headEnd: data.length, bodyStart: data.length };
}

/** §7.3.1: a line starting with SP or HT continues the previous header field. */
function* unfold(lines: string[]): Generator<string> {
  let current: string | undefined;
  for (const line of lines) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && current !== undefined) {
      current += ` ${line.trim()}`;
    } else {
      if (current !== undefined) yield current;
      current = line;
    }
  }
  if (current !== undefined && current !== "") yield current;
}

/**
 * §18.3: on a datagram, Content-Length bytes are the body and extra bytes are discarded; a
 * datagram that ends before the body does is an error (a request gets 400, a response is dropped).
 */
function bodyOf(data: Buffer, bodyStart: number, headers: SipHeaders): Buffer {
  const available = data.length - bodyStart;
  const rows = headers.lines("content-length");
  if (rows.length === 0) return data.subarray(bodyStart);
  const values = new Set(rows.map((r) => r.trim()));
  if (values.size > 1) throw new SipParseError("Bad Content-Length", "conflicting values");
  const text = [...values][0] as string;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new SipParseError("Bad Content-Length", "not a number");
  const length = Number(text);
  if (length > available) {
    throw new SipParseError("Bad Content-Length", `${length} bytes announced, ${available} received`);
  }
  return data.subarray(bodyStart, bodyStart + length);
}

/** RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via; CSeq's method matches (§8.1.1.5). */
function checkMandatory(message: SipMessageUnion): void {
  void message.topVia;
  void message.from;
  void message.to;
  void message.callId;
  const cseq = message.cseq;
  if (message.kind === "request") {
    try {
      void message.uri;
    } catch (error) {
      throw new SipParseError("Bad Request-URI", (error as Error).message);
    }
    void message.maxForwards;
    void message.expires;
    if (cseq.method !== message.method)
      throw new SipParseError("Bad CSeq", "method differs from the request's");
    // §10.2.2: "*" is only meaningful in REGISTER (to remove every binding).
    if (message.headers.has("contact") && message.contacts === "*" && message.method !== "REGISTER") {
      throw new SipParseError("Bad Contact", "* is only allowed in REGISTER");
    }
  }
}

/** A CRLF keep-alive ping (RFC 5626 §3.5.1) or an empty datagram: nothing to parse, nothing to answer. */
export function isKeepAlive(data: Buffer): boolean {
  for (const byte of data) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
