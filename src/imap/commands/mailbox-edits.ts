import { astring } from "../parser/command-parser.ts";
import { expectArgs, type ImapCommand, mailboxName, no, ok, userOf } from "./command.ts";

/**
 * Commands that would change the set of mailboxes or add messages. Voice mailboxes are made by
 * the voicemail service and filled by callers, so over IMAP these answer
 * `NO [CANNOT]` (https://www.rfc-editor.org/rfc/rfc5530#section-3: "The operation violates some
 * invariant of the server"). The argument counts are still checked so a malformed command gets BAD.
 */
function refused(name: string, minArgs: number, maxArgs: number): ImapCommand {
  return {
    name,
    states: ["Authenticated", "Selected"],
    updates: "all",
    async handle(context, args) {
      expectArgs(context, args, minArgs, maxArgs);
      return no(`${name} is not available on voice mailboxes`, "CANNOT");
    },
  };
}

/** CREATE (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.3): refused. */
export const createCommand = refused("CREATE", 1, 1);
/** DELETE (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.4): refused. */
export const deleteCommand = refused("DELETE", 1, 1);
/** RENAME (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.5): refused. */
export const renameCommand = refused("RENAME", 2, 2);
/** UNSUBSCRIBE (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.7): refused, every mailbox stays subscribed. */
export const unsubscribeCommand = refused("UNSUBSCRIBE", 1, 1);
/** APPEND (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.11): refused; messages come from callers. */
export const appendCommand = refused("APPEND", 2, 4);

/**
 * SUBSCRIBE (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.6): every mailbox is always
 * subscribed, so subscribing to one that exists succeeds and changes nothing.
 */
export const subscribeCommand: ImapCommand = {
  name: "SUBSCRIBE",
  states: ["Authenticated", "Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 1);
    const name = mailboxName(astring(args[0], "a mailbox name", context.tag));
    const status = await context.session.store.status(userOf(context), name);
    return status ? ok("SUBSCRIBE completed") : no(`No mailbox ${name}`, "NONEXISTENT");
  },
};
