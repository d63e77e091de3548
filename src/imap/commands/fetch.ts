import { atom, flagList, literal, type ResponseItem, str } from "../compiler/response.ts";
import { bodySection } from "../message/body-section.ts";
import { bodyStructure } from "../message/body-structure.ts";
import { envelope } from "../message/envelope.ts";
import { type MimePart, parseMimeStructure } from "../message/mime-structure.ts";
import { atom as atomArg } from "../parser/command-parser.ts";
import { type FetchItem, parseFetchItems } from "../parser/fetch-items.ts";
import { SequenceSet } from "../parser/sequence-set.ts";
import { hasFlag } from "../selected-mailbox.ts";
import { type CommandContext, expectArgs, type ImapCommand, ok, selectedOf } from "./command.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE (§9), in UTC. */
export function internalDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = String(date.getUTCDate()).padStart(2, " ");
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${day}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${time} +0000`;
}

/** Items that need the message's bytes (everything but FLAGS, UID, INTERNALDATE, RFC822.SIZE). */
function needsSource(item: FetchItem): boolean {
  return item.kind === "section" || !["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE"].includes(item.name);
}

/** §6.4.5: BODY[section] "The \Seen flag is implicitly set"; so do RFC822 and RFC822.TEXT. */
function marksSeen(item: FetchItem): boolean {
  return item.kind === "section" ? !item.peek : item.name === "RFC822" || item.name === "RFC822.TEXT";
}

function uniqueItems(items: FetchItem[], byUid: boolean): FetchItem[] {
  const out: FetchItem[] = byUid ? [{ kind: "simple", name: "UID" }] : [];
  for (const item of items) {
    if (item.kind === "simple" && out.some((o) => o.kind === "simple" && o.name === item.name)) continue;
    out.push(item);
  }
  return out;
}

async function fetch(context: CommandContext, args: Parameters<ImapCommand["handle"]>[1], byUid: boolean) {
  expectArgs(context, args, 2);
  const selected = selectedOf(context);
  const set = SequenceSet.parse(atomArg(args[0], "a sequence set", context.tag), context.tag);
  const items = uniqueItems(parseFetchItems(args[1], context.tag), byUid);
  const store = context.session.store;
  const loadSource = items.some(needsSource);
  const setSeen = !selected.readOnly && items.some(marksSeen);
  for (const { seq, entry } of selected.resolve(set, byUid)) {
    let raw: Buffer | undefined;
    let tree: MimePart | undefined;
    if (loadSource) {
      raw = await store.source(selected.user, selected.name, entry.uid);
      // Expunged by another writer and not yet announced: nothing to send for it (§7.4.1 forbids
      // the EXPUNGE now).
      if (!raw) continue;
    }
    let flagsChanged = false;
    if (setSeen && !hasFlag(entry.flags, "\\Seen")) {
      const flags = await store.setFlags(selected.user, selected.name, entry.uid, [...entry.flags, "\\Seen"]);
      if (flags) {
        selected.setFlags(entry.uid, flags);
        flagsChanged = true;
      }
    }
    const out: ResponseItem[] = [];
    const parsed = (): MimePart => {
      tree ??= parseMimeStructure(raw ?? Buffer.alloc(0));
      return tree;
    };
    for (const item of items) {
      if (item.kind === "section") {
        const { label, bytes } = bodySection(raw ?? Buffer.alloc(0), parsed(), item);
        out.push(atom(label), literal(bytes));
        continue;
      }
      const bytes = raw ?? Buffer.alloc(0);
      const root =
        item.name.startsWith("RFC822") || item.name === "ENVELOPE" || item.name.startsWith("BODY")
          ? parsed()
          : undefined;
      switch (item.name) {
        case "UID":
          out.push(atom("UID"), entry.uid);
          break;
        case "FLAGS":
          out.push(atom("FLAGS"), flagList(selected.flagsOf(entry)));
          break;
        case "INTERNALDATE":
          out.push(atom("INTERNALDATE"), str(internalDate(entry.internalDate)));
          break;
        case "RFC822.SIZE":
          out.push(atom("RFC822.SIZE"), entry.size);
          break;
        case "ENVELOPE":
          out.push(atom("ENVELOPE"), envelope(root as MimePart));
          break;
        case "BODY":
        case "BODYSTRUCTURE":
          out.push(atom(item.name), bodyStructure(bytes, root as MimePart, item.name === "BODYSTRUCTURE"));
          break;
        case "RFC822":
          out.push(atom("RFC822"), literal(bytes));
          break;
        case "RFC822.HEADER":
          out.push(atom("RFC822.HEADER"), literal(bytes.subarray(0, (root as MimePart).bodyStart)));
          break;
        case "RFC822.TEXT":
          out.push(atom("RFC822.TEXT"), literal(bytes.subarray((root as MimePart).bodyStart)));
          break;
      }
    }
    if (flagsChanged && !items.some((i) => i.kind === "simple" && i.name === "FLAGS")) {
      out.push(atom("FLAGS"), flagList(selected.flagsOf(entry)));
    }
    context.send(seq, atom("FETCH"), out);
  }
  return ok(`${context.name} completed`);
}

/**
 * FETCH (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.5): FLAGS, INTERNALDATE, RFC822.SIZE,
 * ENVELOPE, BODY, BODYSTRUCTURE, UID, RFC822, RFC822.HEADER, RFC822.TEXT, BODY[section]<partial>
 * and BODY.PEEK, with the ALL/FAST/FULL macros. BODY[...] without PEEK sets \Seen in a mailbox
 * opened read-write, and the new FLAGS go along in the same response.
 */
export const fetchCommand: ImapCommand = {
  name: "FETCH",
  states: ["Selected"],
  updates: "no-expunge",
  handle: (context, args) => fetch(context, args, false),
};

/**
 * UID FETCH (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.8): the set holds UIDs and every
 * FETCH response carries UID: "the UID data item MUST be included in the FETCH response".
 */
export const uidFetchCommand: ImapCommand = {
  name: "UID FETCH",
  states: ["Selected"],
  updates: "no-expunge",
  handle: (context, args) => fetch(context, args, true),
};
