#!/usr/bin/env node
// `npm run bench:register`: REGISTER throughput with digest auth, 10,000 users, SIPp on loopback.
//
// For each target (a SIP registrar started here on 127.0.0.1) SIPp runs
// test/fixtures/sipp/register-digest.xml (REGISTER → 401 → REGISTER with credentials → 200) at
// stepped rates, each step a separate sipp run of rate × step-seconds calls. A step is "held" when
// under 0.1% of its calls fail (failed, unfinished at the deadline, or never started) and SIPp
// actually ran it at >= 95% of the asked rate. A target's result is the highest rate held; the
// steps stop at the first one not held. One result line is printed last on stdout, e.g.
//   register: kamailio 7000/s
//   register: parley 5000/s, kamailio 7000/s, ratio 0.71×          (once Parley is a target)
// Progress goes to stderr. Everything runs on 127.0.0.1, every process is started here and
// stopped here by PID, and the whole run has a hard deadline.
//
// Knobs (environment):
//   PARLEY_BENCH_STEP_SECONDS   seconds per step (default 20; 3 for a quick run)
//   PARLEY_BENCH_RATES          comma-separated rates (default 500,1000,2000,4000,7000,10000,14000)
//   PARLEY_BENCH_TARGETS        comma-separated target names (default: every available target)
//   PARLEY_BENCH_USERS          users in the database and CSV (default 10000)
//   PARLEY_BENCH_MAX_SECONDS    hard deadline for the whole run (default: computed, see below)
//   PARLEY_BENCH_JSON           also write the per-step results as JSON to this file
//   PARLEY_BENCH_KEEP           keep the temp dir (logs, CSV, db) and print its path
//   PARLEY_BENCH_KAMAILIO_DB    sqlite (default when db_sqlite.so is installed) or text
//   PARLEY_BENCH_KAMAILIO_CHILDREN  Kamailio UDP workers (default 2, for the 2-core machines)
//   PARLEY_BENCH_PARLEY_PERSISTENCE registrar.persistence for Parley: write-through (default) or write-back
//   PARLEY_BENCH_EXTERNAL       127.0.0.1:PORT of a registrar started elsewhere, measured as target
//                               `external` (only when PARLEY_BENCH_TARGETS names it): its users must
//                               already exist (bench/cluster/run.mjs runs its cluster this way)
import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeUsers } from "./make-users.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const SCENARIO = fileURLToPath(new URL("../../test/fixtures/sipp/register-digest.xml", import.meta.url));
const HOST = "127.0.0.1";
const DOMAIN = "parley.test";

const env = process.env;
const STEP_SECONDS = Number(env.PARLEY_BENCH_STEP_SECONDS ?? 20);
const RATES = (env.PARLEY_BENCH_RATES ?? "500,1000,2000,4000,7000,10000,14000")
  .split(",")
  .map((r) => Number(r.trim()))
  .filter((r) => r > 0);
const USERS = Number(env.PARLEY_BENCH_USERS ?? 10_000);
const MAX_FAILURE_RATIO = 0.001;
const MIN_RATE_RATIO = 0.95;
const PAUSE_BETWEEN_STEPS_MS = 2000;

