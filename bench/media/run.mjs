#!/usr/bin/env node
// `npm run bench:media`: how much G.711 media Parley's MediaEngine carries on loopback, in three
// modes, with rtpengine on the same relay load as the reference:
//   relay       N calls, each two phones bridged (engine.bridge; rtpengine offer/answer)
//   recording   the same calls, each also recorded to a stereo WAV (engine.record) in a temp dir
//   conference  N participants in 10-party rooms (engine.conference)
// Every phone sends a 172-byte PCMU packet every 20 ms. The phones are played by the load generator,
// a separate process, so its CPU is measured apart from the server's: load.c, compiled here with the
// system C compiler into a temp directory, or load.mjs (same protocol and measurements) without one.
// For each mode and target the load steps up; every step starts a fresh server and a fresh
// generator, runs for the step time and is "held" when the loss is under 0.5% and the added jitter
// (mean |D|, RFC 3550 §6.4.1) under 5 ms. A step that is not held is tried once more (and up to
// three more times when other processes used a third of a core or more during it); the ladder
// stops at the first step that fails for good, and the result is the largest step held. CPU of the
// server, the generator and the rest of the machine is reported per step (/proc), and CPU per call
// at the result. With two or more CPUs the server is pinned to CPU 0 and the generator to CPU 1
// (taskset), so each has one core.
// The result, one line per mode, goes to stdout last, e.g.
//   relay: Parley 600 calls, rtpengine 700 calls, ratio 0.86×
//   recording: Parley 500 calls
//   conference: Parley 400 participants
// Progress goes to stderr. Everything runs on 127.0.0.1; every process is started here and
// stopped here by PID; the record directory is removed; the whole run has a hard deadline.
//
// Options (flags override the environment):
//   --quick                      a smoke run: 2 s steps, a few coarse steps, no retries
//   --modes relay,recording,conference      PARLEY_BENCH_MODES (default: all three)
//   --targets parley,rtpengine   PARLEY_BENCH_TARGETS (default: parley, and rtpengine when installed)
//   --seconds N                  PARLEY_BENCH_SECONDS: media seconds per step (default 5)
//   PARLEY_BENCH_STEPS_RELAY / _RECORDING / _CONFERENCE   comma-separated loads (PARLEY_BENCH_STEPS
//                                = relay, as before)
//   PARLEY_BENCH_RETRIES         tries more for a step not held (default 1, --quick 0)
//   PARLEY_BENCH_DISTURBED_RETRIES  and more for one not held while other processes used >= 30% of
//                                a core (default 3, --quick 0)
//   PARLEY_BENCH_SLICES          bursts the generator spreads each 20 ms tick over (default 4)
//   PARLEY_BENCH_PIN             1/0: pin server and generator to CPUs 0 and 1 (default 1 with ≥ 2 CPUs)
//   PARLEY_BENCH_NICE            niceness of the server and the generator (e.g. -10 on a shared machine)
//   PARLEY_BENCH_QUIET_WAIT      before each step, wait up to this many seconds for other processes to use
//                                under 30% of a core (default 30, --quick 3; 0: do not wait)
//   PARLEY_BENCH_GENERATOR       c or node: the load generator (default c when `cc` builds load.c)
//   PARLEY_BENCH_NODE_ARGS       extra Node.js flags for Parley's server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//   PARLEY_BENCH_MAX_SECONDS     hard deadline for the whole run (default: computed)
//   PARLEY_BENCH_JSON            also write every step's numbers as JSON to this file
//   PARLEY_BENCH_RTPENGINE       rtpengine binary (default: rtpengine on PATH)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  canPin,
  cpuTimes,
  jsonLines,
  killLive,
  log,
  machineJiffies,
  onExit,
  sleep,
  start,
  stop,
  waitQuiet,
  which,
} from "./procs.mjs";
import { parleyTarget, rtpengineTarget } from "./targets.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const env = process.env;
const args = process.argv.slice(2);
function flag(name) {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}
for (const a of args) {
  const name = a.replace(/^--/, "").split("=")[0];
  if (a.startsWith("--") && !["quick", "modes", "targets", "seconds"].includes(name)) {
    log(`unknown option ${a} (see the head of bench/media/run.mjs)`);
    process.exit(2);
  }
}
const QUICK = args.includes("--quick");
const list = (value) =>
  String(value)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const numbers = (value) =>
  list(value)
    .map(Number)
    .filter((n) => n > 0);

