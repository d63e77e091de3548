import { atom, type ResponseItem, str } from "../compiler/response.ts";
import { ImapParseError } from "../errors.ts";
import { astring, list } from "../parser/command-parser.ts";
import { expectArgs, type ImapCommand, mailboxName, no, ok, userOf } from "./command.ts";

/**
 * STATUS (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.10): MESSAGES, RECENT, UIDNEXT,
 * UIDVALIDITY and UNSEEN of a mailbox without selecting it. RECENT is always 0: \Recent belongs
 * to the session that has the mailbox selected when a message arrives.
 */
export const statusCommand: ImapCommand = {
  name: "STATUS",
  states: ["Authenticated", "Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 2);
    const name = mailboxName(astring(args[0], "a mailbox name", context.tag));
    const items = list(args[1], "a list of status items", context.tag).map((item) =>
      astring(item, "a status item", context.tag).toUpperCase(),
    );
    if (items.length === 0) throw new ImapParseError("Empty status item list", context.tag);
    const status = await context.session.store.status(userOf(context), name);
    if (!status) return no(`No mailbox ${name}`, "NONEXISTENT");
    const out: ResponseItem[] = [];
    for (const item of items) {
      const value: Record<string, number> = {
        MESSAGES: status.messages,
        RECENT: 0,
        UIDNEXT: status.uidNext,
        UIDVALIDITY: status.uidValidity,
        UNSEEN: status.unseen,
      };
      const n = value[item];
      if (n === undefined) throw new ImapParseError(`Unknown status item ${item}`, context.tag);
      out.push(atom(item), n);
    }
    context.send(atom("STATUS"), str(status.name), out);
    return ok("STATUS completed");
  },
};
