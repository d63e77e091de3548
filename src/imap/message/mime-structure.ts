/** One header field: the unfolded value for reading and the exact bytes for HEADER.FIELDS. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
  /** The field's lines as they are in the message, CRLF included. */
  readonly raw: Buffer;
}

/** A header value with its `; name=value` parameters (Content-Type, Content-Disposition). */
export interface ParameterisedValue {
  readonly value: string;
  readonly params: ReadonlyArray<readonly [name: string, value: string]>;
}

/**
 * One entity of a message (the message itself, a body part, or the message inside a
 * message/rfc822 part) as byte offsets into the raw message, so that sections are served as the
 * exact bytes stored (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.5).
 */
export interface MimePart {
  /** Where the entity's header starts. */
  readonly start: number;
  /** Where its body starts: just after the empty line that ends the header. */
  readonly bodyStart: number;
  /** Where its body ends (exclusive). */
  readonly end: number;
  readonly headers: readonly HeaderField[];
  /** Lower-cased MIME type and subtype (RFC 2045 §5.2 default: text/plain; charset=us-ascii). */
  readonly type: string;
  readonly subtype: string;
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** Body parts of a multipart entity (RFC 2046 §5.1), in order. */
  readonly children: readonly MimePart[];
  /** The encapsulated message of a message/rfc822 part (RFC 2046 §5.2.1). */
  readonly message: MimePart | undefined;
}