const MODES = list(flag("modes") ?? env.PARLEY_BENCH_MODES ?? "relay,recording,conference");
const SECONDS = Number(flag("seconds") ?? env.PARLEY_BENCH_SECONDS ?? (QUICK ? 2 : 5));
const RETRIES = Number(env.PARLEY_BENCH_RETRIES ?? (QUICK ? 0 : 1));
/** A step during which other processes used this much of a core is "disturbed"; it may be tried again. */
const DISTURBED_PCT = 30;
const DISTURBED_RETRIES = Number(env.PARLEY_BENCH_DISTURBED_RETRIES ?? (QUICK ? 0 : 3));
const SLICES = Number(env.PARLEY_BENCH_SLICES ?? 4);
const MAX_LOSS_PCT = 0.5;
const MAX_JITTER_MS = 5;
const ROOM_SIZE = 10;
const cpus = availableParallelism();
const PIN = (env.PARLEY_BENCH_PIN ?? (cpus >= 2 ? "1" : "0")) === "1" && canPin && cpus >= 2;
const SERVER_CPU = PIN ? 0 : undefined;
const LOAD_CPU = PIN ? 1 : undefined;
const QUIET_WAIT_S = Number(env.PARLEY_BENCH_QUIET_WAIT ?? (QUICK ? 3 : 30));
const NODE_ARGS = list((env.PARLEY_BENCH_NODE_ARGS ?? "").replace(/\s+/g, ","));

/** The generator: load.c built into a temp directory (removed at exit), else load.mjs. */
function buildGenerator() {
  const wanted = env.PARLEY_BENCH_GENERATOR ?? "c";
  if (wanted === "node") return { kind: "node", command: process.execPath, args: [join(HERE, "load.mjs")] };
  if (wanted !== "c") {
    log(`PARLEY_BENCH_GENERATOR must be c or node, not ${wanted}`);
    process.exit(2);
  }
  const compiler = which(env.CC ?? "cc");
  if (compiler) {
    const dir = mkdtempSync(join(tmpdir(), "parley-bench-load-"));
    onExit(() => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, "parley-load");
    const built = spawnSync(compiler, ["-O2", "-o", binary, join(HERE, "load.c"), "-lm"], {
      encoding: "utf8",
    });
    if (built.status === 0) return { kind: "c", command: binary, args: [] };
    log(`bench:media: could not build load.c (${built.stderr.trim() || built.error}); using load.mjs`);
  } else {
    log("bench:media: no C compiler (cc); using load.mjs as the load generator");
  }
  return { kind: "node", command: process.execPath, args: [join(HERE, "load.mjs")] };
}
const GENERATOR = buildGenerator();

/** Per mode: the generator's layout, the unit counted, and the default steps. */
const MODE_INFO = {
  relay: {
    layout: "pairs",
    unit: "calls",
    steps: env.PARLEY_BENCH_STEPS_RELAY ?? env.PARLEY_BENCH_STEPS,
    full: "200,400,600,700,750,800,850,900,1000,1100,1200,1300,1400,1600",
    quick: "200,400,700",
  },
  recording: {
    layout: "pairs",
    unit: "calls",
    steps: env.PARLEY_BENCH_STEPS_RECORDING,
    full: "200,400,500,550,600,650,700,800",
    quick: "200,500",
  },
  conference: {
    layout: "conference",
    unit: "participants",
    steps: env.PARLEY_BENCH_STEPS_CONFERENCE,
    full: "200,400,600,800,1000,1100,1200,1300,1400,1500",
    quick: "100,400",
  },
};
for (const mode of MODES) {
  if (!MODE_INFO[mode]) {
    log(`unknown mode: ${mode} (relay, recording, conference)`);
    process.exit(2);
  }
}
const stepsOf = (mode) => {
  const info = MODE_INFO[mode];
  const steps = numbers(info.steps ?? (QUICK ? info.quick : info.full));
  // Conferences are whole rooms.
  return mode === "conference"
    ? steps.map((n) => Math.max(ROOM_SIZE, Math.round(n / ROOM_SIZE) * ROOM_SIZE))
    : steps;
};

