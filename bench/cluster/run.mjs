#!/usr/bin/env node
// `npm run bench:cluster`: REGISTER rate and call rate through the Kamailio front door, with one
// Parley node and then with two, in the same run on the same machine.
//
// A private PostgreSQL and Redis (scripts/local-cluster.mjs, as `npm run cluster:dev` starts
// them) hold the users and the shared state. For each phase (1 node, then 2 nodes) the nodes are
// started fresh on an emptied Redis, Kamailio (deploy/kamailio/kamailio.cfg through
// scripts/front-door.mjs) in front of them, and then the other benches measure it as an
// `external` target, so the method is theirs:
//   calls      bench/calls/run.mjs: SIPp UAC → Kamailio → node → Kamailio → SIPp UAS, 407 digest,
//              RTP both ways through the node for 2 s calls; highest held calls/s
//   register   bench/register/run.mjs: SIPp REGISTER → 401 → REGISTER with MD5 digest → 200 through
//              Kamailio; highest held registrations/s
// (calls first: its callees then have one binding each, not also the register bench's).
// Around each sub-bench, and once a second during it, the CPU time (utime + stime from /proc) of
// every node, of Kamailio (all its workers), PostgreSQL, Redis, the load (SIPp and the bench
// driver) and the machine is read. One result line goes to stdout last:
//   bench:cluster register 1n=2000/s 2n=2000/s (x1.00) calls 1n=175cps 2n=175cps (x1.00) cpu/node register 1n[n=… node1=…s kamailio=…s] 2n[…] calls … machine=2 cores (…) date=…
// Progress goes to stderr; details (both benches' logs and JSON, node and Kamailio logs,
// results.json) to the log dir. Skips with exit 0 and one line when kamailio, sipp, redis-server
// or PostgreSQL is missing. Everything binds 127.0.0.1; every process is started here and stopped
// by PID; the run has a hard deadline. See bench/cluster/README.md.
//
// Options (also PARLEY_BENCH_<NAME>, e.g. PARLEY_BENCH_HOLD_SECONDS=10):
//   --register-rates a,b,…     registrations/s per step (default 1000,1500,2000,2250,2500,2750,3000,3500,4000,5000,6000)
//   --register-step-seconds N  seconds per REGISTER step (default 10)
//   --users N                  users registering (default 10000)
//   --call-rates a,b,…         calls/s per step (default 50,100,150,175,200,250,300,400,500)
//   --hold-seconds N           seconds each call rate is held (default 5)
//   --kamailio-children N      Kamailio UDP workers (default 4)
//   --phases 1,2               node counts to measure, in order (default 1,2)
//   --log-dir DIR              where details go (default: a new /tmp/parley-bench-cluster-<time>)
//   --max-seconds N            hard deadline for the whole run (default 900)
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findKamailio, KAMAILIO_HOW_TO_GET } from "../../scripts/front-door.mjs";
import {
  createLocalCluster,
  HOST,
  haveCommand,
  havePostgres,
  haveRedis,
  killPid,
} from "../../scripts/local-cluster.mjs";
import {
  familyCpuSeconds,
  groupCpuSeconds,
  machineJiffies,
  reapedChildrenCpuSeconds,
} from "../calls/cpu.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOMAIN = "parley.test"; // the domain bench/register and bench/calls use
const CALLERS = 200;
const CALLEES = 200;
const CALL_SECONDS = 2;

const { values: argv } = parseArgs({
  options: {
    "register-rates": { type: "string" },
    "register-step-seconds": { type: "string" },
    users: { type: "string" },
    "call-rates": { type: "string" },
    "hold-seconds": { type: "string" },
    "kamailio-children": { type: "string" },
    phases: { type: "string" },
    "log-dir": { type: "string" },
    "max-seconds": { type: "string" },
  },
});
const option = (name, fallback) =>
  argv[name] ?? process.env[`PARLEY_BENCH_${name.toUpperCase().replaceAll("-", "_")}`] ?? fallback;
const numbers = (text) =>
  text
    .split(",")
    .map((x) => Number(x.trim()))
    .filter((x) => x > 0);
