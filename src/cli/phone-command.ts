import { type Command, CommanderError, InvalidArgumentError } from "commander";
import { SystemClock } from "../kernel/clock.ts";
import { createLogger } from "../kernel/log.ts";
import type { SoftPhone } from "../phone/index.ts";
import type { CliOutput } from "./context.ts";

/** Exit code of `parley phone` for a bad command line (the shells' "misuse" code). */
export const EXIT_USAGE = 2;

interface PhoneCommandOptions {
  server: { address: string; port: number };
  user: string;
  password?: string;
  domain?: string;
  autoAnswer?: boolean;
  dial?: string;
  tone: number;
  emergencyMarker?: string[];
}

/**
 * `parley phone`: Parley's softphone on the command line. It registers with a SIP server, prints
 * one line per event on stdout (registered, incoming emergency|normal, answered, ended, rejected,
 * preempted), optionally dials a number, and runs until SIGINT or SIGTERM, when it hangs up,
 * unregisters and exits 0. A bad option prints one line naming it and exits 2.
 */
export function phoneCommand(program: Command, io: CliOutput & { stopSignal: () => Promise<string> }): void {
  program
    .command("phone")
    .description("run a SIP softphone that registers, takes and places calls and reports emergency rings")
    .requiredOption("--server <host:port>", "SIP server (UDP), e.g. 127.0.0.1:5060", parseServer)
    .requiredOption("--user <extension>", "extension: user part of the address and digest username")
    .option("--password <secret>", "SIP (digest) password (default: one line of standard input)")
    .option("--domain <domain>", "SIP domain of the address (default: the server's host)")
    .option("--auto-answer", "answer ringing calls at once")
    .option("--dial <target>", "call this extension, user@domain or SIP URI once registered")
    .option("--tone <hz>", "tone sent during calls, Hz (0 = silence)", parseTone, 0)
    .option(
      "--emergency-marker <text...>",
      "Alert-Info text that also marks an emergency call (e.g. Bellcore-dr5), repeatable",
    )
    .showHelpAfterError(false)
    .exitOverride((error) => {
      throw error.exitCode === 0 ? error : new CommanderError(EXIT_USAGE, error.code, error.message);
    })
    .action(async (options: PhoneCommandOptions, command: Command) => {
      const stopped = io.stopSignal();
      const password = options.password ?? (await io.readSecret("SIP password: "));
      if (password === "")
        command.error("error: option '--password <secret>' is empty and standard input gave none", {
          exitCode: EXIT_USAGE,
        });
      // The softphone and its SIP and media stacks load only for this command.
      const { SoftPhone } = await import("../phone/index.ts");
      const phone = new SoftPhone({
        extension: options.user,
        password,
        server: options.server,
        domain: options.domain ?? options.server.address,
        clock: new SystemClock(),
        logger: createLogger({ level: "warn", format: "json", fd: 2 }),
        autoAnswer: options.autoAnswer === true,
        toneHz: options.tone,
        emergencyMarkers: options.emergencyMarker ?? [],
      });
      try {
        await phone.start();
        const { aor } = await phone.register();
        io.out(`registered ${aor.replace(/^sip:/, "")}`);
        report(phone, io.out);
        if (options.dial !== undefined) void dial(phone, options.dial, io.out);
        await stopped;
        await phone.close();
        io.out(`unregistered ${aor.replace(/^sip:/, "")}`);
      } finally {
        await phone.close();
      }
    });
}

/** One stdout line per softphone event. */
function report(phone: SoftPhone, out: (line: string) => void): void {
  phone.on("incoming", ({ ring, from }) => out(`incoming ${ring} from ${from}`));
  phone.on("answered", ({ peer }) => out(`answered ${peer}`));
  phone.on("ended", ({ by, reason }) => out(`ended by ${by}${reason === undefined ? "" : ` (${reason})`}`));
  phone.on("rejected", ({ status, ring }) =>
    out(`rejected ${status} (${ring} ring ${status === 486 ? "while busy" : "without a usable offer"})`),
  );
  phone.on("preempted", ({ peer, by }) =>
    out(`preempted: ended the current call (${peer}) for an emergency call from ${by}`),
  );
}

async function dial(phone: SoftPhone, target: string, out: (line: string) => void): Promise<void> {
  out(`calling ${target}`);
  try {
    const outcome = await phone.call(target);
    if (!outcome.answered) out(`call failed ${outcome.status} ${outcome.reason}`);
  } catch (error) {
    out(`call failed: ${(error as Error).message}`);
  }
}

/** `host:port` or `[v6]:port`, port 1–65535. */
function parseServer(value: string): { address: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  const address = match?.[1] ?? match?.[2];
  if (!address || !(port >= 1 && port <= 65535))
    throw new InvalidArgumentError("expected host:port with a port from 1 to 65535, e.g. 127.0.0.1:5060");
  return { address, port };
}

/** A tone frequency G.711 at 8 kHz can carry: 0 (silence) to 3999 Hz. */
function parseTone(value: string): number {
  const hz = Number(value);
  if (!/^\d+$/.test(value.trim()) || !(hz >= 0 && hz < 4000))
    throw new InvalidArgumentError("expected a whole number of Hz from 0 (silence) to 3999");
  return hz;
}
