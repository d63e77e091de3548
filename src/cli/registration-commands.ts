import type { Command } from "commander";
import { SystemClock } from "../kernel/clock.ts";
import { SqlBindingStore } from "../storage/index.ts";
import { type CliOutput, withDirectory } from "./context.ts";

/**
 * `parley registrations`: the bindings as stored (the registrar writes every change through to
 * the database), so it works whether the server runs or not.
 */
export function registrationCommands(program: Command, io: CliOutput): void {
  program
    .command("registrations")
    .description("list current SIP registrations")
    .option("--aor <aor>", "only this address-of-record, e.g. sip:1001@example.com")
    .option("--json", "one JSON object per line")
    .action(async (options, command: Command) => {
      await withDirectory(command, async ({ database }) => {
        const now = new SystemClock().now();
        const bindings = (await new SqlBindingStore(database.db).load(now))
          .filter((b) => options.aor === undefined || b.aor === options.aor)
          .sort((a, b) => a.aor.localeCompare(b.aor) || a.contact.localeCompare(b.contact));
        for (const b of bindings) {
          const left = Math.round((b.expiresAt - now) / 1000);
          const source = `${b.source.protocol}:${b.source.address}:${b.source.port}`;
          io.out(
            options.json
              ? JSON.stringify(b)
              : `${b.aor}\t${b.contact}\t${source}\texpires in ${left}s\t${b.userAgent ?? ""}`,
          );
        }
      });
    });
}
