import { astring, atom as atomArg, type ImapToken } from "../parser/command-parser.ts";
import { compactSet, SequenceSet } from "../parser/sequence-set.ts";
import {
  type CommandContext,
  expectArgs,
  type ImapCommand,
  mailboxName,
  no,
  ok,
  selectedOf,
} from "./command.ts";

async function copy(context: CommandContext, args: readonly ImapToken[], byUid: boolean) {
  expectArgs(context, args, 2);
  const selected = selectedOf(context);
  const set = SequenceSet.parse(atomArg(args[0], "a sequence set", context.tag), context.tag);
  const target = mailboxName(astring(args[1], "a mailbox name", context.tag));
  const uids = selected.resolve(set, byUid).map((t) => t.entry.uid);
  const store = context.session.store;
  // §6.4.7: "If the destination mailbox does not exist, a server SHOULD return an error. It
  // SHOULD NOT automatically create the mailbox." with the TRYCREATE code.
  if (!(await store.status(selected.user, target))) return no(`No mailbox ${target}`, "TRYCREATE");
  if (uids.length === 0) return ok(`${context.name} completed`);
  const result = await store.copy(selected.user, selected.name, uids, target);
  if (result.uids.length !== uids.length) return ok(`${context.name} completed`);
  return ok(
    `${context.name} completed`,
    `COPYUID ${result.uidValidity} ${compactSet(uids)} ${compactSet(result.uids)}`,
  );
}

/**
 * COPY (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.7) with the COPYUID response code of
 * UIDPLUS (https://www.rfc-editor.org/rfc/rfc4315#section-3).
 */
export const copyCommand: ImapCommand = {
  name: "COPY",
  states: ["Selected"],
  updates: "all",
  handle: (context, args) => copy(context, args, false),
};

/** UID COPY (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.8). */
export const uidCopyCommand: ImapCommand = {
  name: "UID COPY",
  states: ["Selected"],
  updates: "all",
  handle: (context, args) => copy(context, args, true),
};
