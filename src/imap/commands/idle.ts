import { bad, expectArgs, type ImapCommand, ok } from "./command.ts";

/**
 * IDLE (https://www.rfc-editor.org/rfc/rfc2177#section-3): "the server [sends] a continuation
 * request [...] untagged EXISTS and EXPUNGE responses [...] are sent immediately", until the
 * client's "DONE". Changes from other sessions and the phone come from MailStore.watch through the
 * selected mailbox; FETCH FLAGS updates are pushed the same way.
 */
export const idleCommand: ImapCommand = {
  name: "IDLE",
  states: ["Authenticated", "Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 0);
    const selected = context.session.selected;
    context.continuation("idling");
    await context.flushUpdates();
    if (selected) selected.onChange = () => void context.flushUpdates();
    try {
      const line = await context.readLine();
      if (line === undefined) return bad("Connection closed");
      if (line.toString("latin1").trim().toUpperCase() !== "DONE") return bad("Expected DONE");
      return ok("IDLE terminated");
    } finally {
      if (selected) selected.onChange = undefined;
    }
  },
};
