import { type Command, InvalidArgumentError } from "commander";
import { SystemClock } from "../kernel/clock.ts";
import { emergencyService } from "../node/emergency-node.ts";
import type { OpenedDirectory } from "../node/open-directory.ts";
import {
  type EmergencyNumber,
  EmergencyNumberRefused,
  type EmergencyService,
} from "../services/emergency/index.ts";
import { type CliOutput, commandLogger, configOf, withDirectory } from "./context.ts";
import { CliFailure } from "./user-commands.ts";

const integer = (min: number, max: number) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  return value;
};

/**
 * `parley emergency`: the emergency numbers (service 5) and their audit trail, on the node's
 * database, with the rules the REST API applies (config-file numbers are read-only, bound users
 * must exist). A running node reads changes within a minute.
 */
export function emergencyCommands(program: Command, io: CliOutput): void {
  const emergency = program.command("emergency").description("manage emergency numbers and read their audit");

  emergency
    .command("list")
    .description("list emergency numbers: number, priority, bound users, options, source")
    .action(async (_options, command: Command) => {
      await withEmergency(command, async (service) => {
        for (const n of service.numbers()) io.out(numberLine(n));
      });
    });

  emergency
    .command("set")
    .description("add or change an emergency number bound to one user or an ordered list of users")
    .argument("<number>", "what callers dial (digits, *, #, +)")
    .requiredOption("-u, --users <list>", "bound users, comma-separated: extension or extension@domain")
    .option("-l, --label <text>", "a name for admins", "")
    .option("-p, --priority <1-9>", "precedence over other calls", integer(1, 9), 1)
    .option("--record", "record every call to this number")
    .option("--no-announcement", "connect the caller without a prompt")
    .option("--ring-timeout <seconds>", "how long each user's phones ring", integer(5, 300), 30)
    .option("--retries <n>", "how many more times a user who did not answer is rung", integer(0, 5), 1)
    .option("--resource-priority <value>", "RFC 4412 Resource-Priority on the INVITEs", "esnet.0")
    .action(async (number: string, options, command: Command) => {
      if (!/^[0-9*#+]{1,32}$/.test(number))
        throw new CliFailure(`bad number ${number}: digits, *, # and + only`);
      if (!/^[A-Za-z0-9-]+\.[A-Za-z0-9-]+$/.test(options.resourcePriority))
        throw new CliFailure(
          `bad --resource-priority ${options.resourcePriority}: namespace.priority, e.g. esnet.0`,
        );
      await withEmergency(command, async (service) => {
        const saved = await service.saveNumber({
          number,
          label: options.label as string,
          users: String(options.users)
            .split(",")
            .map((u) => u.trim())
            .filter((u) => u !== ""),
          priority: options.priority as number,
          record: options.record === true,
          announcement: options.announcement !== false,
          ringTimeout: options.ringTimeout as number,
          retries: options.retries as number,
          resourcePriority: options.resourcePriority as string,
        });
        io.out(numberLine(saved));
      });
    });

  emergency
    .command("remove")
    .description("remove an emergency number set through the API or this command")
    .argument("<number>")
    .action(async (number: string, _options, command: Command) => {
      await withEmergency(command, async (service) => {
        await service.removeNumber(number);
        io.out(`removed ${number}`);
      });
    });

  emergency
    .command("audit")
    .description("the steps of emergency calls: one call's in order, or the latest of all")
    .option("--call <id>", "one call's steps, oldest first")
    .option("--number <number>", "only calls to this number")
    .option("-n, --limit <n>", "at most this many lines", integer(1, 1000), 100)
    .action(async (options, command: Command) => {
      await withEmergency(command, async (service) => {
        const entries = await service.audit({
          ...(options.call ? { callId: options.call as string } : {}),
          ...(options.number ? { number: options.number as string } : {}),
          limit: options.limit as number,
        });
        for (const e of entries)
          io.out(
            [new Date(e.at).toISOString(), e.callId, e.number, e.event, e.party ?? "-", e.detail ?? ""]
              .join("\t")
              .trimEnd(),
          );
      });
    });
}

async function withEmergency(
  command: Command,
  run: (service: EmergencyService) => Promise<void>,
): Promise<void> {
  const config = configOf(command);
  await withDirectory(command, async (opened: OpenedDirectory) => {
    const service = emergencyService({
      config,
      clock: new SystemClock(),
      logger: commandLogger(config),
      database: opened.database,
      defaultDomain: opened.defaultDomain.name,
      userExists: async (extension, domain) =>
        (await opened.directory.findUser(extension, domain)) !== undefined,
    });
    await service.start();
    try {
      await run(service);
    } catch (error) {
      if (error instanceof EmergencyNumberRefused) throw new CliFailure(error.message);
      throw error;
    } finally {
      service.stop();
    }
  });
}

/** One number as a tab-separated line. */
function numberLine(n: EmergencyNumber): string {
  const options = [
    n.record ? "record" : undefined,
    n.announcement ? "announcement" : "no-announcement",
    `ring ${n.ringTimeout}s`,
    `retries ${n.retries}`,
    n.resourcePriority,
  ].filter((o) => o !== undefined);
  return [n.number, `priority ${n.priority}`, n.users.join(","), options.join(" "), n.source, n.label]
    .join("\t")
    .trimEnd();
}