const REGISTER_RATES = option("register-rates", "1000,1500,2000,2250,2500,2750,3000,3500,4000,5000,6000");
const REGISTER_STEP_SECONDS = Number(option("register-step-seconds", "10"));
const USERS = Number(option("users", "10000"));
const CALL_RATES = option("call-rates", "50,100,150,175,200,250,300,400,500");
const HOLD_SECONDS = Number(option("hold-seconds", "5"));
const KAMAILIO_CHILDREN = Number(option("kamailio-children", "4"));
const PHASES = numbers(option("phases", "1,2"));
const MAX_SECONDS = Number(option("max-seconds", "900"));
if (
  numbers(REGISTER_RATES).length === 0 ||
  numbers(CALL_RATES).length === 0 ||
  !(REGISTER_STEP_SECONDS > 0 && HOLD_SECONDS > 0 && KAMAILIO_CHILDREN >= 1 && MAX_SECONDS > 0) ||
  !(USERS >= CALLERS + CALLEES) ||
  PHASES.length === 0
) {
  process.stderr.write(
    `bench:cluster: need rates, positive seconds, --kamailio-children >= 1, --users >= ${CALLERS + CALLEES}, --phases\n`,
  );
  process.exit(2);
}

// ---- what must be installed: skip (exit 0) with one line naming what is missing --------------
const kamailioBin = findKamailio();
const missing = [];
if (!kamailioBin) missing.push(`kamailio (${KAMAILIO_HOW_TO_GET})`);
if (!haveCommand("sipp")) missing.push("sipp (apt-get install sip-tester)");
if (!haveRedis()) missing.push("redis-server (apt-get install redis-server)");
if (!havePostgres()) missing.push("PostgreSQL initdb/pg_ctl (apt-get install postgresql)");
if (missing.length > 0) {
  process.stdout.write(`bench:cluster skipped: missing ${missing.join("; ")}\n`);
  process.exit(0);
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const LOG_DIR = resolve(option("log-dir", join(tmpdir(), `parley-bench-cluster-${stamp}`)));
mkdirSync(LOG_DIR, { recursive: true });
function log(line) {
  const text = `bench:cluster ${line}\n`;
  process.stderr.write(text);
  appendFileSync(join(LOG_DIR, "bench.log"), `${new Date().toISOString()} ${text}`);
}

// ---- bookkeeping: the cluster's components and the sub-bench running now, stopped by PID -------
const dir = mkdtempSync(join(tmpdir(), "parley-bench-cluster-run-"));
chmodSync(dir, 0o755); // start-postgres.sh runs the server as the postgres user when we are root
const cluster = createLocalCluster({ dir });
let subBench; // the bench child running now (its own process group)
let stopping = false;

async function stopEverything() {
  if (subBench && subBench.exitCode === null) await killPid(subBench.pid, { group: true, ms: 10_000 });
  await cluster.stopAll((component, error) => log(`stopping ${component.name}: ${error.message}`));
  rmSync(dir, { recursive: true, force: true });
}
async function abort(code, why) {
  if (stopping) return;
  stopping = true;
  log(why);
  await stopEverything();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => abort(130, `${signal}: stopping`));
const watchdog = setTimeout(
  () => abort(2, `hard deadline of ${MAX_SECONDS} s passed, stopping`),
  MAX_SECONDS * 1000,
);

// ---- CPU --------------------------------------------------------------------------------------
// Each measured component has a name and cpu() → its CPU seconds so far: a node and Kamailio are
// process groups (Kamailio with its workers), PostgreSQL the postmaster and its backends, "load"
// the bench driver running now with its SIPp instances (live, or exited and waited for).

function cpuSnapshot(components) {
  return {
    at: performance.now(),
    machine: machineJiffies(),
    seconds: Object.fromEntries(components.map((c) => [c.name, c.cpu()])),
  };
}

/** CPU seconds per component, wall seconds and the machine's busy % between two snapshots. */
function cpuSpan(before, after) {
  const seconds = {};
  for (const [name, s] of Object.entries(after.seconds)) seconds[name] = s - before.seconds[name];
  const wall = (after.at - before.at) / 1000;
  const machineBusy =
    (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total);
  return { wall, seconds, machineBusyPercent: 100 * machineBusy };
}

/**
 * Runs `measure()` while sampling the components' CPU every second; adds `cpu` to its result:
 * the span's seconds per component and a timeline of per-second % of one core (and the machine's
 * busy %), whose peaks show who was busy when the rate stopped being held.
 */
async function withCpu(components, measure) {
  const first = cpuSnapshot(components);
  let last = first;
  const timeline = [];
  const sampler = setInterval(() => {
    const now = cpuSnapshot(components);
    const span = cpuSpan(last, now);
    const percent = Object.fromEntries(
      Object.entries(span.seconds).map(([name, s]) => [name, Math.round((100 * s) / span.wall)]),
    );
    timeline.push({ ...percent, machine: Math.round(span.machineBusyPercent) });
    last = now;
  }, 1000);
  let result;
  try {
    result = await measure();
  } finally {
    clearInterval(sampler);
  }
  const cpu = cpuSpan(first, cpuSnapshot(components));
  const peak = {};
  for (const second of timeline)
    for (const [name, p] of Object.entries(second)) peak[name] = Math.max(peak[name] ?? 0, p);
  return { ...result, cpu: { ...cpu, peakPercent: peak, timeline } };
}

// ---- the sub-benches ----------------------------------------------------------------------------
/** Runs a bench script as a child (its own process group), stderr passed through; resolves its exit code. */
async function runBench(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  subBench = child;
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk.toString();
  });
  const code = await new Promise((ok) => child.once("exit", (c) => ok(c ?? 1)));
  subBench = undefined;
  const last = stdout.trim().split("\n").at(-1) ?? "";
  log(`${name}: exit ${code}: ${last}`);
  return code;
}

