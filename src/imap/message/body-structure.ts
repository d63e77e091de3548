import { nstring, type ResponseItem, str } from "../compiler/response.ts";
import { envelope } from "./envelope.ts";
import { bodyLines, headerValue, type MimePart, parseParameterised } from "./mime-structure.ts";

function paramList(params: ReadonlyArray<readonly [string, string]>): ResponseItem {
  if (params.length === 0) return null;
  return params.flatMap(([name, value]) => [str(name.toUpperCase()), str(value)]);
}

/** body-fld-dsp: ("attachment" ("filename" "x.wav")) or NIL (RFC 2183 via §7.4.2). */
function disposition(part: MimePart): ResponseItem {
  const value = headerValue(part, "content-disposition");
  if (value === undefined) return null;
  const parsed = parseParameterised(value);
  if (parsed.value.trim() === "") return null;
  return [str(parsed.value.trim().toUpperCase()), paramList(parsed.params)];
}

/** body-fld-lang: a list of language tags, or NIL. */
function language(part: MimePart): ResponseItem {
  const value = headerValue(part, "content-language");
  if (value === undefined) return null;
  const tags = value
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  return tags.length === 0 ? null : tags.map((t) => str(t));
}

/**
 * BODY and BODYSTRUCTURE (https://www.rfc-editor.org/rfc/rfc3501#section-7.4.2): "A parenthesized
 * list that describes the [MIME-IMB] body structure of a message". Text parts carry their size in
 * lines; message/rfc822 parts carry the inner message's envelope, body structure and lines.
 * `extended` adds the extension data BODYSTRUCTURE has and BODY has not (MD5, disposition,
 * language, location for single parts; parameters, disposition, language, location for multiparts).
 */
export function bodyStructure(raw: Buffer, part: MimePart, extended: boolean): ResponseItem {
  const tail = (): ResponseItem[] => [
    disposition(part),
    language(part),
    nstring(headerValue(part, "content-location")),
  ];
  if (part.type === "multipart") {
    const items: ResponseItem[] = part.children.map((child) => bodyStructure(raw, child, extended));
    items.push(str(part.subtype.toUpperCase()));
    if (extended) items.push(paramList(part.params), ...tail());
    return items;
  }
  const items: ResponseItem[] = [
    str(part.type.toUpperCase()),
    str(part.subtype.toUpperCase()),
    paramList(part.params),
    nstring(headerValue(part, "content-id")),
    nstring(headerValue(part, "content-description")),
    str((headerValue(part, "content-transfer-encoding") ?? "7BIT").toUpperCase()),
    part.end - part.bodyStart,
  ];
  if (part.type === "message" && part.subtype === "rfc822" && part.message) {
    items.push(envelope(part.message), bodyStructure(raw, part.message, extended), bodyLines(raw, part));
  } else if (part.type === "text") {
    items.push(bodyLines(raw, part));
  }
  if (extended) items.push(nstring(headerValue(part, "content-md5")), ...tail());
  return items;
}
