import { createHash } from "node:crypto";
import { SmtpMessageError } from "./errors.ts";

/**
 * The byte-level pieces every composed message is built from: header folding, RFC 2047
 * encoded-words, base64 and quoted-printable bodies, RFC 5322 dates and boundaries. Everything
 * here is a pure function of its input, so a composed message is the same bytes every time.
 */

export const CRLF = "\r\n";

/** A mailbox: an addr-spec and an optional display name (RFC 5322 §3.4). */
export interface MailAddress {
  address: string;
  name?: string;
}

/**
 * https://www.rfc-editor.org/rfc/rfc5322#section-2.1.1: "Each line of characters MUST be no more
 * than 998 characters, and SHOULD be no more than 78 characters, excluding the CRLF."
 */
const HEADER_LINE_LIMIT = 78;

/**
 * https://www.rfc-editor.org/rfc/rfc2045#section-6.8: "The encoded output stream must be
 * represented in lines of no more than 76 characters each." The same limit binds quoted-printable
 * (§6.7 rule 5).
 */
const BODY_LINE_LIMIT = 76;

/**
 * https://www.rfc-editor.org/rfc/rfc2047#section-2: "An 'encoded-word' may not be more than 75
 * characters long, including 'charset', 'encoding', 'encoded-text', and delimiters." "=?UTF-8?B?"
 * and "?=" take 12, leaving 63 characters of base64 (45 bytes). Parley uses 39 bytes (64-character
 * words), so that "Subject: " and the first word still fit in a 78-character line.
 */
const ENCODED_WORD_MAX_BYTES = 39;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

function pad2(n: number): string {
  return n.toString().padStart(2, "0");
}

/**
 * A date-time as https://www.rfc-editor.org/rfc/rfc5322#section-3.3 writes it, in UTC:
 * `Thu, 01 Jan 2026 09:30:00 +0000`.
 */
export function formatRfc5322Date(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new SmtpMessageError("SMTP_COMPOSE_INVALID", "the date is invalid");
  const day = DAYS[date.getUTCDay()];
  const month = MONTHS[date.getUTCMonth()];
  const time = `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`;
  return `${day}, ${pad2(date.getUTCDate())} ${month} ${date.getUTCFullYear()} ${time} +0000`;
}

/** Control characters (CR and LF included) become spaces: a header value can never start a new header line. */
export function withoutControlCharacters(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
  return text.replace(/[\u0000-\u001f\u007f]/g, " ");
}

function isAscii(text: string): boolean {
  return /^[\u0020-\u007e]*$/.test(text);
}

/**
 * `text` as RFC 2047 "B" encoded-words (https://www.rfc-editor.org/rfc/rfc2047#section-4.1), split
 * on character boundaries: §5 "Each 'encoded-word' MUST represent an integral number of
 * characters. A multi-octet character may not be split across adjacent 'encoded-word's."
 */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk = "";
  let chunkBytes = 0;
  for (const char of text) {
    const bytes = Buffer.byteLength(char, "utf8");
    if (chunkBytes + bytes > ENCODED_WORD_MAX_BYTES) {
      words.push(chunk);
      chunk = "";
      chunkBytes = 0;
    }
    chunk += char;
    chunkBytes += bytes;
  }
  if (chunk.length > 0 || words.length === 0) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, "utf8").toString("base64")}?=`);
}

/**
 * An unstructured header value (Subject, X-Parley-Caller-Name): ASCII stays as it is, anything
 * else becomes encoded-words separated by spaces, which a reader drops again
 * (https://www.rfc-editor.org/rfc/rfc2047#section-6.2: "any 'linear-white-space' that separates a
 * pair of adjacent 'encoded-word's is ignored").
 */
export function unstructuredValue(text: string): string {
  const clean = withoutControlCharacters(text);
  return isAscii(clean) ? clean : encodedWords(clean).join(" ");
}

/** RFC 5322 §3.2.3 atext: a display name made only of these words needs no quoting. */
const ATOM_WORDS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * A display name as an RFC 5322 §3.2.5 phrase: atoms as they are, other ASCII as a quoted-string,
 * non-ASCII as encoded-words (https://www.rfc-editor.org/rfc/rfc2047#section-5, rule (3): "as a
 * replacement for a 'word' entity within a 'phrase'").
 */
export function phrase(name: string): string {
  const clean = withoutControlCharacters(name).trim();
  if (!isAscii(clean)) return encodedWords(clean).join(" ");
  if (ATOM_WORDS.test(clean)) return clean;
  return `"${clean.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * A deliberately narrow addr-spec (RFC 5322 §3.4.1 dot-atom@dot-atom): what Parley itself writes.
 * Telephone numbers as local parts (`+4930123456@example.net`, RFC 3804 style) are dot-atoms.
 */
const ADDR_SPEC =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;

export function assertAddress(address: string, role: string): void {
  if (!ADDR_SPEC.test(address)) {
    throw new SmtpMessageError(
      "SMTP_COMPOSE_INVALID",
      `${role} address ${JSON.stringify(address)} is not an addr-spec`,
    );
  }
}