async function measureCalls(phase, frontDoor, components) {
  const logDir = join(LOG_DIR, `calls-${phase.label}`);
  const code = await runBench(
    `calls ${phase.label}`,
    [
      join(ROOT, "bench", "calls", "run.mjs"),
      "--targets",
      "external",
      "--external",
      `${HOST}:${frontDoor.port}`,
      "--external-pids",
      components.map((c) => c.pid).join(","),
      "--external-label",
      `Kamailio+${phase.label}`,
      "--rates",
      CALL_RATES,
      "--hold-seconds",
      String(HOLD_SECONDS),
      "--call-seconds",
      String(CALL_SECONDS),
      "--callers",
      String(CALLERS),
      "--callees",
      String(CALLEES),
      "--log-dir",
      logDir,
    ],
    {},
  );
  const file = join(logDir, "results.json");
  if (code !== 0 || !existsSync(file)) throw new Error(`bench:calls failed (exit ${code}), see ${logDir}`);
  const result = JSON.parse(readFileSync(file, "utf8")).results[0];
  return {
    rate: result.best?.rate ?? 0,
    concurrent: result.best?.peakConcurrent ?? 0,
    done: result.steps.reduce((sum, s) => sum + (s.successful ?? 0), 0),
    steps: result.steps.map((s) => ({ rate: s.rate, held: s.held, cpu: s.cpu, ok: s.successful })),
  };
}

async function measureRegister(phase, frontDoor) {
  const json = join(LOG_DIR, `register-${phase.label}.json`);
  const code = await runBench(`register ${phase.label}`, [join(ROOT, "bench", "register", "run.mjs")], {
    PARLEY_BENCH_TARGETS: "external",
    PARLEY_BENCH_EXTERNAL: `${HOST}:${frontDoor.port}`,
    PARLEY_BENCH_STEP_SECONDS: String(REGISTER_STEP_SECONDS),
    PARLEY_BENCH_RATES: REGISTER_RATES,
    PARLEY_BENCH_USERS: String(USERS),
    PARLEY_BENCH_JSON: json,
  });
  if (code !== 0 || !existsSync(json)) throw new Error(`bench:register failed (exit ${code})`);
  const result = JSON.parse(readFileSync(json, "utf8")).results[0];
  return {
    rate: result.best,
    done: result.steps.reduce((sum, s) => sum + (s.successful ?? 0), 0),
    steps: result.steps.map((s) => ({ rate: s.rate, held: s.held, achieved: s.achieved, ok: s.successful })),
  };
}

