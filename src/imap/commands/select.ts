import { atom, flagList } from "../compiler/response.ts";
import { astring } from "../parser/command-parser.ts";
import { SelectedMailbox } from "../selected-mailbox.ts";
import { type CommandContext, expectArgs, type ImapCommand, mailboxName, no, ok, userOf } from "./command.ts";

const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

async function select(
  context: CommandContext,
  args: Parameters<ImapCommand["handle"]>[1],
  readOnly: boolean,
) {
  expectArgs(context, args, 1);
  const name = mailboxName(astring(args[0], "a mailbox name", context.tag));
  const user = userOf(context);
  // §6.3.1: "If the client is permitted to modify the mailbox [...] any currently selected mailbox
  // is deselected" even when the new SELECT fails.
  context.session.unselect();
  const mailbox = await SelectedMailbox.open({ store: context.session.store, user, name, readOnly });
  if (!mailbox) return no(`No mailbox ${name}`, "NONEXISTENT");
  context.session.select(mailbox);
  const keywords = new Set<string>();
  for (const entry of mailbox.entries)
    for (const flag of entry.flags) if (!flag.startsWith("\\")) keywords.add(flag);
  const flags = [...SYSTEM_FLAGS, ...keywords];
  context.send(atom("FLAGS"), flagList(flags));
  context.send(mailbox.exists, atom("EXISTS"));
  context.send(mailbox.recentCount, atom("RECENT"));
  const firstUnseen = mailbox.entries.findIndex((e) => !e.flags.some((f) => f.toLowerCase() === "\\seen"));
  if (firstUnseen >= 0) context.send(atom("OK"), atom(`[UNSEEN ${firstUnseen + 1}]`), atom("First unseen"));
  const permanent = readOnly ? "()" : `(${[...flags, "\\*"].join(" ")})`;
  context.send(atom("OK"), atom(`[PERMANENTFLAGS ${permanent}]`), atom("Flags permitted"));
  context.send(atom("OK"), atom(`[UIDVALIDITY ${mailbox.uidValidity}]`), atom("UIDs valid"));
  context.send(atom("OK"), atom(`[UIDNEXT ${mailbox.uidNext}]`), atom("Predicted next UID"));
  return ok(`${context.name} completed`, readOnly ? "READ-ONLY" : "READ-WRITE");
}

/**
 * SELECT (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.1): "The server MUST send the
 * following responses before completing the command: FLAGS, <n> EXISTS, <n> RECENT", and the OK
 * codes UNSEEN, PERMANENTFLAGS, UIDNEXT and UIDVALIDITY; READ-WRITE in the tagged OK.
 */
export const selectCommand: ImapCommand = {
  name: "SELECT",
  states: ["Authenticated", "Selected"],
  updates: "none",
  handle: (context, args) => select(context, args, false),
};

/**
 * EXAMINE (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.2): SELECT read-only; "The text of
 * the tagged OK response to the EXAMINE command MUST begin with the "[READ-ONLY]" response code."
 */
export const examineCommand: ImapCommand = {
  name: "EXAMINE",
  states: ["Authenticated", "Selected"],
  updates: "none",
  handle: (context, args) => select(context, args, true),
};
