import { expectArgs, type ImapCommand, ok, selectedOf } from "./command.ts";
import { deletedUids } from "./expunge.ts";

/**
 * CLOSE (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.2): "permanently removes all messages
 * that have the \Deleted flag set from the currently selected mailbox, and returns to the
 * authenticated state [...]. No untagged EXPUNGE responses are sent." Nothing is removed when the
 * mailbox was opened with EXAMINE.
 */
export const closeCommand: ImapCommand = {
  name: "CLOSE",
  states: ["Selected"],
  updates: "none",
  async handle(context, args) {
    expectArgs(context, args, 0);
    const selected = selectedOf(context);
    if (!selected.readOnly) {
      const uids = deletedUids(selected);
      if (uids.length > 0) await context.session.store.expunge(selected.user, selected.name, uids);
    }
    context.session.unselect();
    return ok("CLOSE completed");
  },
};

/** UNSELECT (https://www.rfc-editor.org/rfc/rfc3691#section-2): CLOSE without the expunge. */
export const unselectCommand: ImapCommand = {
  name: "UNSELECT",
  states: ["Selected"],
  updates: "none",
  async handle(context, args) {
    expectArgs(context, args, 0);
    context.session.unselect();
    return ok("UNSELECT completed");
  },
};