// ---- one phase: n fresh nodes behind a fresh Kamailio ---------------------------------------------
async function runPhase(nodeCount, shared, infra) {
  const phase = { label: `${nodeCount}n`, nodes: nodeCount };
  // Nothing of the previous phase in Redis: bindings, calls in progress, leases.
  const flushed = spawnSync("redis-cli", ["-h", HOST, "-p", String(infra.redisPort), "flushall"], {
    encoding: "utf8",
  });
  if (flushed.status !== 0 || !/OK/.test(flushed.stdout))
    throw new Error(`redis flushall: ${flushed.stderr}`);
  const nodes = [];
  const components = [];
  for (let i = 0; i < nodeCount; i++) {
    const rtpMin = 10_000 + i * 5000; // 1,250 calls per node (two legs, RTP + RTCP each); SIPp uses 33000+
    const settings = await cluster.nodeSettings(`node${i + 1}`, i, shared, {
      rtp: { min: rtpMin, max: rtpMin + 4999 },
      env: { PARLEY_LOG_LEVEL: "warn", PARLEY_CALLS_CALL_WAITING: "true" },
    });
    const { pid, stop } = await cluster.startNode(settings);
    nodes.push(settings);
    components.push({ name: settings.id, pid, stop, log: settings.log });
  }
  const kamailio = await cluster.startKamailio(nodes, {
    kamailio: kamailioBin.kamailio,
    children: KAMAILIO_CHILDREN,
    name: `kamailio-${phase.label}`,
    // tm keeps every transaction a few seconds after it ends: thousands of them at these rates
    // (64 MB, the front door's default, runs out near 600 REGISTER/s). bench/calls gives 512 too.
    sharedMemoryMb: 512,
    privateMemoryMb: 32,
  });
  components.push({ name: "kamailio", pid: kamailio.pid, stop: kamailio.stop, log: kamailio.log });
  log(
    `${phase.label}: ${nodes.map((n, i) => `${n.id} pid ${components[i].pid} sip ${n.sipPort} rtp ${n.rtp}`).join(", ")}; ` +
      `kamailio pid ${kamailio.pid} on udp:${HOST}:${kamailio.port} (${KAMAILIO_CHILDREN} UDP workers)`,
  );
  const measured = [
    ...components.map((c) => ({ name: c.name, cpu: () => groupCpuSeconds(c.pid) })),
    { name: "postgres", cpu: () => familyCpuSeconds(infra.postgres) },
    { name: "redis", cpu: () => familyCpuSeconds(infra.redis) },
    {
      name: "load",
      cpu: () => reapedChildrenCpuSeconds() + (subBench?.pid ? familyCpuSeconds(subBench.pid) : 0),
    },
  ];
  try {
    phase.calls = await withCpu(measured, () => measureCalls(phase, kamailio, components));
    phase.register = await withCpu(measured, () => measureRegister(phase, kamailio));
    for (const what of ["calls", "register"]) {
      const m = phase[what];
      log(
        `${phase.label} ${what}: ${m.rate}/s held; ${m.done} done in ${m.cpu.wall.toFixed(0)} s; CPU s ` +
          Object.entries(m.cpu.seconds)
            .map(
              ([name, s]) =>
                `${name} ${s.toFixed(1)} (${((1000 * s) / Math.max(1, m.done)).toFixed(2)} ms each)`,
            )
            .join(", ") +
          `; machine ${m.cpu.machineBusyPercent.toFixed(0)}% busy; busiest second (% of a core): ` +
          Object.entries(m.cpu.peakPercent)
            .map(([name, p]) => `${name} ${p}%`)
            .join(", "),
      );
    }
  } finally {
    for (const component of [...components].reverse()) {
      await component.stop();
      if (existsSync(component.log))
        copyTail(component.log, join(LOG_DIR, `${phase.label}-${component.name}.log`));
    }
  }
  return phase;
}