/** Every process this script spawned and that is still running: killed by PID on any early exit. */
const live = new Set();
function track(child) {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}
function killLive() {
  for (const child of live) {
    try {
      process.kill(-child.pid, "SIGKILL"); // its own process group (spawned detached)
    } catch {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}
let tempDir;
process.on("exit", () => {
  killLive();
  if (tempDir && !env.PARLEY_BENCH_KEEP) rmSync(tempDir, { recursive: true, force: true });
});

function log(line) {
  process.stderr.write(`bench:register ${line}\n`);
}

function which(name) {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** A port free for UDP and TCP on 127.0.0.1 right now. */
async function freePort() {
  for (let i = 0; i < 20; i++) {
    const udp = dgram.createSocket("udp4");
    const port = await new Promise((ok, fail) => {
      udp.once("error", fail);
      udp.bind(0, HOST, () => ok(udp.address().port));
    });
    const server = net.createServer();
    const tcpFree = await new Promise((ok) => {
      server.once("error", () => ok(false));
      server.listen(port, HOST, () => ok(true));
    });
    await new Promise((ok) => udp.close(ok));
    if (tcpFree) {
      await new Promise((ok) => server.close(ok));
      return port;
    }
  }
  throw new Error("no free port on 127.0.0.1");
}

/** Sends OPTIONS until a 200 comes back (the server is up) or the deadline passes. */
async function waitForSip(port, seconds, isAlive) {
  const socket = dgram.createSocket("udp4");
  await new Promise((ok) => socket.bind(0, HOST, ok));
  const local = socket.address().port;
  const deadline = Date.now() + seconds * 1000;
  try {
    for (let i = 0; Date.now() < deadline; i++) {
      if (!isAlive()) return false;
      const request = [
        `OPTIONS sip:${HOST}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${local};branch=z9hG4bK-bench-${i}`,
        "Max-Forwards: 70",
        `From: <sip:bench@${HOST}:${local}>;tag=bench`,
        `To: <sip:${HOST}:${port}>`,
        `Call-ID: bench-ready-${i}@${HOST}`,
        "CSeq: 1 OPTIONS",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      const answered = new Promise((ok) => {
        const timer = setTimeout(() => ok(false), 250);
        socket.once("message", (msg) => {
          clearTimeout(timer);
          ok(/^SIP\/2\.0 200/.test(msg.toString()));
        });
      });
      socket.send(request, port, HOST);
      if (await answered) return true;
      socket.removeAllListeners("message");
    }
    return false;
  } finally {
    socket.close();
  }
}

/** Stops a child we spawned (detached, own process group): SIGTERM to its PID, then SIGKILL the group. */
async function stopChild(child, name) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once("exit", ok));
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = new Promise((ok) => setTimeout(() => ok("timeout"), 5000));
  if ((await Promise.race([exited, timer])) === "timeout") {
    log(`${name} did not stop on SIGTERM, killing its process group ${child.pid}`);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// Targets. Each has a name, available() → string | undefined (why it can't run, or undefined)
// and start(ctx) → { host, port, stop }. ctx: { dir, users: makeUsers() result, domain }.
// The server must accept REGISTER for ctx.users (user0000…, password pw-<user>, domain
// ctx.domain, digest MD5 first: SIPp 3.6.1 answers only the first WWW-Authenticate) on UDP.
// ---------------------------------------------------------------------------------------------
const targets = [
  {
    name: "kamailio",
    available: () => (which("kamailio") ? undefined : "kamailio not on PATH (apt-get install kamailio)"),
    async start(ctx) {
      const port = await freePort();
      const sqliteModule = "/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so";
      const db =
        env.PARLEY_BENCH_KAMAILIO_DB ?? (existsSync(sqliteModule) && ctx.users.sqlite ? "sqlite" : "text");
      const dbArgs =
        db === "sqlite"
          ? ["-A", "WITH_SQLITE", "-A", `DBURL="sqlite:///${ctx.users.sqlite}"`]
          : ["-A", `DBURL="text://${ctx.users.dbText}"`];
      const children = env.PARLEY_BENCH_KAMAILIO_CHILDREN ?? "2";
      const logFile = join(ctx.dir, "kamailio.log");
      const args = [
        "-f",
        join(HERE, "kamailio.cfg"),
        "-DD",
        "-E",
        "-w",
        ctx.dir,
        "-P",
        join(ctx.dir, "kamailio.pid"),
        "-A",
        `SIP_PORT=${port}`,
        "-A",
        `CHILDREN=${children}`,
        ...dbArgs,
        "-m",
        "256",
        "-M",
        "16",
      ];
      const { child, output } = await startServer("kamailio", "kamailio", args, { cwd: ctx.dir }, port, 15);
      log(`kamailio ${child.pid} up on udp:${HOST}:${port} (db ${db}, ${children} workers)`);
      return {
        host: HOST,
        port,
        describe: `Kamailio ${kamailioVersion()} (db_${db}, ${children} UDP workers)`,
        async stop() {
          await stopChild(child, "kamailio");
          writeFileSync(logFile, output());
        },
      };
    },
  },
  {
    name: "parley",
    available: () => undefined,
    async start(ctx) {
      const root = join(HERE, "..", "..");
      const provision = spawnSync(
        process.execPath,
        ["--import", "tsx", join(HERE, "provision-parley.ts"), ctx.dir, String(ctx.users.count), ctx.domain],
        { cwd: root, encoding: "utf8" },
      );
      if (provision.status !== 0) throw new Error(`provisioning Parley failed:\n${provision.stderr}`);
      const port = await freePort();
      const childEnv = { ...env };
      for (const key of Object.keys(childEnv)) if (key.startsWith("PARLEY_")) delete childEnv[key];
      Object.assign(childEnv, {
        PARLEY_DATA_DIR: ctx.dir,
        PARLEY_SIP_DOMAIN: ctx.domain,
        PARLEY_SIP_HOST: HOST,
        PARLEY_SIP_PORT: String(port),
        PARLEY_SIP_WS_PORT: "0",
        PARLEY_REGISTRAR_PERSISTENCE: env.PARLEY_BENCH_PARLEY_PERSISTENCE ?? "write-through",
        PARLEY_HTTP_PORT: "0",
        PARLEY_LOG_LEVEL: "warn",
        PARLEY_LOG_FORMAT: "json",
        // SIPp 3.6.1 answers only the first challenge and knows only MD5.
        PARLEY_SIP_DIGEST_ALGORITHMS: "MD5,SHA-256",
      });
      const { child, output } = await startServer(
        "parley",
        process.execPath,
        [join(root, "bin", "parley.js"), "serve"],
        { cwd: ctx.dir, env: childEnv },
        port,
        30,
      );
      log(`parley ${child.pid} up on udp:${HOST}:${port}`);
      const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
      return {
        host: HOST,
        port,
        describe: `Parley ${version} (SQLite, bindings ${env.PARLEY_BENCH_PARLEY_PERSISTENCE ?? "write-through"}, one process, Node ${process.version})`,
        async stop() {
          await stopChild(child, "parley");
          writeFileSync(join(ctx.dir, "parley.log"), output());
        },
      };
    },
  },
  {
    // A registrar someone else started and stops (bench/cluster: Kamailio in front of Parley
    // nodes), with the bench users already provisioned. Only run when PARLEY_BENCH_TARGETS names it.
    name: "external",
    onRequest: true,
    available: () =>
      /^127\.0\.0\.1:\d+$/.test(env.PARLEY_BENCH_EXTERNAL ?? "")
        ? undefined
        : "PARLEY_BENCH_EXTERNAL is not 127.0.0.1:PORT",
    async start() {
      const port = Number(env.PARLEY_BENCH_EXTERNAL.split(":")[1]);
      return { host: HOST, port, describe: `the registrar at ${HOST}:${port}`, async stop() {} };
    },
  },
];

/**
 * Spawns a SIP server in its own process group (tracked, so it is killed by PID at exit) and
 * waits until it answers OPTIONS on HOST:port; keeps the last 20 kB of its output.
 */
async function startServer(name, command, args, options, port, waitSeconds) {
  const child = track(
    spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] }),
  );
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const alive = () => child.exitCode === null && child.signalCode === null;
  if (!(await waitForSip(port, waitSeconds, alive))) {
    await stopChild(child, name);
    throw new Error(`${name} did not answer OPTIONS on ${HOST}:${port}:\n${output.slice(-2000)}`);
  }
  return { child, output: () => output };
}

function kamailioVersion() {
  const out = spawnSync("kamailio", ["-v"], { encoding: "utf8" }).stdout ?? "";
  return /kamailio ([\d.]+)/.exec(out)?.[1] ?? "?";
}

function parseStats(file) {
  if (!existsSync(file)) return undefined;
  const rows = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim());
  if (rows.length < 2) return undefined;
  const header = rows[0].split(";");
  const last = rows[rows.length - 1].split(";");
  const raw = Object.fromEntries(header.map((name, i) => [name, last[i] ?? ""]));
  const n = (name) => Number.parseInt(raw[name] ?? "0", 10) || 0;
  const epoch = (value) => Number((value ?? "").split("\t")[2] ?? Number.NaN);
  return {
    created: n("TotalCallCreated"),
    successful: n("SuccessfulCall(C)"),
    failed: n("FailedCall(C)"),
    incomplete: n("CurrentCall"),
    retransmissions: n("Retransmissions(C)"),
    elapsed: epoch(raw.CurrentTime) - epoch(raw.StartTime),
  };
}

