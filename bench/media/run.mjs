#!/usr/bin/env node
// `npm run bench:media`: how many relayed G.711 calls a media server carries on loopback.
//
// A call is two phones bridged by the server: both phones are played by load.mjs (a separate
// process), each sending a 172-byte PCMU RTP packet every 20 ms to the server, which relays it to
// the other phone. Targets:
//   parley     Parley's MediaEngine (engine.answer × 2 + engine.bridge), bench/media/parley-relay-server.ts
//   rtpengine  Sipwise rtpengine, userspace forwarding (--table=-1), set up over its ng protocol
// For each target the calls step up (50, 100, 200, 400, 700, 1000, …); every step starts a fresh
// server and a fresh load generator, runs for PARLEY_BENCH_SECONDS, and is "held" when the loss is
// under 0.5% and the added jitter (mean |D| of transit times, RFC 3550 §6.4.1) under 5 ms. A
// target's result is the most calls held; its steps stop at the first step not held. The CPU of the
// server and of the generator (from /proc/<pid>/stat) is reported per step, so it shows when the
// generator, not the server, is the limit. One result line is printed last on stdout, e.g.
//   relay: Parley 400 calls, rtpengine 1000 calls, ratio 0.40×
// Progress goes to stderr. Everything runs on 127.0.0.1; every process is started here and stopped
// here by PID; the whole run has a hard deadline.
//
// Knobs (environment):
//   PARLEY_BENCH_SECONDS      seconds of media per step (default 10; 3 for a quick run)
//   PARLEY_BENCH_STEPS        comma-separated call counts (default 50,100,200,400,700,1000,1500,2000)
//   PARLEY_BENCH_TARGETS      comma-separated targets (default: parley, and rtpengine when installed)
//   PARLEY_BENCH_SLICES       slices the generator spreads each 20 ms tick over (default 4)
//   PARLEY_BENCH_MAX_SECONDS  hard deadline for the whole run (default: computed from the above)
//   PARLEY_BENCH_JSON         also write the per-step results as JSON to this file
//   PARLEY_BENCH_RTPENGINE    rtpengine binary (default: rtpengine on PATH)
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { NgClient } from "./ng.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOST = "127.0.0.1";
const env = process.env;
const SECONDS = Number(env.PARLEY_BENCH_SECONDS ?? 10);
const STEPS = (env.PARLEY_BENCH_STEPS ?? "50,100,200,400,700,1000,1500,2000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => n > 0);
const SLICES = Number(env.PARLEY_BENCH_SLICES ?? 4);
const MAX_LOSS_PCT = 0.5;
const MAX_JITTER_MS = 5;
const PARLEY_PORTS = { min: 10000, max: 21998 };
const RTPENGINE_PORTS = { min: 22000, max: 32766 }; // below the kernel's ephemeral range (the phones)
const NG_LISTEN_PORT = 9910; // rtpengine's ng control port, outside both RTP ranges
const cpus = availableParallelism();
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

function log(message) {
  process.stderr.write(`${message}\n`);
}

function which(bin) {
  if (bin.includes("/")) return isExecutable(bin) ? bin : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
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

const RTPENGINE = which(env.PARLEY_BENCH_RTPENGINE ?? "rtpengine");
const available = ["parley", ...(RTPENGINE ? ["rtpengine"] : [])];
const TARGETS = (env.PARLEY_BENCH_TARGETS ?? available.join(","))
  .split(",")
  .map((t) => t.trim())
  .filter(Boolean);
for (const target of TARGETS) {
  if (!available.includes(target)) {
    log(`unknown or unavailable target: ${target} (available: ${available.join(", ")})`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes: every child is tracked and killed by PID on exit.

const live = new Set();
function track(child) {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}
function killLive() {
  for (const child of live) {
    try {
      process.kill(child.pid, "SIGKILL");
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

async function stop(child, graceMs = 2000) {
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
function jsonLines(child) {
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
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function machineJiffies() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, x) => sum + x, 0);
    const idle = fields[3] + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function phoneSdp(port, sessionId) {
  return [
    "v=0",
    `o=- ${sessionId} 1 IN IP4 ${HOST}`,
    "s=-",
    `c=IN IP4 ${HOST}`,
    "t=0 0",
    `m=audio ${port} RTP/AVP 0`,
    "a=rtpmap:0 PCMU/8000",
    "a=ptime:20",
    "a=sendrecv",
    "",
  ].join("\r\n");
}

function audioPort(sdp) {
  const match = /^m=audio (\d+) /m.exec(sdp);
  if (!match) throw new Error(`no m=audio line in SDP:\n${sdp}`);
  return Number(match[1]);
}

// ---------------------------------------------------------------------------------------------
// Targets: start() a fresh server, setup(phones) → relays, close().

function parleyTarget() {
  let child;
  let lines;
  let nextId = 1;
  return {
    name: "Parley",
    get pid() {
      return child?.pid;
    },
    async start() {
      child = track(
        spawn(process.execPath, ["--import", "tsx", join(HERE, "parley-relay-server.ts")], {
          cwd: ROOT,
          stdio: ["pipe", "pipe", "inherit"],
          env: {
            ...env,
            PARLEY_BENCH_PORT_MIN: String(PARLEY_PORTS.min),
            PARLEY_BENCH_PORT_MAX: String(PARLEY_PORTS.max),
          },
        }),
      );
      lines = jsonLines(child);
      const ready = await lines.next(20_000, "parley-relay-server ready");
      if (!ready.ready) throw new Error(`parley-relay-server: unexpected ${JSON.stringify(ready)}`);
    },
    async setup(phones) {
      const relays = [];
      for (let i = 0; i < phones.length; i += 50) {
        const batch = phones.slice(i, i + 50).map(([a, b], j) => ({
          a: phoneSdp(a, 2 * (i + j) + 1),
          b: phoneSdp(b, 2 * (i + j) + 2),
        }));
        const id = nextId++;
        child.stdin.write(`${JSON.stringify({ id, calls: batch })}\n`);
        const reply = await lines.next(20_000, "parley-relay-server calls");
        if (reply.error || !reply.ports) throw new Error(`parley-relay-server: ${JSON.stringify(reply)}`);
        relays.push(...reply.ports);
      }
      return relays;
    },
    async stats() {
      const id = nextId++;
      child.stdin.write(`${JSON.stringify({ id, stats: true })}\n`);
      return (await lines.next(5000, "parley-relay-server stats")).stats;
    },
    async close() {
      child?.stdin.end();
      await stop(child);
      child = undefined;
    },
  };
}

function rtpengineTarget() {
  let child;
  let ng;
  let stderrTail = "";
  return {
    name: "rtpengine",
    get pid() {
      return child?.pid;
    },
    async start() {
      child = track(
        spawn(
          RTPENGINE,
          [
            "--config-file=none",
            `--interface=${HOST}`,
            `--listen-ng=${HOST}:${NG_LISTEN_PORT}`,
            "--foreground",
            "--log-stderr",
            "--log-level=4",
            `--port-min=${RTPENGINE_PORTS.min}`,
            `--port-max=${RTPENGINE_PORTS.max}`,
            "--table=-1",
            "--timeout=120",
          ],
          { stdio: ["ignore", "ignore", "pipe"] },
        ),
      );
      child.stderr.on("data", (chunk) => {
        stderrTail = (stderrTail + chunk.toString()).slice(-4000);
      });
      ng = new NgClient(HOST, NG_LISTEN_PORT);
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`rtpengine exited early:\n${stderrTail}`);
        try {
          const pong = await ng.request({ command: "ping" }, 300);
          if (pong.result === "pong") return;
        } catch {}
        if (Date.now() > deadline) throw new Error(`rtpengine did not answer ping:\n${stderrTail}`);
        await sleep(100);
      }
    },
    async setup(phones) {
      const relays = new Array(phones.length);
      let next = 0;
      const worker = async () => {
        while (next < phones.length) {
          const i = next++;
          const [a, b] = phones[i];
          const common = { "call-id": `bench-${process.pid}-${i}`, "from-tag": `a${i}`, ICE: "remove" };
          const offer = await ng.request({
            ...common,
            command: "offer",
            sdp: phoneSdp(a, 2 * i + 1),
            replace: ["origin", "session-connection"],
          });
          const answer = await ng.request({
            ...common,
            command: "answer",
            "to-tag": `b${i}`,
            sdp: phoneSdp(b, 2 * i + 2),
            replace: ["origin", "session-connection"],
          });
          // The offer's SDP goes to phone B (where B sends); the answer's SDP goes to phone A.
          relays[i] = [audioPort(answer.sdp), audioPort(offer.sdp)];
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      return relays;
    },
    async close() {
      ng?.close();
      ng = undefined;
      await stop(child, 3000);
      child = undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One step: fresh server + fresh generator, N calls for SECONDS.

async function runStep(target, calls) {
  const load = track(
    spawn(process.execPath, [join(HERE, "load.mjs"), String(calls), String(SECONDS), String(SLICES)], {
      stdio: ["pipe", "pipe", "inherit"],
    }),
  );
  const loadLines = jsonLines(load);
  try {
    const { phones } = await loadLines.next(30_000, "load generator phones");
    await target.start();
    const setupStart = performance.now();
    const relays = await target.setup(phones);
    const setupMs = performance.now() - setupStart;
    load.stdin.write(`${JSON.stringify({ relays })}\n`);
    await loadLines.next(30_000, "load generator start");
    const wall0 = performance.now();
    const server0 = cpuSeconds(target.pid);
    const load0 = cpuSeconds(load.pid);
    const machine0 = machineJiffies();
    await loadLines.next(SECONDS * 1000 + 30_000, "load generator end of sending");
    const wall = (performance.now() - wall0) / 1000;
    const serverCpu = (cpuSeconds(target.pid) - server0) / wall;
    const loadCpu = (cpuSeconds(load.pid) - load0) / wall;
    const machine1 = machineJiffies();
    // Whole-machine busy share (all cores = 100%): shows other work competing for the CPUs.
    const machineBusyPct = (100 * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total);
    const { result } = await loadLines.next(30_000, "load generator result");
    const serverStats = target.stats ? await target.stats().catch(() => undefined) : undefined;
    return {
      ...result,
      setupMs: Math.round(setupMs),
      machineBusyPct,
      serverCpuPct: 100 * serverCpu,
      loadCpuPct: 100 * loadCpu,
      serverStats,
    };
  } finally {
    await stop(load);
    await target.close();
  }
}

function held(r) {
  return r.lossPct < MAX_LOSS_PCT && r.jitterMs < MAX_JITTER_MS;
}

function describe(r) {
  return (
    `loss ${r.lossPct.toFixed(3)}% (worst stream ${r.worstStreamLossPct.toFixed(1)}%, dead ${r.deadStreams}), ` +
    `jitter ${r.jitterMs.toFixed(2)} ms (RFC 3550 est. mean ${r.rfc3550JitterMeanMs.toFixed(2)}, max ${r.rfc3550JitterMaxMs.toFixed(2)}), ` +
    `transit mean ${r.transitMeanMs.toFixed(2)} max ${r.transitMaxMs.toFixed(1)} ms, ` +
    `CPU server ${r.serverCpuPct.toFixed(0)}% generator ${r.loadCpuPct.toFixed(0)}% ` +
    `machine ${r.machineBusyPct.toFixed(0)}% of ${cpus} cores ` +
    `(sender lag mean ${r.senderLagMeanMs.toFixed(2)} max ${r.senderLagMaxMs.toFixed(1)} ms), setup ${r.setupMs} ms`
  );
}

// ---------------------------------------------------------------------------------------------

const maxSeconds = Number(
  env.PARLEY_BENCH_MAX_SECONDS ?? TARGETS.length * STEPS.length * (SECONDS + 45) + 30,
);
const deadline = setTimeout(() => {
  log(`bench:media: hard deadline of ${maxSeconds} s reached, stopping`);
  killLive();
  process.exit(1);
}, maxSeconds * 1000);
deadline.unref();

log(
  `bench:media: ${TARGETS.join(", ")}; steps ${STEPS.join(",")} calls; ${SECONDS} s per step; ` +
    `held = loss < ${MAX_LOSS_PCT}% and jitter < ${MAX_JITTER_MS} ms; ${SLICES} slices per 20 ms tick`,
);
const results = {};
const allSteps = [];
for (const name of TARGETS) {
  const target = name === "parley" ? parleyTarget() : rtpengineTarget();
  let best = 0;
  for (const calls of STEPS) {
    let r;
    try {
      r = await runStep(target, calls);
    } catch (error) {
      log(`  ${target.name} ${calls} calls: FAILED: ${error instanceof Error ? error.message : error}`);
      allSteps.push({ target: name, calls, error: String(error) });
      break;
    }
    const ok = held(r);
    allSteps.push({ target: name, ...r, held: ok });
    const generatorBound = r.loadCpuPct > 90 ? " [generator near one core: it may be the limit]" : "";
    log(`  ${target.name} ${calls} calls: ${ok ? "held" : "NOT held"}: ${describe(r)}${generatorBound}`);
    if (!ok) break;
    best = calls;
    await sleep(500);
  }
  results[name] = best;
}
if (env.PARLEY_BENCH_JSON) writeFileSync(env.PARLEY_BENCH_JSON, JSON.stringify(allSteps, null, 2));

const parts = [];
if (results.parley !== undefined) parts.push(`Parley ${results.parley} calls`);
if (results.rtpengine !== undefined) parts.push(`rtpengine ${results.rtpengine} calls`);
if (results.parley !== undefined && results.rtpengine) {
  parts.push(`ratio ${(results.parley / results.rtpengine).toFixed(2)}×`);
}
process.stdout.write(`relay: ${parts.join(", ")}\n`);
killLive();
process.exit(0);