/** Copies the last 2 MB of a log into the log dir (Kamailio logs a line per initial request). */
function copyTail(from, to) {
  const text = readFileSync(from);
  if (text.length <= 2_000_000) copyFileSync(from, to);
  else writeFileSync(to, text.subarray(text.length - 2_000_000));
}

function cpuModel() {
  return /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "?";
}

function resultLine(phases) {
  const byLabel = Object.fromEntries(phases.map((p) => [p.label, p]));
  const ratio = (what) => {
    const one = byLabel["1n"]?.[what].rate;
    const two = byLabel["2n"]?.[what].rate;
    return one > 0 && two !== undefined ? ` (x${(two / one).toFixed(2)})` : "";
  };
  const rates = (what, unit) =>
    `${phases.map((p) => `${p.label}=${p[what].rate}${unit}`).join(" ")}${ratio(what)}`;
  const cpu = (what) =>
    phases
      .map((p) => {
        const entries = Object.entries(p[what].cpu.seconds).filter(
          ([name]) => name.startsWith("node") || name === "kamailio",
        );
        return `${p.label}[n=${p[what].done} ${entries.map(([name, s]) => `${name}=${s.toFixed(1)}s`).join(" ")}]`;
      })
      .join(" ");
  return (
    `bench:cluster register ${rates("register", "/s")} calls ${rates("calls", "cps")} ` +
    `cpu/node register ${cpu("register")} calls ${cpu("calls")} ` +
    `machine=${availableParallelism()} cores (${cpuModel()}) date=${new Date().toISOString()}`
  );
}

async function main() {
  const started = performance.now();
  log(
    `phases ${PHASES.map((n) => `${n}n`).join(", ")}; register ${REGISTER_RATES}/s × ${REGISTER_STEP_SECONDS} s, ` +
      `${USERS} users; calls ${CALL_RATES} cps × ${HOLD_SECONDS} s, ${CALL_SECONDS} s calls; ` +
      `Kamailio ${KAMAILIO_CHILDREN} UDP workers; ${availableParallelism()} cores (${cpuModel()}), ` +
      `load average ${readFileSync("/proc/loadavg", "utf8").trim()}; details in ${LOG_DIR}`,
  );
  const pg = await cluster.startPostgres();
  const redis = await cluster.startRedis();
  log(`postgres pid ${pg.pid} ${pg.url}; redis pid ${redis.pid} ${redis.url}`);
  // The bench users (user0000…, password pw-<user>) in the shared database, as bench/register
  // provisions a single node; this also applies the migrations.
  const t = performance.now();
  mkdirSync(join(dir, "provision"));
  const provision = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "bench", "register", "provision-parley.ts"),
      join(dir, "provision"),
      String(USERS),
      DOMAIN,
      pg.url,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (provision.status !== 0) throw new Error(`provisioning the users failed:\n${provision.stderr}`);
  log(`${USERS} users provisioned in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  const shared = {
    database: pg.url,
    redis: redis.url,
    nonceSecret: randomBytes(24).toString("hex"),
    domain: DOMAIN,
  };
  const phases = [];
  const infra = { postgres: pg.pid, redis: redis.pid, redisPort: redis.port };
  for (const n of PHASES) phases.push(await runPhase(n, shared, infra));
  const machine = {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
  };
  writeFileSync(
    join(LOG_DIR, "results.json"),
    `${JSON.stringify({ date: new Date().toISOString(), machine, kamailioChildren: KAMAILIO_CHILDREN, phases }, null, 2)}\n`,
  );
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; details in ${LOG_DIR}`);
  return phases;
}

main()
  .then(async (phases) => {
    clearTimeout(watchdog);
    stopping = true;
    await stopEverything();
    process.stdout.write(`${resultLine(phases)}\n`);
    process.exit(0);
  })
  .catch((error) => abort(1, `failed: ${error instanceof Error ? error.stack : error}`));