const RTPENGINE = which(env.PARLEY_BENCH_RTPENGINE ?? "rtpengine");
const available = ["parley", ...(RTPENGINE ? ["rtpengine"] : [])];
const TARGETS = list(flag("targets") ?? env.PARLEY_BENCH_TARGETS ?? available.join(","));
for (const target of TARGETS) {
  if (!available.includes(target)) {
    log(`unknown or unavailable target: ${target} (available: ${available.join(", ")})`);
    process.exit(2);
  }
}
/** rtpengine is the reference for relay only. */
const targetsOf = (mode) => TARGETS.filter((t) => t === "parley" || mode === "relay");

// ---------------------------------------------------------------------------------------------
// One step: fresh server + fresh generator, `load` calls or participants for SECONDS.

async function runStep(mode, target, load) {
  const info = MODE_INFO[mode];
  const phones = info.layout === "pairs" ? 2 * load : load;
  if (QUIET_WAIT_S > 0) {
    const busy = await waitQuiet(cpus, 0.3, QUIET_WAIT_S * 1000);
    if (busy >= 0.3) log(`  (other processes still use ${(100 * busy).toFixed(0)}% of a core; going ahead)`);
  }
  const generator = start(
    GENERATOR.command,
    [...GENERATOR.args, info.layout, String(phones), String(SECONDS), String(SLICES), String(ROOM_SIZE)],
    { stdio: ["pipe", "pipe", "inherit"] },
    LOAD_CPU,
  );
  const loadLines = jsonLines(generator);
  let result;
  try {
    const { groups } = await loadLines.next(30_000, "load generator phones");
    await target.start();
    const setupStart = performance.now();
    const relays = await target.setup(groups);
    const setupMs = performance.now() - setupStart;
    generator.stdin.write(`${JSON.stringify({ relays })}\n`);
    await loadLines.next(30_000, "load generator start");
    const wall0 = performance.now();
    const server0 = cpuTimes(target.pid);
    const load0 = cpuTimes(generator.pid);
    const machine0 = machineJiffies();
    await loadLines.next(SECONDS * 1000 + 30_000, "load generator end of sending");
    const wall = (performance.now() - wall0) / 1000;
    const server1 = cpuTimes(target.pid);
    const serverUser = (server1.user - server0.user) / wall;
    const serverSystem = (server1.system - server0.system) / wall;
    const serverCpu = serverUser + serverSystem;
    const load1 = cpuTimes(generator.pid);
    const loadUser = (load1.user - load0.user) / wall;
    const loadSystem = (load1.system - load0.system) / wall;
    const loadCpu = loadUser + loadSystem;
    const machine1 = machineJiffies();
    // Whole-machine busy share (all cores = 100%) and what is left of it for other processes.
    const machineBusyPct = (100 * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total);
    const otherCpuPct = Math.max(0, machineBusyPct * cpus - 100 * (serverCpu + loadCpu));
    const generated = (await loadLines.next(30_000, "load generator result")).result;
    const serverStats = target.stats ? await target.stats().catch(() => undefined) : undefined;
    result = {
      ...generated,
      load,
      setupMs: Math.round(setupMs),
      machineBusyPct,
      otherCpuPct,
      serverCpuPct: 100 * serverCpu,
      serverUserPct: 100 * serverUser,
      serverSystemPct: 100 * serverSystem,
      loadCpuPct: 100 * loadCpu,
      loadUserPct: 100 * loadUser,
      loadSystemPct: 100 * loadSystem,
      serverStats,
    };
  } finally {
    await stop(generator);
    await target.close();
  }
  // The server has closed its recorders: check what they wrote.
  if (mode === "recording" && recordDir) Object.assign(result, checkRecordings(recordDir, result.sent));
  return result;
}

/**
 * Reads every WAV the recording step wrote and counts the 20 ms frames, per channel, that hold the
 * phones' constant level (sample 80 of the frame, past the 12 octets of send stamps): a frame the
 * recorder missed is silence. The recording loss is 1 − frames heard / packets the phones sent.
 */
