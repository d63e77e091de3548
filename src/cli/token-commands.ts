import type { Command } from "commander";
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
    .option("--name <name>", "what the token is for", "admin")
    .action(async (options, command: Command) => {
      if (!options.admin) throw new CliFailure("only admin tokens exist so far: pass --admin");
      await withDirectory(command, async ({ tokens }) => {
        const { secret } = await tokens.issue({ name: options.name, admin: true });
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
          io.out(`${t.id}\t${t.name}\t${t.admin ? "admin" : "user"}\tcreated ${t.createdAt}\t${state}`);
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
