import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { stringify as toToml } from "smol-toml";
import { redactConfig } from "../config/index.ts";
import { createLogger } from "../kernel/log.ts";
import { PARLEY_VERSION } from "../node/version.ts";
import { cdrCommands } from "./cdr-commands.ts";
import { type CliOutput, configOf, withDirectory } from "./context.ts";
import { emergencyCommands } from "./emergency-commands.ts";
import { phoneCommand } from "./phone-command.ts";
import { userRecordingCommand } from "./recording-commands.ts";
import { registrationCommands } from "./registration-commands.ts";
import { tokenCommands } from "./token-commands.ts";
import { userCommands } from "./user-commands.ts";

export interface ProgramIo extends CliOutput {
  /** Resolves with the signal name when the process is asked to stop (SIGINT, SIGTERM). */
  stopSignal: () => Promise<string>;
}

/** The `parley` command line. Every command has --help; --config applies to all of them. */
export function buildProgram(io: ProgramIo): Command {
  const program = new Command("parley")
    .description("Parley VoIP service platform")
    .option(
      "-c, --config <file>",
      "configuration file (default: PARLEY_CONFIG, else ./parley.toml if present)",
    )
    .version(PARLEY_VERSION, "-V, --version", "print the version")
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  program
    .command("serve")
    .description("run the server until SIGINT or SIGTERM")
    .action(async (_options, command: Command) => {
      const config = configOf(command);
      // The whole node is loaded only to serve: provisioning commands start faster without it.
      const { ParleyNode } = await import("../node/index.ts");
      const node = new ParleyNode({ config, logger: createLogger(config.log) });
      await node.start();
      const signal = await io.stopSignal();
      node.logger.info({ signal }, "signal received");
      await node.stop();
    });

  userRecordingCommand(userCommands(program, io), io);
  tokenCommands(program, io);
  registrationCommands(program, io);
  cdrCommands(program, io);
  emergencyCommands(program, io);
  phoneCommand(program, io);

  const configCommand = program.command("config").description("inspect the configuration");
  configCommand
    .command("check")
    .description("validate the configuration and print the effective values, secrets masked")
    .action((_options, command: Command) => {
      const config = configOf(command);
      io.out(toToml(redactConfig(config)));
    });

  program
    .command("migrate")
    .description("apply pending database migrations (serve also does this at start)")
    .action(async (_options, command: Command) => {
      await withDirectory(command, async ({ database }) => {
        io.out(`database schema is current (${database.backend})`);
      });
    });

  program
    .command("version")
    .description("print the version")
    .action(() => io.out(PARLEY_VERSION));

  program
    .command("openapi")
    .description("print the OpenAPI document of the REST API")
    .option("-o, --out <file>", "write it to a file instead")
    .action(async (options) => {
      const { openApiDocument } = await import("../node/index.ts");
      const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
      if (options.out) writeFileSync(options.out, text);
      else io.out(text.trimEnd());
    });

  return program;
}