/** `Name <addr>` or just `addr` (RFC 5322 §3.4 name-addr / addr-spec). */
export function mailbox(m: MailAddress, role: string): string {
  assertAddress(m.address, role);
  const name = m.name === undefined ? "" : phrase(m.name);
  return name.length > 0 ? `${name} <${m.address}>` : m.address;
}

/**
 * One header field, folded (https://www.rfc-editor.org/rfc/rfc5322#section-2.2.3) at spaces so
 * that lines stay within 78 characters where the value allows it; ends in CRLF.
 */
export function headerField(name: string, value: string): string {
  let line = `${name}:`;
  let lineHasWord = false;
  let out = "";
  for (const word of value.split(" ")) {
    // Never fold before an empty word: a folded line made only of white space is not allowed
    // (§3.2.2). A first word too long for the line goes to the next one (FWS may follow the colon).
    if (word.length > 0 && line.length + 1 + word.length > HEADER_LINE_LIMIT && (lineHasWord || out === "")) {
      out += `${line}${CRLF}`;
      line = "";
    }
    line += ` ${word}`;
    lineHasWord ||= word.length > 0;
  }
  return `${out}${line}${CRLF}`;
}

/** Bytes as base64 in lines of 76 characters, each ending in CRLF (RFC 2045 §6.8). */
export function base64Body(data: Buffer): string {
  const encoded = data.toString("base64");
  let out = "";
  for (let i = 0; i < encoded.length; i += BODY_LINE_LIMIT)
    out += `${encoded.slice(i, i + BODY_LINE_LIMIT)}${CRLF}`;
  return out;
}

/**
 * UTF-8 text as quoted-printable (https://www.rfc-editor.org/rfc/rfc2045#section-6.7): line breaks
 * become CRLF hard breaks, "=" and bytes outside printable ASCII become =XX, whitespace before a
 * break is encoded (rule 3), and soft breaks keep lines within 76 characters (rule 5). Ends in CRLF.
 */
export function quotedPrintableBody(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  let out = "";
  for (const line of lines) {
    const bytes = Buffer.from(line, "utf8");
    const tokens: string[] = [];
    bytes.forEach((byte, i) => {
      const last = i === bytes.length - 1;
      const printable = byte >= 0x21 && byte <= 0x7e && byte !== 0x3d;
      const space = (byte === 0x20 || byte === 0x09) && !last;
      tokens.push(
        printable || space
          ? String.fromCharCode(byte)
          : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`,
      );
    });
    let current = "";
    for (const token of tokens) {
      if (current.length + token.length > BODY_LINE_LIMIT - 1) {
        out += `${current}=${CRLF}`;
        current = "";
      }
      current += token;
    }
    out += `${current}${CRLF}`;
  }
  return out;
}

/**
 * A multipart boundary derived from `seed` (the message id) and the nesting level, so a message is
 * deterministic given its inputs. It starts with "=_", which neither base64 nor quoted-printable
 * output can contain (https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1: the boundary "must
 * not appear inside any of the encapsulated parts").
 */
export function boundaryFor(seed: string, level: number): string {
  const digest = createHash("sha256").update(`${seed}\u0000${level}`).digest("hex").slice(0, 32);
  return `=_parley_${level}_${digest}`;
}

/** A header value fit for a quoted-string MIME parameter (`filename="message.wav"`). */
export function quotedParameter(value: string): string {
  return `"${withoutControlCharacters(value).replace(/(["\\])/g, "\\$1")}"`;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function decodeOneWord(charset: string, encoding: string, text: string): string | undefined {
  const bytes =
    encoding.toUpperCase() === "B"
      ? Buffer.from(text, "base64")
      : Buffer.from(
          text
            .replace(/_/g, " ")
            .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          "latin1",
        );
  try {
    // RFC 2231 §5 allows a language after "*" in the charset ("UTF-8*en").
    return new TextDecoder(charset.split("*")[0]).decode(bytes);
  } catch {
    return undefined; // an unknown charset: keep the encoded-word as it was
  }
}

/**
 * Decodes RFC 2047 encoded-words (https://www.rfc-editor.org/rfc/rfc2047#section-6.1) in a header
 * value that mailparser leaves alone (it decodes only the headers it knows). White space between
 * two encoded-words is dropped (§6.2); anything that does not decode stays as it was.
 */
export function decodeEncodedWords(value: string): string {
  let out = "";
  let last = 0;
  let previousWasWord = false;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const [word, charset = "", encoding = "", text = ""] = match;
    const index = match.index ?? 0;
    const between = value.slice(last, index);
    const decoded = decodeOneWord(charset, encoding, text);
    if (!(previousWasWord && /^[ \t\r\n]*$/.test(between))) out += between;
    out += decoded ?? word;
    previousWasWord = decoded !== undefined;
    last = index + word.length;
  }
  return out + value.slice(last);
}