function checkRecordings(dir, sent) {
  let heard = 0;
  let files = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".wav")) continue;
    const bytes = readFileSync(join(dir, name));
    const channels = bytes.readUInt16LE(22);
    const dataBytes = Math.min(bytes.readUInt32LE(40), bytes.length - 44);
    const frameBytes = 160 * 2 * channels;
    const frames = Math.floor(dataBytes / frameBytes);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++) {
        if (bytes.readInt16LE(44 + f * frameBytes + (80 * channels + c) * 2) !== 0) heard += 1;
      }
    }
    files += 1;
  }
  const lost = sent > 0 ? Math.max(0, sent - heard) / sent : 1;
  return { recordingFiles: files, recordedFramesHeard: heard, recordingLossPct: 100 * lost };
}

const held = (r) =>
  r.lossPct < MAX_LOSS_PCT && (r.recordingLossPct ?? 0) < MAX_LOSS_PCT && r.jitterMs < MAX_JITTER_MS;

function describe(r) {
  const transit =
    r.transitMeanMs === null
      ? ""
      : `transit mean ${r.transitMeanMs.toFixed(2)} max ${r.transitMaxMs.toFixed(1)} ms, `;
  const loss =
    r.mode === "conference"
      ? `voice loss ${r.lossPct.toFixed(3)}% (mix packets ${r.packetLossPct.toFixed(3)}%, worst phone ${r.worstStreamLossPct.toFixed(1)}%, dead ${r.deadStreams})`
      : `loss ${r.lossPct.toFixed(3)}% (worst stream ${r.worstStreamLossPct.toFixed(1)}%, dead ${r.deadStreams})`;
  const recorded =
    r.recordingLossPct === undefined
      ? ""
      : `, recording loss ${r.recordingLossPct.toFixed(3)}% (${r.recordingFiles} files, ${r.serverStats?.recordedSeconds ?? "?"} s ` +
        `recorded of ${r.serverStats?.recordingWallSeconds ?? "?"} s per call)`;
  return (
    `${loss}, jitter ${r.jitterMs.toFixed(2)} ms (RFC 3550 est. mean ${r.rfc3550JitterMeanMs.toFixed(2)}, max ${r.rfc3550JitterMaxMs.toFixed(2)}), ` +
    `${transit}CPU server ${r.serverCpuPct.toFixed(0)}% (user ${r.serverUserPct.toFixed(0)}, sys ${r.serverSystemPct.toFixed(0)}) generator ${r.loadCpuPct.toFixed(0)}% (user ${r.loadUserPct.toFixed(0)}, sys ${r.loadSystemPct.toFixed(0)}) other ${r.otherCpuPct.toFixed(0)}% ` +
    `(machine ${r.machineBusyPct.toFixed(0)}% of ${cpus} cores), sender lag mean ${r.senderLagMeanMs.toFixed(2)} max ${r.senderLagMaxMs.toFixed(1)} ms, ` +
    `setup ${r.setupMs} ms${recorded}`
  );
}

// ---------------------------------------------------------------------------------------------

const plan = MODES.flatMap((mode) =>
  targetsOf(mode).map((target) => ({ mode, target, steps: stepsOf(mode) })),
);
const maxSteps = plan.reduce((n, p) => n + p.steps.length + RETRIES + DISTURBED_RETRIES, 0);
const maxSeconds = Number(env.PARLEY_BENCH_MAX_SECONDS ?? maxSteps * (SECONDS + 30 + QUIET_WAIT_S) + 30);
const deadline = setTimeout(() => {
  log(`bench:media: hard deadline of ${maxSeconds} s reached, stopping`);
  killLive();
  process.exit(1);
}, maxSeconds * 1000);
deadline.unref();

let recordDir; // recording: WAVs go here; emptied after every step, removed at the end and on exit
onExit(() => {
  if (recordDir) rmSync(recordDir, { recursive: true, force: true });
});
function emptyRecordDir() {
  if (!recordDir) return;
  for (const file of readdirSync(recordDir)) rmSync(join(recordDir, file), { force: true });
}

