import { type Command, Option } from "commander";
import type { User, UserFeatures } from "../directory/index.ts";
import { type CliOutput, withDirectory } from "./context.ts";

const FEATURES: Record<string, keyof UserFeatures> = {
  recording: "recording",
  voicemail: "voicemail",
  "background-call": "backgroundCall",
  "click-to-call": "clickToCall",
};

/** `parley user add|list|remove|passwd`; returns the `user` command for more subcommands. */
export function userCommands(program: Command, io: CliOutput): Command {
  const user = program.command("user").description("manage subscribers (SIP users)");

  user
    .command("add")
    .description("add a user; prints the generated SIP password when --password is not given")
    .argument("<extension>", "user part of the SIP address and digest username, e.g. 1001")
    .option("-p, --password <secret>", "SIP (digest) password")
    .option("-w, --web-password <secret>", "web portal password")
    .option("-n, --name <display-name>", "display name")
    .option("--number <e164...>", "E.164 phone number reaching this user (repeatable)")
    .addOption(
      new Option("--feature <name...>", "service to enable (repeatable)").choices(Object.keys(FEATURES)),
    )
    .option("-d, --domain <domain>", "SIP domain (default: sip.domain)")
    .action(async (extension: string, options, command: Command) => {
      await withDirectory(command, async ({ directory }) => {
        const features = Object.fromEntries(
          ((options.feature as string[] | undefined) ?? []).map((f) => [FEATURES[f] as string, true]),
        );
        const { user: added, generatedPassword } = await directory.addUser({
          extension,
          domain: options.domain,
          displayName: options.name,
          password: options.password,
          webPassword: options.webPassword,
          phoneNumbers: options.number,
          features,
        });
        io.out(`added ${describe(added)}`);
        if (generatedPassword !== undefined) io.out(`SIP password: ${generatedPassword}`);
      });
    });

  user
    .command("list")
    .description("list users")
    .option("-d, --domain <domain>", "only this domain")
    .option("--json", "one JSON object per line")
    .action(async (options, command: Command) => {
      await withDirectory(command, async ({ directory }) => {
        for (let offset = 0; ; offset += 500) {
          const page = await directory.listUsers({ domain: options.domain, limit: 500, offset });
          for (const u of page.users) io.out(options.json ? JSON.stringify(u) : describe(u));
          if (offset + page.users.length >= page.total || page.users.length === 0) break;
        }
      });
    });

  user
    .command("remove")
    .description("remove a user, release their numbers and revoke their API tokens")
    .argument("<extension>")
    .option("-d, --domain <domain>", "SIP domain (default: sip.domain)")
    .action(async (extension: string, options, command: Command) => {
      await withDirectory(command, async ({ directory, tokens }) => {
        const found = await directory.findUser(extension, options.domain);
        if (!found) throw new CliFailure(`no user ${extension}`);
        const { key } = await directory.getUserWithDomain(found.id);
        await directory.removeUser(found.id);
        await tokens.revokeUser(key);
        io.out(`removed ${extension}`);
      });
    });

  user
    .command("passwd")
    .description(
      "set a user's SIP password (or, with --web, portal password); reads it from stdin when not given",
    )
    .argument("<extension>")
    .option("-p, --password <secret>", "the new password")
    .option("--web", "set the web portal password instead of the SIP password")
    .option("-d, --domain <domain>", "SIP domain (default: sip.domain)")
    .action(async (extension: string, options, command: Command) => {
      await withDirectory(command, async ({ directory }) => {
        const found = await directory.findUser(extension, options.domain);
        if (!found) throw new CliFailure(`no user ${extension}`);
        const secret = (options.password as string | undefined) ?? (await io.readSecret("New password: "));
        await directory.updateUser(found.id, options.web ? { webPassword: secret } : { password: secret });
        io.out(`${options.web ? "web" : "SIP"} password changed for ${extension}`);
      });
    });
  return user;
}

function describe(user: User): string {
  const enabled = Object.entries(user.features)
    .filter(([, on]) => on)
    .map(([name]) => name);
  const numbers = user.phoneNumbers.length > 0 ? ` ${user.phoneNumbers.join(",")}` : "";
  const features = enabled.length > 0 ? ` [${enabled.join(",")}]` : "";
  return `${user.extension}\t${JSON.stringify(user.displayName)}${numbers}${features}\t${user.id}`;
}

/** A command that cannot do what was asked; printed as one line, exit code 1. */
export class CliFailure extends Error {}
