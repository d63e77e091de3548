import { atom } from "../compiler/response.ts";
import { lazyContent, matchesSearch } from "../message/search-matcher.ts";
import type { ImapToken } from "../parser/command-parser.ts";
import { parseSearch } from "../parser/search-criteria.ts";
import { type CommandContext, type ImapCommand, no, ok, selectedOf } from "./command.ts";

const CHARSETS = new Set(["US-ASCII", "UTF-8"]);

async function search(context: CommandContext, args: readonly ImapToken[], byUid: boolean) {
  const selected = selectedOf(context);
  const { charset, key } = parseSearch(args, context.tag);
  if (!CHARSETS.has(charset)) return no(`Charset ${charset} is not supported`, "BADCHARSET (US-ASCII UTF-8)");
  const found: number[] = [];
  const entries = [...selected.entries];
  for (const [i, entry] of entries.entries()) {
    const matched = await matchesSearch(key, {
      seq: i + 1,
      entry,
      recent: selected.isRecent(entry.uid),
      lastSeq: entries.length,
      lastUid: selected.highestUid,
      content: lazyContent(() => context.session.store.source(selected.user, selected.name, entry.uid)),
    });
    if (matched) found.push(byUid ? entry.uid : i + 1);
  }
  context.send(atom("SEARCH"), ...found);
  return ok(`${context.name} completed`);
}

/**
 * SEARCH (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.4): flags, NEW/OLD/RECENT, header and
 * text keys, dates, sizes, UID and sequence sets, NOT, OR and parenthesised groups; "the server
 * MUST send an untagged SEARCH response" with the matching sequence numbers.
 */
export const searchCommand: ImapCommand = {
  name: "SEARCH",
  states: ["Selected"],
  updates: "no-expunge",
  handle: (context, args) => search(context, args, false),
};

/** UID SEARCH (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.8): the answer holds UIDs. */
export const uidSearchCommand: ImapCommand = {
  name: "UID SEARCH",
  states: ["Selected"],
  updates: "no-expunge",
  handle: (context, args) => search(context, args, true),
};
