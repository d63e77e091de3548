import { type Command, Option } from "commander";
import { DEFAULT_SUBSCRIPTION, type RecordingPolicy } from "../services/recording/index.ts";
import { SqlRecordingSubscriptions } from "../storage/index.ts";
import { type CliOutput, withDirectory } from "./context.ts";
import { CliFailure } from "./user-commands.ts";

const POLICIES: readonly RecordingPolicy[] = ["outgoing", "incoming", "both"];

/**
 * `parley user recording <extension>`: shows a user's recording subscription, and changes what
 * the options say: --on/--off is the user's recording feature flag, --policy and
 * --announce/--no-announce the subscription behind it. Prints the result as one line.
 */
export function userRecordingCommand(user: Command, io: CliOutput): void {
  user
    .command("recording")
    .description("show or set a user's automatic call recording subscription")
    .argument("<extension>")
    .addOption(
      new Option("--policy <policy>", "which calls are recorded: made, received, or both").choices(POLICIES),
    )
    .option("--announce", 'both parties first hear "this call is being recorded"')
    .option("--no-announce", "no announcement")
    .addOption(new Option("--on", "turn recording on (the user's recording feature)").conflicts("off"))
    .option("--off", "turn recording off")
    .option("-d, --domain <domain>", "SIP domain (default: sip.domain)")
    .action(async (extension: string, options, command: Command) => {
      await withDirectory(command, async ({ directory, database }) => {
        const found = await directory.findUser(extension, options.domain);
        if (!found) throw new CliFailure(`no user ${extension}`);
        const { user: stored, key } = await directory.getUserWithDomain(found.id);
        const subscriptions = new SqlRecordingSubscriptions(database.db);
        const current = (await subscriptions.get(key)) ?? DEFAULT_SUBSCRIPTION;
        const next = {
          policy: (options.policy as RecordingPolicy | undefined) ?? current.policy,
          announce: (options.announce as boolean | undefined) ?? current.announce,
        };
        if (options.policy !== undefined || options.announce !== undefined)
          await subscriptions.set(key, next);
        let enabled = stored.features.recording;
        if (options.on || options.off) {
          const updated = await directory.updateUser(stored.id, {
            features: { recording: options.on === true },
          });
          enabled = updated.features.recording;
        }
        io.out(
          `${key}\trecording ${enabled ? "on" : "off"}\tpolicy ${next.policy}\tannounce ${next.announce ? "yes" : "no"}`,
        );
      });
    });
}
