import { nstring, type ResponseItem, str } from "../compiler/response.ts";
import { headerValue, type MimePart } from "./mime-structure.ts";

/** Splits an address list at the commas that are not quoted, commented or inside `<>`. */
function splitTopLevel(text: string, separators: string): Array<{ text: string; separator: string }> {
  const out: Array<{ text: string; separator: string }> = [];
  let current = "";
  let quoted = false;
  let comment = 0;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      current += ch;
      if (ch === "\\" && i + 1 < text.length) current += text[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === "(") comment++;
    else if (ch === ")" && comment > 0) comment--;
    else if (ch === "<" && comment === 0) angle = true;
    else if (ch === ">" && comment === 0) angle = false;
    else if (comment === 0 && !angle && separators.includes(ch)) {
      out.push({ text: current, separator: ch });
      current = "";
      continue;
    }
    current += ch;
  }
  out.push({ text: current, separator: "" });
  return out;
}

function cleanName(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return trimmed.replace(/\s+/g, " ");
}

/** One mailbox as the §7.4.2 address structure: (name adl mailbox host). */
function mailboxItem(text: string): ResponseItem | undefined {
  let name: string | undefined;
  let address: string;
  const open = text.lastIndexOf("<");
  const close = text.lastIndexOf(">");
  if (open >= 0 && close > open) {
    name = cleanName(text.slice(0, open));
    address = text.slice(open + 1, close).trim();
  } else {
    const comment = /\(([^()]*)\)/.exec(text);
    if (comment) name = cleanName(comment[1] ?? "");
    address = text.replace(/\([^()]*\)/g, "").trim();
  }
  // An obsolete route (`<@a,@b:user@host>`) goes to adl.
  let adl: string | undefined;
  const route = /^(@[^:]+):(.*)$/.exec(address);
  if (route) {
    adl = route[1];
    address = route[2] ?? "";
  }
  if (address === "" && name === undefined) return undefined;
  const at = address.lastIndexOf("@");
  const mailbox = at >= 0 ? address.slice(0, at) : address;
  const host = at >= 0 ? address.slice(at + 1) : undefined;
  return [
    nstring(name),
    nstring(adl),
    nstring(mailbox === "" ? undefined : unquoteLocal(mailbox)),
    nstring(host),
  ];
}

function unquoteLocal(local: string): string {
  return local.startsWith('"') && local.endsWith('"') && local.length >= 2 ? local.slice(1, -1) : local;
}

/**
 * An address list as ENVELOPE carries it (https://www.rfc-editor.org/rfc/rfc3501#section-7.4.2):
 * a list of address structures, groups marked by (NIL NIL name NIL) ... (NIL NIL NIL NIL); NIL when
 * the header is absent or holds no address.
 */
export function addressList(value: string | undefined): ResponseItem {
  if (value === undefined) return null;
  const items: ResponseItem[] = [];
  for (const piece of splitTopLevel(value, ",")) {
    const groupStart = splitTopLevel(piece.text, ":");
    if (groupStart.length > 1 && !/^\s*@/.test(piece.text) && !piece.text.includes("<")) {
      // `Group: a@b` — the members may continue in the following pieces until `;`.
      items.push([null, null, str((groupStart[0]?.text ?? "").trim()), null]);
      const rest = groupStart
        .slice(1)
        .map((g) => g.text)
        .join(":");
      pushMember(items, rest);
      continue;
    }
    pushMember(items, piece.text);
  }
  return items.length > 0 ? items : null;
}

function pushMember(items: ResponseItem[], text: string): void {
  const ends = text.includes(";");
  const member = ends ? text.slice(0, text.indexOf(";")) : text;
  const item = mailboxItem(member);
  if (item) items.push(item);
  if (ends) items.push([null, null, null, null]);
}

/**
 * The ENVELOPE of a message (https://www.rfc-editor.org/rfc/rfc3501#section-7.4.2): "date, subject,
 * from, sender, reply-to, to, cc, bcc, in-reply-to, and message-id". Sender and reply-to default
 * to from: "If the Sender or Reply-To lines are absent in the [RFC-2822] header, or are present
 * but empty, the server sets the corresponding member of the envelope to be the same value as the
 * from member". Header text is given as it is in the message (encoded words are not decoded).
 */
export function envelope(message: MimePart): ResponseItem {
  const from = addressList(headerValue(message, "from"));
  const orFrom = (name: string): ResponseItem => {
    const value = addressList(headerValue(message, name));
    return value === null ? from : value;
  };
  const text = (name: string): ResponseItem => {
    const value = headerValue(message, name);
    return value === undefined ? null : str(value);
  };
  return [
    text("date"),
    text("subject"),
    from,
    orFrom("sender"),
    orFrom("reply-to"),
    addressList(headerValue(message, "to")),
    addressList(headerValue(message, "cc")),
    addressList(headerValue(message, "bcc")),
    text("in-reply-to"),
    text("message-id"),
  ];
}