log(
  `bench:media: modes ${MODES.join(", ")}; targets ${TARGETS.join(", ")}; ${SECONDS} s per step; ` +
    `held = loss < ${MAX_LOSS_PCT}% and jitter < ${MAX_JITTER_MS} ms; ${RETRIES} retr${RETRIES === 1 ? "y" : "ies"}; ` +
    `${SLICES} slices per 20 ms tick; generator ${GENERATOR.kind === "c" ? "load.c" : "load.mjs"}; ${PIN ? "server pinned to CPU 0, generator to CPU 1" : "not pinned"}; ` +
    `deadline ${maxSeconds} s`,
);
const results = {}; // results[mode][target] = { best, at }
const allSteps = [];
for (const { mode, target: name, steps } of plan) {
  const unit = MODE_INFO[mode].unit;
  recordDir = mode === "recording" ? mkdtempSync(join(tmpdir(), "parley-bench-rec-")) : undefined;
  const target =
    name === "parley"
      ? parleyTarget({ mode, cpu: SERVER_CPU, nodeArgs: NODE_ARGS, recordDir })
      : rtpengineTarget({ binary: RTPENGINE, cpu: SERVER_CPU });
  let best = 0;
  let at;
  ladder: for (const load of steps) {
    let cleanFailures = 0;
    let disturbedFailures = 0;
    for (let attempt = 0; ; attempt++) {
      let r;
      try {
        r = await runStep(mode, target, load);
      } catch (error) {
        log(
          `  ${mode} ${target.name} ${load} ${unit}: FAILED: ${error instanceof Error ? error.message : error}`,
        );
        allSteps.push({ mode, target: name, load, error: String(error) });
        break ladder;
      } finally {
        emptyRecordDir();
      }
      const ok = held(r);
      // Other processes using a third of a core or more: the step says more about them than us.
      const disturbed = r.otherCpuPct >= DISTURBED_PCT;
      allSteps.push({ mode, target: name, ...r, held: ok, disturbed });
      const notes = [
        r.loadCpuPct > 90 ? "generator near one core: it may be the limit" : "",
        disturbed ? "disturbed by other processes" : "",
      ].filter(Boolean);
      const again = attempt > 0 ? " (retry)" : "";
      log(
        `  ${mode} ${target.name} ${load} ${unit}${again}: ${ok ? "held" : "NOT held"}: ${describe(r)}` +
          (notes.length > 0 ? ` [${notes.join("; ")}]` : ""),
      );
      await sleep(300);
      if (ok) {
        best = load;
        at = r;
        continue ladder;
      }
      if (disturbed) disturbedFailures += 1;
      else cleanFailures += 1;
      if (cleanFailures > RETRIES || disturbedFailures > DISTURBED_RETRIES) break ladder;
    }
  }
  if (recordDir) rmSync(recordDir, { recursive: true, force: true });
  recordDir = undefined;
  results[mode] ??= {};
  results[mode][name] = { best, at };
}
if (env.PARLEY_BENCH_JSON) writeFileSync(env.PARLEY_BENCH_JSON, JSON.stringify(allSteps, null, 2));

// CPU per unit at the largest load held: % of one core, and ms of CPU per second.
function cpuPer(result, unit) {
  const { best, at } = result;
  if (!at) return "nothing held";
  const per = at.serverCpuPct / best;
  return (
    `${best} ${unit}: server ${at.serverCpuPct.toFixed(0)}% of a core (${(per * 10).toFixed(2)} ms CPU/s per ${unit.replace(/s$/, "")}), ` +
    `generator ${at.loadCpuPct.toFixed(0)}%, other processes ${at.otherCpuPct.toFixed(0)}%`
  );
}
const lines = [];
log("summary (CPU at the largest load held):");
for (const mode of MODES) {
  const unit = MODE_INFO[mode].unit;
  const byTarget = results[mode] ?? {};
  const parts = [];
  if (byTarget.parley) parts.push(`Parley ${byTarget.parley.best} ${unit}`);
  if (byTarget.rtpengine) parts.push(`rtpengine ${byTarget.rtpengine.best} ${unit}`);
  if (byTarget.parley && byTarget.rtpengine?.best) {
    parts.push(`ratio ${(byTarget.parley.best / byTarget.rtpengine.best).toFixed(2)}×`);
  }
  const top = stepsOf(mode).at(-1);
  for (const [name, result] of Object.entries(byTarget)) {
    const capped = result.best === top ? ` (the top step: the limit is higher than this ladder goes)` : "";
    log(`  ${mode} ${name}: ${cpuPer(result, unit)}${capped}`);
  }
  lines.push(`${mode}: ${parts.join(", ")}`);
}
process.stdout.write(`${lines.join("\n")}\n`);
killLive();
process.exit(0);
