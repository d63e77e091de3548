// Process plumbing for the media bench: children tracked and killed by PID, JSON lines from a
// child's stdout, CPU time from /proc, optional pinning to one CPU with taskset.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

export function log(message) {
  process.stderr.write(`${message}\n`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function which(bin) {
  if (bin.includes("/")) return isExecutable(bin) ? bin : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, bin);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const TASKSET = which("taskset");
export const canPin = TASKSET !== undefined;

// Every child is tracked and killed by PID on exit.
const live = new Set();
const exitHooks = [];

const NICE = which("nice");
/** PARLEY_BENCH_NICE: run the server and the generator at this niceness (e.g. -10 on a shared machine). */
const NICENESS = process.env.PARLEY_BENCH_NICE;

/**
 * Spawns `command args`, pinned to `cpu` with taskset when given, at PARLEY_BENCH_NICE when set
 * (taskset and nice exec the command: the child's PID is the command's).
 */
export function start(command, args, options, cpu) {
  let argv = [command, ...args];
  if (cpu !== undefined) argv = [TASKSET, "-c", String(cpu), ...argv];
  if (NICENESS && NICE) argv = [NICE, "-n", NICENESS, ...argv];
  const [program = command, ...rest] = argv;
  const child = spawn(program, rest, options);
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Runs `hook` on exit (after the children are killed), e.g. to remove a temp directory. */
export function onExit(hook) {
  exitHooks.push(hook);
}

export function killLive() {
  for (const child of live) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
  for (const hook of exitHooks.splice(0)) {
    try {
      hook();
    } catch {}
  }
}
process.on("exit", killLive);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killLive();
    process.exit(130);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stop(child, graceMs = 2000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** JSON lines from a child's stdout, awaited one by one. */
export function jsonLines(child) {
  const queue = [];
  const waiters = [];
  let closed = false;
  const rl = createInterface({ input: child.stdout });
  rl.on("line", (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(message);
    else queue.push(message);
  });
  rl.on("close", () => {
    closed = true;
    for (const waiter of waiters.splice(0)) waiter.reject(new Error("process output closed"));
  });
  return {
    next(timeoutMs, what) {
      if (queue.length > 0) return Promise.resolve(queue.shift());
      if (closed) return Promise.reject(new Error(`process output closed (waiting for ${what})`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const waiter = {
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.push(waiter);
      });
    },
  };
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid) {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** utime and stime of a process (all its threads), in seconds. */
export function cpuTimes(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function machineJiffies() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, x) => sum + x, 0);
    const idle = fields[3] + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/**
 * Waits (up to `maxMs`) until the machine is quiet: other processes together using less than
 * `maxBusyCores` of a core over half a second. Resolves with the busy cores last seen.
 */
export async function waitQuiet(cpus, maxBusyCores, maxMs) {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const a = machineJiffies();
    await sleep(500);
    const b = machineJiffies();
    const busyCores = ((b.busy - a.busy) / (b.total - a.total)) * cpus;
    if (!(busyCores >= maxBusyCores) || performance.now() >= deadline) return busyCores;
  }
}
