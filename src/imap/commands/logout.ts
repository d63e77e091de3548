import { atom } from "../compiler/response.ts";
import { expectArgs, type ImapCommand, ok } from "./command.ts";

/**
 * LOGOUT (https://www.rfc-editor.org/rfc/rfc3501#section-6.1.3): "The server MUST send a BYE
 * untagged response before the (tagged) OK response, and then close the network connection."
 */
export const logoutCommand: ImapCommand = {
  name: "LOGOUT",
  states: ["NotAuthenticated", "Authenticated", "Selected"],
  updates: "none",
  async handle(context, args) {
    expectArgs(context, args, 0);
    context.send(atom("BYE"), atom("Parley IMAP4rev1 server logging out"));
    return { ...ok("LOGOUT completed"), after: () => context.session.logout() };
  },
};