/** One step: `rate` REGISTER transactions per second for STEP_SECONDS. */
async function runStep(sipp, server, ctx, rate, localPort, index) {
  const calls = Math.max(1, Math.round(rate * STEP_SECONDS));
  const deadline = Math.ceil(STEP_SECONDS * 2 + 10);
  const prefix = join(ctx.dir, `step-${index}-${rate}`);
  const args = [
    `${server.host}:${server.port}`,
    "-sf",
    SCENARIO,
    "-inf",
    ctx.users.csv,
    "-t",
    "u1",
    "-i",
    HOST,
    "-bind_local",
    "-p",
    String(localPort),
    "-ci",
    HOST,
    "-r",
    String(rate),
    "-m",
    String(calls),
    "-timeout",
    `${deadline}s`,
    "-timeout_error",
    "-nostdin",
    "-max_recv_loops",
    "10000",
    "-max_sched_loops",
    "10000",
    "-trace_stat",
    "-stf",
    `${prefix}.csv`,
    "-fd",
    "1",
    "-trace_err",
    "-error_file",
    `${prefix}-errors.log`,
    "-max_log_size",
    "1000000",
  ];
  const child = track(
    spawn(sipp, args, { cwd: ctx.dir, detached: true, stdio: ["ignore", "ignore", "pipe"] }),
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const hardKill = setTimeout(
    () => {
      log(`sipp ${child.pid} overran its deadline, killing it`);
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // gone
      }
    },
    (deadline + 15) * 1000,
  );
  const code = await new Promise((ok) => child.once("close", ok));
  clearTimeout(hardKill);
  const stats = parseStats(`${prefix}.csv`);
  if (!stats)
    return { rate, calls, code, held: false, error: stderr.trim().split("\n").slice(-3).join(" | ") };
  const notDone = calls - stats.successful;
  const failureRatio = notDone / calls;
  const achieved = stats.elapsed > 0 ? stats.successful / stats.elapsed : 0;
  const held = failureRatio < MAX_FAILURE_RATIO && achieved >= rate * MIN_RATE_RATIO;
  return {
    rate,
    calls,
    code,
    held,
    ...stats,
    achieved: Math.round(achieved),
    failureRatio,
    bindFailed: code === 254 || /Unable to bind main socket/.test(stderr),
  };
}

