import { expectArgs, type ImapCommand, ok } from "./command.ts";

/**
 * CHECK (https://www.rfc-editor.org/rfc/rfc3501#section-6.4.1): a checkpoint of the mailbox. The
 * store writes through, so there is nothing to do but answer (and deliver pending updates).
 */
export const checkCommand: ImapCommand = {
  name: "CHECK",
  states: ["Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 0);
    return ok("CHECK completed");
  },
};
