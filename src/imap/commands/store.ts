import { atom, flagList, type ResponseItem } from "../compiler/response.ts";
import { ImapParseError } from "../errors.ts";
import { atom as atomArg, type ImapToken } from "../parser/command-parser.ts";
import { SequenceSet } from "../parser/sequence-set.ts";
import { hasFlag } from "../selected-mailbox.ts";
import { type CommandContext, type ImapCommand, no, ok, selectedOf } from "./command.ts";

const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/** flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword (§9); \Recent cannot be stored. */
function parseFlags(tokens: readonly ImapToken[], tag: string): string[] {
  const source = tokens.length === 1 && tokens[0]?.type === "list" ? tokens[0].items : tokens;
  if (source.length === 0 && tokens.length !== 1) throw new ImapParseError("Missing flags", tag);
  const flags: string[] = [];
  for (const token of source) {
    const text = atomArg(token, "a flag", tag);
    if (text.startsWith("\\")) {
      const system = SYSTEM_FLAGS.find((f) => f.toLowerCase() === text.toLowerCase());
      if (!system) throw new ImapParseError(`Flag ${text} cannot be stored`, tag);
      flags.push(system);
    } else {
      if (!isKeyword(text)) throw new ImapParseError(`Invalid keyword ${text}`, tag);
      flags.push(text);
    }
  }
  return flags;
}

/** flag-keyword = atom: no atom-specials, controls or 8-bit (§9). */
function isKeyword(text: string): boolean {
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code <= 0x20 || code >= 0x7f || '(){%*"\\]'.includes(ch)) return false;
  }
  return text.length > 0;
}

function apply(current: readonly string[], mode: "" | "+" | "-", flags: readonly string[]): string[] {
  if (mode === "") return [...flags];
  if (mode === "+") return [...current, ...flags.filter((f) => !hasFlag(current, f))];
  return current.filter((f) => !hasFlag(flags, f));
}

async function store(context: CommandContext, args: readonly ImapToken[], byUid: boolean) {
  if (args.length < 3) throw new ImapParseError("STORE takes a set, an item and flags", context.tag);
  const selected = selectedOf(context);
  const set = SequenceSet.parse(atomArg(args[0], "a sequence set", context.tag), context.tag);
  const item = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(atomArg(args[1], "a store item", context.tag));
  if (!item) throw new ImapParseError("Unknown store item", context.tag);
  const mode = item[1] as "" | "+" | "-";
  const silent = item[2] !== undefined;
  const flags = parseFlags(args.slice(2), context.tag);
  const targets = selected.resolve(set, byUid);
  if (selected.readOnly) return no("Mailbox is read-only", "READ-ONLY");
  const mailStore = context.session.store;
  for (const { seq, entry } of targets) {
    const next = apply(entry.flags, mode, flags);
    const changed = next.length !== entry.flags.length || next.some((f) => !hasFlag(entry.flags, f));
    if (changed) {
      const stored = await mailStore.setFlags(selected.user, selected.name, entry.uid, next);
      if (!stored) continue;
      selected.setFlags(entry.uid, stored);
    }
    if (silent) continue;
    const out: ResponseItem[] = [atom("FLAGS"), flagList(selected.flagsOf(entry))];
    if (byUid) out.unshift(atom("UID"), entry.uid);
    context.send(seq, atom("FETCH"), out);
  }
  return ok(`${context.name} completed`);
}

/**
 * STORE (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.6): FLAGS, +FLAGS and -FLAGS, each
 * with .SILENT; "the server SHOULD send an untagged FETCH response" with the new flags unless
 * silent. Refused in a mailbox opened with EXAMINE.
 */
export const storeCommand: ImapCommand = {
  name: "STORE",
  states: ["Selected"],
  updates: "no-expunge",
  handle: (context, args) => store(context, args, false),
};

/** UID STORE (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.8): the set holds UIDs. */
export const uidStoreCommand: ImapCommand = {
  name: "UID STORE",
  states: ["Selected"],
  updates: "no-expunge",
  handle: (context, args) => store(context, args, true),
};
