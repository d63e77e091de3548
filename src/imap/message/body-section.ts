import { type BodySection, type FetchItem, sectionLabel } from "../parser/fetch-items.ts";
import type { MimePart } from "./mime-structure.ts";

const CRLF = Buffer.from("\r\n");

/**
 * Finds the entity a part path names (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.5):
 * "Every message has at least one part number. Non-[MIME-IMB] messages, and non-multipart
 * [MIME-IMB] messages with no encapsulated message, only have a part 1." Inside a message/rfc822
 * part the numbers go on in the encapsulated message.
 */
function locate(root: MimePart, path: readonly number[]): MimePart | undefined {
  let node: MimePart = root;
  for (const [i, n] of path.entries()) {
    if (i > 0 && node.message) node = node.message;
    if (node.type === "multipart") {
      const child = node.children[n - 1];
      if (!child) return undefined;
      node = child;
    } else if (n !== 1) {
      return undefined;
    }
  }
  return node;
}

function headerFields(entity: MimePart, names: readonly string[], keep: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const lines = entity.headers.filter((h) => wanted.has(h.name.toLowerCase()) === keep).map((h) => h.raw);
  const joined = lines.map((line) => (line[line.length - 1] === 0x0a ? line : Buffer.concat([line, CRLF])));
  return Buffer.concat([...joined, CRLF]);
}

/**
 * The exact bytes of `BODY[section]` (§6.4.5): the whole message, a part's body, its MIME header,
 * or the header/text (or selected header fields) of the message or of an encapsulated message.
 * Undefined when the section names no part; the caller answers with an empty string then.
 */
export function sectionBytes(raw: Buffer, root: MimePart, section: BodySection): Buffer | undefined {
  const node = locate(root, section.path);
  if (!node) return undefined;
  if (section.specifier === "") {
    return section.path.length === 0 ? raw : raw.subarray(node.bodyStart, node.end);
  }
  if (section.specifier === "MIME") return raw.subarray(node.start, node.bodyStart);
  // HEADER, HEADER.FIELDS and TEXT address a message: the top one, or one inside message/rfc822.
  const entity = section.path.length === 0 ? root : (node.message ?? node);
  switch (section.specifier) {
    case "HEADER":
      return raw.subarray(entity.start, entity.bodyStart);
    case "TEXT":
      return raw.subarray(entity.bodyStart, entity.end);
    case "HEADER.FIELDS":
      return headerFields(entity, section.fields, true);
    case "HEADER.FIELDS.NOT":
      return headerFields(entity, section.fields, false);
  }
}

/** `<start.length>` applied to section bytes (§6.4.5: "the partial data"). */
export function partialBytes(bytes: Buffer, partial: { start: number; length: number } | undefined): Buffer {
  if (!partial) return bytes;
  if (partial.start >= bytes.length) return Buffer.alloc(0);
  return bytes.subarray(partial.start, partial.start + partial.length);
}

/**
 * The answer to one BODY[section]<partial> item (https://www.rfc-editor.org/rfc/rfc3501#section-7.4.2):
 * its name as echoed (`BODY[1.MIME]`, `BODY[]<0>`: "the partial data [...] the starting octet")
 * and the bytes; a section that names no part answers with an empty string.
 */
export function bodySection(
  raw: Buffer,
  root: MimePart,
  item: Extract<FetchItem, { kind: "section" }>,
): { label: string; bytes: Buffer } {
  const bytes = partialBytes(sectionBytes(raw, root, item.section) ?? Buffer.alloc(0), item.partial);
  const origin = item.partial ? `<${item.partial.start}>` : "";
  return { label: `BODY[${sectionLabel(item.section)}]${origin}`, bytes };
}
