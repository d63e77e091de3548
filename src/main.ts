import { createInterface } from "node:readline";
import { runCli } from "./cli/index.ts";

/**
 * Process entry: argv → CLI command → exit code. SIGINT/SIGTERM end `parley serve` gracefully;
 * a second signal during the drain exits at once.
 */
async function main(): Promise<void> {
  let signals = 0;
  const stopSignal = () =>
    new Promise<string>((resolve) => {
      const onSignal = (signal: string) => {
        signals += 1;
        if (signals > 1) process.exit(130);
        resolve(signal);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });

  const code = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readSecret,
    stopSignal,
  });
  process.exitCode = code;
  // Anything still holding the event loop after a command finished is a leak; do not hang on it.
  process.stdout.write("", () => process.exit(code));
}

function readSecret(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stderr.write(prompt);
    // Do not echo the secret on a terminal.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  return new Promise((resolve) => {
    rl.once("line", (line) => {
      // Resolve first: close() emits "close" synchronously, whose handler would resolve "".
      resolve(line);
      rl.close();
      if (process.stdin.isTTY) process.stderr.write("\n");
    });
    rl.once("close", () => resolve(""));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`parley: fatal: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(70);
});
