import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PARLEY_BIN = fileURLToPath(new URL("../../bin/parley.js", import.meta.url));

/**
 * The environment a spawned Parley gets: the test's, minus PARLEY_* settings that would leak in,
 * with SIP on a free port so tests never collide on 5060 or with each other. A key given as
 * undefined in `extra` is removed.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("PARLEY_")) env[key] = value;
  }
  const merged: NodeJS.ProcessEnv = {
    ...env,
    PARLEY_LOG_FORMAT: "json",
    PARLEY_SIP_PORT: "0",
    PARLEY_IMAP_PORT: "0",
    PARLEY_IMAP_HOST: "127.0.0.1",
    PARLEY_SMTP_PORT: "0",
    PARLEY_SMTP_HOST: "127.0.0.1",
    PARLEY_SIP_WS_PORT: "0",
    ...extra,
  };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `parley …` command to completion. */
export async function runParley(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  const child = spawn(process.execPath, [PARLEY_BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(options.input ?? "");
  // A command that should have finished but did not (a server that started by mistake) is killed.
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A running `parley serve` (or `npm start`) process, killed by PID when the test ends. */
export class ParleyProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #log = "";
  #lines: Array<Record<string, unknown>> = [];
  #waiters: Array<() => void> = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = once(child, "exit").then(([code, signal]) => ({ code, signal }) as never);
    const onData = (chunk: Buffer) => {
      this.#log += chunk.toString();
      const lines = this.#log.split("\n");
      this.#log = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.#lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.#lines.push({ msg: line, raw: true });
        }
      }
      for (const wake of this.#waiters.splice(0)) wake();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  }

  /** Starts `node bin/parley.js <args>`; `command` overrides that (e.g. ["npm", "start"]). */
  static start(options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    args?: string[];
    command?: [string, ...string[]];
  }): ParleyProcess {
    const [file, ...args] = options.command ?? [process.execPath, PARLEY_BIN, ...(options.args ?? ["serve"])];
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that a signal reaches it the way Ctrl-C reaches a shell job.
      detached: true,
    });
    return new ParleyProcess(child);
  }

  get lines(): ReadonlyArray<Record<string, unknown>> {
    return this.#lines;
  }

  /** Waits for a log line matching `predicate` (or for the process to exit, which rejects). */
  async waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#lines.find(predicate);
      if (found) return found;
      if (this.child.exitCode !== null)
        throw new Error(`parley exited (${this.child.exitCode}):\n${this.transcript()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for a log line:\n${this.transcript()}`);
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push(resolve)),
        this.exited,
        new Promise((resolve) => setTimeout(resolve, 200)),
      ]);
    }
  }

  /** The HTTP port from the "parley running" line. */
  async httpPort(): Promise<number> {
    const line = await this.waitForLine((l) => l.msg === "parley running");
    return (line.http as { port: number }).port;
  }

  /** Sends a signal to the whole process group (like Ctrl-C in a terminal). */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null)
      return;
    try {
      process.kill(-this.child.pid, signal);
    } catch (error) {
      // Gone between the check and the kill (a test killed it with SIGKILL a moment ago).
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }

  /** Kills the group by PID if it is still running; for test cleanup. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.signalGroup("SIGKILL");
      } catch {
        // already gone
      }
      await this.exited;
    }
  }

  transcript(): string {
    return this.#lines.map((l) => (l.raw ? String(l.msg) : JSON.stringify(l))).join("\n");
  }
}
