import { atom } from "../compiler/response.ts";
import { atom as atomArg } from "../parser/command-parser.ts";
import { SequenceSet } from "../parser/sequence-set.ts";
import { hasFlag, type SelectedMailbox } from "../selected-mailbox.ts";
import { type CommandContext, expectArgs, type ImapCommand, no, ok, selectedOf } from "./command.ts";

/** UIDs of the messages this session sees with \Deleted. */
export function deletedUids(selected: SelectedMailbox, only?: SequenceSet): number[] {
  return selected.entries
    .filter((e) => hasFlag(e.flags, "\\Deleted") && (!only || only.contains(e.uid, selected.highestUid)))
    .map((e) => e.uid);
}

async function expunge(context: CommandContext, only: SequenceSet | undefined) {
  const selected = selectedOf(context);
  if (selected.readOnly) return no("Mailbox is read-only", "READ-ONLY");
  const uids = deletedUids(selected, only);
  if (uids.length > 0) await context.session.store.expunge(selected.user, selected.name, uids);
  for (const seq of selected.removeExpunged(uids)) context.send(seq, atom("EXPUNGE"));
  return ok(`${context.name} completed`);
}

/**
 * EXPUNGE (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.3): "permanently removes all
 * messages that have the \Deleted flag set from the currently selected mailbox. Before returning
 * an OK to the client, an untagged EXPUNGE response is sent for each message that is removed."
 */
export const expungeCommand: ImapCommand = {
  name: "EXPUNGE",
  states: ["Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 0);
    return expunge(context, undefined);
  },
};

/**
 * UID EXPUNGE (https://www.rfc-editor.org/rfc/rfc4315#section-2.1): only the \Deleted messages
 * whose UIDs are in the set, so a client does not remove what another client marked.
 */
export const uidExpungeCommand: ImapCommand = {
  name: "UID EXPUNGE",
  states: ["Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 1);
    return expunge(context, SequenceSet.parse(atomArg(args[0], "a UID set", context.tag), context.tag));
  },
};
