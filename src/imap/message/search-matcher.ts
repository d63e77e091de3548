import type { SearchKey } from "../parser/search-criteria.ts";
import { hasFlag, type MessageEntry } from "../selected-mailbox.ts";
import { type MimePart, parseMimeStructure } from "./mime-structure.ts";

/** One message as SEARCH sees it; the bytes are read only when a key needs them. */
export interface SearchSubject {
  readonly seq: number;
  readonly entry: MessageEntry;
  readonly recent: boolean;
  /** `*` for sequence numbers and UIDs in this mailbox. */
  readonly lastSeq: number;
  readonly lastUid: number;
  content(): Promise<{ raw: Buffer; root: MimePart } | undefined>;
}

const DAY_MS = 86_400_000;

function includes(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

function compareDay(day: number, compare: "before" | "on" | "since", wanted: number): boolean {
  if (compare === "before") return day < wanted;
  if (compare === "on") return day === wanted;
  return day >= wanted;
}

/**
 * Whether a message matches a search key (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.4).
 * String keys are case-insensitive substring matches on the header value as stored (encoded words
 * are not decoded) or on the body text as stored (base64 parts are not decoded).
 */
export async function matchesSearch(key: SearchKey, subject: SearchSubject): Promise<boolean> {
  const { entry } = subject;
  switch (key.op) {
    case "all":
      return true;
    case "flag":
      return hasFlag(entry.flags, key.flag) === key.present;
    case "recent":
      return subject.recent === key.present;
    case "new":
      return subject.recent && !hasFlag(entry.flags, "\\Seen");
    case "size":
      return key.compare === "larger" ? entry.size > key.octets : entry.size < key.octets;
    case "uid":
      return key.set.contains(entry.uid, subject.lastUid);
    case "sequence":
      return key.set.contains(subject.seq, subject.lastSeq);
    case "not":
      return !(await matchesSearch(key.key, subject));
    case "or":
      return (await matchesSearch(key.left, subject)) || (await matchesSearch(key.right, subject));
    case "and":
      for (const inner of key.keys) if (!(await matchesSearch(inner, subject))) return false;
      return true;
    case "date": {
      if (key.of === "internal") {
        return compareDay(Math.floor(entry.internalDate.getTime() / DAY_MS), key.compare, key.day);
      }
      const content = await subject.content();
      const sent = Date.parse(
        content?.root.headers.find((h) => h.name.toLowerCase() === "date")?.value ?? "",
      );
      return !Number.isNaN(sent) && compareDay(Math.floor(sent / DAY_MS), key.compare, key.day);
    }
    case "header": {
      const content = await subject.content();
      const field = key.field.toLowerCase();
      return (content?.root.headers ?? []).some(
        (h) => h.name.toLowerCase() === field && includes(h.value, key.value),
      );
    }
    case "body":
    case "text": {
      const content = await subject.content();
      if (!content) return false;
      const from = key.op === "body" ? content.root.bodyStart : 0;
      return includes(content.raw.subarray(from).toString("utf8"), key.value);
    }
  }
}

/** Lazily loads and parses a message once for all the keys that need it. */
export function lazyContent(load: () => Promise<Buffer | undefined>): SearchSubject["content"] {
  let cached: Promise<{ raw: Buffer; root: MimePart } | undefined> | undefined;
  return () => {
    cached ??= load().then((raw) => (raw ? { raw, root: parseMimeStructure(raw) } : undefined));
    return cached;
  };
}
