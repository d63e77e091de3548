import { type Command, Option } from "commander";
import type { SubscriberDirectory } from "../directory/index.ts";
import { type CliOutput, withDirectory } from "./context.ts";
import { CliFailure } from "./user-commands.ts";

/**
 * `parley token create|list|revoke`. The first admin token can only be made here, by someone who
 * can run commands on the server and read its database.
 */
export function tokenCommands(program: Command, io: CliOutput): void {
  const token = program.command("token").description("manage REST API bearer tokens");

  token
    .command("create")
    .description("create an API token and print it (it is shown only once)")
    .option("--admin", "the token may manage every domain and user")
    .addOption(
      new Option(
        "--user <extension>",
        "a user's token (extension or extension@domain; default domain sip.domain): it reaches only that user's recordings, ring-back tone and recording subscription",
      ).conflicts("admin"),
    )
    .option("--name <name>", "what the token is for (default: admin, or the user)")
    .action(async (options, command: Command) => {
      if (!options.admin && options.user === undefined) {
        throw new CliFailure("pass --admin for an admin token or --user <extension> for a user's token");
      }
      await withDirectory(command, async ({ tokens, directory }) => {
        const user = options.user === undefined ? undefined : await userKey(directory, options.user);
        const { secret } = await tokens.issue({
          name: (options.name as string | undefined) ?? user ?? "admin",
          admin: user === undefined,
          ...(user !== undefined && { user }),
        });
        io.out(secret);
      });
    });

  token
    .command("list")
    .description("list API tokens (never their secrets)")
    .action(async (_options, command: Command) => {
      await withDirectory(command, async ({ tokens }) => {
        for (const t of await tokens.list()) {
          const state = t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? "never"}`;
          const scope = t.admin ? "admin" : `user ${t.user ?? "?"}`;
          io.out(`${t.id}\t${t.name}\t${scope}\tcreated ${t.createdAt}\t${state}`);
        }
      });
    });

  token
    .command("revoke")
    .description("revoke an API token by id")
    .argument("<id>")
    .action(async (id: string, _options, command: Command) => {
      await withDirectory(command, async ({ tokens }) => {
        await tokens.revoke(id);
        io.out(`revoked ${id}`);
      });
    });
}

/** extension@domain of an existing user named as `extension` or `extension@domain`. */
async function userKey(directory: SubscriberDirectory, name: string): Promise<string> {
  const at = name.lastIndexOf("@");
  const extension = at < 0 ? name : name.slice(0, at);
  const domain = at < 0 ? undefined : name.slice(at + 1);
  const found = await directory.findUser(extension, domain);
  if (!found) throw new CliFailure(`no user ${name}`);
  return (await directory.getUserWithDomain(found.id)).key;
}