async function benchTarget(target, sipp, ctx) {
  const server = await target.start(ctx);
  const steps = [];
  try {
    let localPort = await freePort();
    for (const [index, rate] of RATES.entries()) {
      let step = await runStep(sipp, server, ctx, rate, localPort, index);
      if (step.bindFailed) {
        localPort = await freePort();
        step = await runStep(sipp, server, ctx, rate, localPort, index);
      }
      steps.push(step);
      log(
        `${target.name} ${rate}/s × ${STEP_SECONDS}s: ` +
          (step.error
            ? `sipp error (exit ${step.code}): ${step.error}`
            : `${step.successful}/${step.calls} ok, ${step.failed} failed, ${step.incomplete} unfinished, ` +
              `${step.retransmissions} retrans, ran at ${step.achieved}/s in ${step.elapsed.toFixed(1)}s → ` +
              (step.held ? "held" : "NOT held")),
      );
      if (!step.held) break;
      await new Promise((ok) => setTimeout(ok, PAUSE_BETWEEN_STEPS_MS));
    }
  } finally {
    await server.stop();
  }
  const best = steps.filter((s) => s.held).reduce((max, s) => Math.max(max, s.rate), 0);
  return { name: target.name, describe: server.describe, best, steps };
}

function resultLine(results) {
  const label = (name) => (name === "parley" ? "Parley" : name === "kamailio" ? "Kamailio" : name);
  const parts = results.map((r) => `${results.length > 1 ? label(r.name) : r.name} ${r.best}/s`);
  const parley = results.find((r) => r.name === "parley");
  const kamailio = results.find((r) => r.name === "kamailio");
  if (parley && kamailio && kamailio.best > 0)
    parts.push(`ratio ${(parley.best / kamailio.best).toFixed(2)}×`);
  return `register: ${parts.join(", ")}`;
}

