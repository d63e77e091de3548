import { astring } from "../parser/command-parser.ts";
import { type CommandContext, type CommandResult, expectArgs, type ImapCommand, no, ok } from "./command.ts";

/**
 * Checks a user name and password for LOGIN and AUTHENTICATE PLAIN. A source over its failure
 * budget gets `NO [UNAVAILABLE]` without the password being looked at
 * (https://www.rfc-editor.org/rfc/rfc5530#section-3); a wrong password `NO [AUTHENTICATIONFAILED]`.
 */
export async function verifyCredentials(
  context: CommandContext,
  username: string,
  password: string,
): Promise<CommandResult> {
  const session = context.session;
  if (session.requireTls && !session.secure) return no("Use STARTTLS first", "PRIVACYREQUIRED");
  if (!session.loginAllowed()) return no("Too many failed logins, try again later", "UNAVAILABLE");
  const user = await session.login.verify(username, password);
  if (user === undefined) {
    session.loginFailed();
    return no("Invalid credentials", "AUTHENTICATIONFAILED");
  }
  session.authenticated(user);
  return ok(`${context.name} completed`, `CAPABILITY ${session.capabilities().join(" ")}`);
}

/**
 * LOGIN (https://www.rfc-editor.org/rfc/rfc3501#section-6.2.3): user name and password as
 * astrings. With `requireTls` the server advertises LOGINDISABLED before TLS and refuses it: "The
 * server MAY refuse a LOGIN command when the capability LOGINDISABLED is advertised".
 */
export const loginCommand: ImapCommand = {
  name: "LOGIN",
  states: ["NotAuthenticated"],
  updates: "none",
  async handle(context, args) {
    expectArgs(context, args, 2);
    return verifyCredentials(
      context,
      astring(args[0], "user name", context.tag),
      astring(args[1], "password", context.tag),
    );
  },
};