const MAX_DEPTH = 16;
/** RFC 2045 §5.1 token: no space, controls or tspecials. */
const TOKEN = /^[^\s()<>@,;:\\"/[\]?=]+$/;

/** Splits `a; b="c;d"; e=f` at the semicolons that are not inside quotes or comments. */
function splitParams(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  let comment = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      current += ch;
      if (ch === "\\" && i + 1 < text.length) current += text[++i];
      else if (ch === '"') quoted = false;
    } else if (comment > 0) {
      if (ch === "(") comment++;
      else if (ch === ")") comment--;
    } else if (ch === '"') {
      quoted = true;
      current += ch;
    } else if (ch === "(") {
      comment = 1;
    } else if (ch === ";") {
      out.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.map((s) => s.trim());
}

function unquote(text: string): string {
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2
    ? text.slice(1, -1).replace(/\\(.)/g, "$1")
    : text;
}

/** Reads `value; name=value; ...` (RFC 2045 §5.1 parameters). */
export function parseParameterised(text: string): ParameterisedValue {
  const [value = "", ...rest] = splitParams(text);
  const params: Array<readonly [string, string]> = [];
  for (const piece of rest) {
    const eq = piece.indexOf("=");
    if (eq <= 0) continue;
    params.push([piece.slice(0, eq).trim(), unquote(piece.slice(eq + 1).trim())]);
  }
  return { value, params };
}

/** The first field of that name (case-insensitive), unfolded and trimmed. */
export function headerValue(part: MimePart, name: string): string | undefined {
  const lower = name.toLowerCase();
  return part.headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

/** Where the line that starts at `pos` ends (the LF's index, or `end`). */
function lineEnd(raw: Buffer, pos: number, end: number): number {
  const lf = raw.indexOf(0x0a, pos);
  return lf < 0 || lf >= end ? end : lf;
}

function isBlankLine(raw: Buffer, pos: number, eol: number): boolean {
  return eol === pos || (eol === pos + 1 && raw[pos] === 0x0d);
}

function parseHeaders(
  raw: Buffer,
  start: number,
  end: number,
): { headers: HeaderField[]; bodyStart: number } {
  const headers: Array<{ name: string; value: string; start: number; end: number }> = [];
  let pos = start;
  while (pos < end) {
    const eol = lineEnd(raw, pos, end);
    const next = Math.min(eol + 1, end);
    if (isBlankLine(raw, pos, eol)) return { headers: finish(headers, raw), bodyStart: next };
    const line = raw.subarray(pos, eol).toString("latin1").replace(/\r$/, "");
    const last = headers[headers.length - 1];
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      last.value += line;
      last.end = next;
    } else {
      const colon = line.indexOf(":");
      if (colon > 0)
        headers.push({
          name: line.slice(0, colon).trim(),
          value: line.slice(colon + 1),
          start: pos,
          end: next,
        });
    }
    pos = next;
  }
  return { headers: finish(headers, raw), bodyStart: end };
}

function finish(
  fields: ReadonlyArray<{ name: string; value: string; start: number; end: number }>,
  raw: Buffer,
): HeaderField[] {
  return fields.map((f) => ({
    name: f.name,
    value: Buffer.from(f.value.trim(), "latin1").toString("utf8"),
    raw: raw.subarray(f.start, f.end),
  }));
}

/** Body part ranges between `--boundary` delimiter lines (RFC 2046 §5.1.1). */
function splitMultipart(
  raw: Buffer,
  bodyStart: number,
  end: number,
  boundary: string,
): Array<[number, number]> {
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const ranges: Array<[number, number]> = [];
  let partStart: number | undefined;
  let pos = bodyStart;
  while (pos < end) {
    const eol = lineEnd(raw, pos, end);
    const after = raw[pos + delimiter.length];
    const isDelimiter =
      eol - pos >= delimiter.length &&
      raw.compare(delimiter, 0, delimiter.length, pos, pos + delimiter.length) === 0 &&
      (after === undefined ||
        after === 0x2d ||
        after === 0x0d ||
        after === 0x0a ||
        after === 0x20 ||
        after === 0x09);
    if (isDelimiter) {
      if (partStart !== undefined) {
        let partEnd = pos;
        if (partEnd > partStart && raw[partEnd - 1] === 0x0a) partEnd--;
        if (partEnd > partStart && raw[partEnd - 1] === 0x0d) partEnd--;
        ranges.push([partStart, Math.max(partStart, partEnd)]);
      }
      const closing = raw[pos + delimiter.length] === 0x2d && raw[pos + delimiter.length + 1] === 0x2d;
      if (closing) return ranges;
      partStart = Math.min(eol + 1, end);
    }
    pos = eol + 1;
  }
  if (partStart !== undefined) ranges.push([partStart, end]);
  return ranges;
}

function parseEntity(raw: Buffer, start: number, end: number, depth: number, digest: boolean): MimePart {
  const { headers, bodyStart } = parseHeaders(raw, start, end);
  const contentType = headers.find((h) => h.name.toLowerCase() === "content-type")?.value;
  const parsed = contentType ? parseParameterised(contentType) : undefined;
  const [typeText, subtypeText] = (parsed?.value ?? "").toLowerCase().split("/");
  const valid = typeText && subtypeText && TOKEN.test(typeText) && TOKEN.test(subtypeText);
  let type = valid ? typeText : digest ? "message" : "text";
  let subtype = valid ? (subtypeText as string) : digest ? "rfc822" : "plain";
  let params = valid && parsed ? parsed.params : type === "text" ? [["charset", "us-ascii"] as const] : [];
  let children: MimePart[] = [];
  let message: MimePart | undefined;
  if (depth < MAX_DEPTH) {
    const boundary = params.find(([name]) => name.toLowerCase() === "boundary")?.[1];
    if (type === "multipart" && boundary) {
      children = splitMultipart(raw, bodyStart, end, boundary).map(([s, e]) =>
        parseEntity(raw, s, e, depth + 1, subtype === "digest"),
      );
    } else if (type === "message" && subtype === "rfc822") {
      message = parseEntity(raw, bodyStart, end, depth + 1, false);
    }
  }
  if (type === "multipart" && children.length === 0) {
    // A multipart without a boundary or parts cannot be described as one (§7.4.2 needs 1*body).
    type = "text";
    subtype = "plain";
    params = [["charset", "us-ascii"]];
  }
  return { start, bodyStart, end, headers, type, subtype, params, children, message };
}

/** Reads a raw RFC 5322 message into its MIME tree (RFC 2045, RFC 2046). Never throws. */
export function parseMimeStructure(raw: Buffer): MimePart {
  return parseEntity(raw, 0, raw.length, 0, false);
}

/** Number of lines in an entity's body, as BODYSTRUCTURE counts them for text parts (§7.4.2). */
export function bodyLines(raw: Buffer, part: MimePart): number {
  let lines = 0;
  for (let i = part.bodyStart; i < part.end; i++) if (raw[i] === 0x0a) lines++;
  if (part.end > part.bodyStart && raw[part.end - 1] !== 0x0a) lines++;
  return lines;
}