async function main() {
  const sipp = which("sipp");
  if (!sipp) throw new Error("sipp not on PATH (apt-get install sip-tester)");
  const wanted = env.PARLEY_BENCH_TARGETS?.split(",").map((t) => t.trim());
  const chosen = targets.filter((t) => (wanted ? wanted.includes(t.name) : !t.onRequest));
  const runnable = [];
  for (const t of chosen) {
    const why = t.available();
    if (why) log(`skipping ${t.name}: ${why}`);
    else runnable.push(t);
  }
  if (runnable.length === 0) throw new Error("no target to run");

  const maxSeconds = Number(
    env.PARLEY_BENCH_MAX_SECONDS ??
      runnable.length * (30 + RATES.length * (STEP_SECONDS * 2 + 10 + PAUSE_BETWEEN_STEPS_MS / 1000)),
  );
  const watchdog = setTimeout(() => {
    log(`hard deadline of ${maxSeconds}s passed, giving up`);
    process.exit(2);
  }, maxSeconds * 1000);
  watchdog.unref();

  const dir = mkdtempSync(join(tmpdir(), "parley-bench-register-"));
  tempDir = dir;
  const results = [];
  try {
    const users = await makeUsers({ out: dir, count: USERS, domain: DOMAIN });
    log(
      `${USERS} users, steps ${RATES.join("/")} per s × ${STEP_SECONDS}s, targets ${runnable.map((t) => t.name).join(", ")}`,
    );
    for (const target of runnable) {
      const ctx = { dir: mkdtempSync(join(dir, `${target.name}-`)), users, domain: DOMAIN };
      const result = await benchTarget(target, sipp, ctx);
      const top = RATES[RATES.length - 1];
      const capped =
        result.best === top
          ? ` (the top step: the real ceiling may be higher, add rates to PARLEY_BENCH_RATES)`
          : "";
      log(`${target.name}: ${result.describe}: highest rate held ${result.best}/s${capped}`);
      results.push(result);
    }
    if (env.PARLEY_BENCH_JSON) {
      const machine = { nproc: spawnSync("nproc", { encoding: "utf8" }).stdout.trim(), cpu: cpuModel() };
      writeFileSync(
        env.PARLEY_BENCH_JSON,
        `${JSON.stringify({ stepSeconds: STEP_SECONDS, users: USERS, machine, results }, null, 2)}\n`,
      );
    }
  } finally {
    if (env.PARLEY_BENCH_KEEP) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
  process.stdout.write(`${resultLine(results)}\n`);
}

function cpuModel() {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
  } catch {
    return "?";
  }
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    process.exit(130);
  });
}

main().catch((error) => {
  log(`failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
