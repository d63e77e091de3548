import type { Command } from "commander";
import { type Config, loadConfig } from "../config/index.ts";
import { SystemClock } from "../kernel/clock.ts";
import { createLogger, type Logger } from "../kernel/log.ts";
import { type OpenedDirectory, openDirectory } from "../node/open-directory.ts";

/** Where a command writes: stdout for results, stderr for diagnostics. Tests pass their own. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Reads a secret when none was given on the command line (one line of standard input). */
  readSecret: (prompt: string) => Promise<string>;
}

export function configOf(command: Command): Config {
  const { config } = command.optsWithGlobals<{ config?: string }>();
  return loadConfig(config === undefined ? {} : { path: config }).config;
}

/** Provisioning commands log warnings only, to stderr, so stdout stays machine-readable. */
export function commandLogger(config: Config): Logger {
  return createLogger({ level: config.log.level === "silent" ? "silent" : "warn", format: "json", fd: 2 });
}

/** Opens the directory for one command, runs it, and closes the database whatever happens. */
export async function withDirectory<T>(
  command: Command,
  run: (opened: OpenedDirectory) => Promise<T>,
): Promise<T> {
  const config = configOf(command);
  const opened = await openDirectory(config, { logger: commandLogger(config), clock: new SystemClock() });
  try {
    return await run(opened);
  } finally {
    await opened.database.close();
  }
}
