import { atom, type ResponseItem, str } from "../compiler/response.ts";
import { astring } from "../parser/command-parser.ts";
import { type CommandContext, expectArgs, type ImapCommand, ok, userOf } from "./command.ts";

const DELIMITER = "/";

/**
 * A LIST pattern as a regular expression (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.8):
 * "*" matches zero or more characters, "%" the same but not the hierarchy delimiter. INBOX
 * matches case-insensitively.
 */
function patternRegExp(pattern: string, flags = ""): RegExp {
  const source = [...pattern]
    .map((ch) => {
      if (ch === "*") return ".*";
      if (ch === "%") return `[^${DELIMITER}]*`;
      return ch.replace(/[\\^$.|?+()[\]{}]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${source}$`, `s${flags}`);
}

async function list(
  context: CommandContext,
  args: Parameters<ImapCommand["handle"]>[1],
  kind: "LIST" | "LSUB",
) {
  expectArgs(context, args, 2);
  const reference = astring(args[0], "a reference name", context.tag);
  const pattern = astring(args[1], "a mailbox pattern", context.tag);
  if (pattern === "" && kind === "LIST") {
    // "An empty ("" string) mailbox name argument is a special request to return the hierarchy
    // delimiter and the root name of the name given in the reference."
    context.send(atom("LIST"), [atom("\\Noselect")], str(DELIMITER), str(""));
    return ok(`${kind} completed`);
  }
  const regexp = patternRegExp(reference + pattern);
  const inbox = patternRegExp(reference + pattern, "i");
  const mailboxes = await context.session.store.mailboxes(userOf(context));
  for (const mailbox of mailboxes) {
    if (!(mailbox.name === "INBOX" ? inbox : regexp).test(mailbox.name)) continue;
    const attributes: ResponseItem[] = kind === "LIST" ? [atom("\\HasNoChildren")] : [];
    context.send(atom(kind), attributes, str(DELIMITER), str(mailbox.name));
  }
  return ok(`${kind} completed`);
}

/**
 * LIST (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.8): the user's mailboxes matching a
 * reference and a pattern with `*` and `%` wildcards; flat hierarchy with "/" as delimiter.
 */
export const listCommand: ImapCommand = {
  name: "LIST",
  states: ["Authenticated", "Selected"],
  updates: "all",
  handle: (context, args) => list(context, args, "LIST"),
};

/**
 * LSUB (https://www.rfc-editor.org/rfc/rfc3501#section-6.3.9): every mailbox counts as
 * subscribed (voice mailboxes are fixed), so LSUB lists what LIST lists.
 */
export const lsubCommand: ImapCommand = {
  name: "LSUB",
  states: ["Authenticated", "Selected"],
  updates: "all",
  handle: (context, args) => list(context, args, "LSUB"),
};
