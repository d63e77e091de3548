import { atom } from "../compiler/response.ts";
import { expectArgs, type ImapCommand, ok } from "./command.ts";

/**
 * CAPABILITY (https://www.rfc-editor.org/rfc/rfc3501#section-6.1.1): "The CAPABILITY command
 * requests a listing of capabilities that the server supports. The server MUST send a single
 * untagged CAPABILITY response with "IMAP4rev1" as one of the listed capabilities".
 */
export const capabilityCommand: ImapCommand = {
  name: "CAPABILITY",
  states: ["NotAuthenticated", "Authenticated", "Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 0);
    context.send(atom("CAPABILITY"), ...context.session.capabilities().map((c) => atom(c)));
    return ok("CAPABILITY completed");
  },
};
