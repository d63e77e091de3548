import { CommanderError } from "commander";
import { ConfigError } from "../config/index.ts";
import { isParleyError } from "../kernel/parley-error.ts";
import { buildProgram, type ProgramIo } from "./program.ts";
import { CliFailure } from "./user-commands.ts";

/** Exit code for a configuration error (sysexits.h EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Runs one command line and returns the exit code. Expected failures (bad config, a duplicate
 * extension, a missing user) print one line to stderr; anything else is a bug and prints its stack.
 */
export async function runCli(argv: string[], io: ProgramIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      io.err(`parley: ${error.message}`);
      return EXIT_CONFIG;
    }
    if (error instanceof CliFailure || isParleyError(error)) {
      io.err(`parley: ${(error as Error).message}`);
      return 1;
    }
    io.err(`parley: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    return 70;
  }
}
