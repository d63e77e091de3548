import { expectArgs, type ImapCommand, ok } from "./command.ts";

/**
 * NOOP (https://www.rfc-editor.org/rfc/rfc3501#section-6.1.2): "Since any command can return a
 * status update as untagged data, the NOOP command can be used as a periodic poll for new
 * messages or message status updates". The updates are written by the connection after it.
 */
export const noopCommand: ImapCommand = {
  name: "NOOP",
  states: ["NotAuthenticated", "Authenticated", "Selected"],
  updates: "all",
  async handle(context, args) {
    expectArgs(context, args, 0);
    return ok("NOOP completed");
  },
};
