#!/usr/bin/env node
// `npm run bench:calls`: call rate and concurrency through a call server, with RTP, SIPp on loopback.
//
// A SIPp UAC (bench/calls/uac.xml) places calls at a stepped rate; each call authenticates its
// INVITE (407, MD5), is answered by a SIPp UAS (bench/calls/uas.xml) that registered the callees
// from its own port, carries G.711 A-law RTP both ways (20 ms packets, as long as the call), is held
// for --call-seconds and hung up by the caller. Targets, each started here on 127.0.0.1:
//   parley     Parley (`bin/parley.js serve`, one process, SQLite): B2BUA with the media anchored
//   kamailio   Kamailio 5.6 stateful proxy with record-route and digest auth (bench/calls/kamailio.cfg)
//              + rtpengine 10.5 (userspace forwarding) anchoring the media: the reference
// A step runs `rate` calls/s for --hold-seconds (rate × hold-seconds calls). It is held when under
// 0.1% of its calls fail (failed, unfinished at SIPp's deadline, never started, or set up in 1 s
// or more), SIPp created them at >= 95% of the rate, and >= 99% of the RTP packets the phones sent
// reached the other phone. A target's result is its highest held rate and the peak of concurrent
// calls in that step; steps stop at the first one not held. One result line is printed last on
// stdout, e.g.
//   calls: Parley 300 cps (620 concurrent), Kamailio+rtpengine 900 cps (1800 concurrent), ratio 0.33×
// Progress goes to stderr; every step's numbers, SIPp's statistics and errors and the servers' logs
// go to the log dir. Everything binds 127.0.0.1; every process is started here and stopped here by
// PID (its own process group); the whole run has a hard deadline; Ctrl-C stops everything.
// See bench/calls/README.md.
//
// Options (also as environment variables PARLEY_BENCH_<NAME>, e.g. PARLEY_BENCH_HOLD_SECONDS=30):
//   --hold-seconds N     seconds each rate is held (default 10; 30 = the issue's full rule)
//   --call-seconds N     seconds a call lasts after the answer (default 2)
//   --rates a,b,...      calls per second per step (default 50,100,150,200,300,400,500,700,1000)
//   --targets a,b        parley, kamailio (default: both; kamailio when kamailio and rtpengine are installed)
//   --media stream|pcap  how SIPp sends RTP: rtp_stream (default) or play_pcap_audio (see the README)
//   --callers N          calling users (default 200); --callees N called users (default 200)
//   --log-dir DIR        where details go (default: a new /tmp/parley-bench-calls-<time>)
//   --kamailio-children N  Kamailio UDP workers (default 4)
//   --max-seconds N      hard deadline for the whole run (default: computed)
//   --parley-node-args=… extra node options for the Parley process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p")
//   --external 127.0.0.1:PORT  a call server started elsewhere, measured as target `external` (only
//                        when --targets names it): its users exist, its RTP ports are its own;
//                        --external-pids a,b: process groups counted as its CPU; --external-label
//                        (bench/cluster/run.mjs runs Kamailio in front of Parley nodes this way)
import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import {
  accessSync,
  appendFileSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { NgClient } from "../media/ng.mjs";
import { makeUsers, userName } from "../register/make-users.mjs";
import { groupCpuSeconds, machineJiffies } from "./cpu.mjs";
import { writeRawAlaw, writeRtpPcap } from "./make-pcap.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REGISTER_SCENARIO = join(ROOT, "test", "fixtures", "sipp", "register-digest.xml");
const HOST = "127.0.0.1";
const DOMAIN = "parley.test";
const MAX_FAILURE_RATIO = 0.001;
const MIN_RATE_RATIO = 0.95;
const MIN_RTP_RATIO = 0.99;
const MAX_SETUP_MS = 1000; // a call set up slower than this counts as failed
const PCAP_MARGIN_SECONDS = 0.3; // the RTP stream ends this long before the BYE
const PARLEY_RTP = { min: 10000, max: 21998 };
const RTPENGINE_RTP = { min: 22000, max: 32766 }; // below the kernel's ephemeral range (32768+)

// ---------------------------------------------------------------------------------------------
// Options

const env = process.env;
const { values: argv } = parseArgs({
  options: {
    "hold-seconds": { type: "string" },
    "call-seconds": { type: "string" },
    rates: { type: "string" },
    targets: { type: "string" },
    callers: { type: "string" },
    callees: { type: "string" },
    "log-dir": { type: "string" },
    "kamailio-children": { type: "string" },
    "max-seconds": { type: "string" },
    "parley-node-args": { type: "string" },
    media: { type: "string" },
    external: { type: "string" },
    "external-pids": { type: "string" },
    "external-label": { type: "string" },
  },
});
const option = (name, fallback) =>
  argv[name] ?? env[`PARLEY_BENCH_${name.toUpperCase().replaceAll("-", "_")}`] ?? fallback;
const HOLD_SECONDS = Number(option("hold-seconds", "10"));
const CALL_SECONDS = Number(option("call-seconds", "2"));
const RATES = option("rates", "50,100,150,200,300,400,500,700,1000")
  .split(",")
  .map((r) => Number(r.trim()))
  .filter((r) => r > 0);
const CALLERS = Number(option("callers", "200"));
const CALLEES = Number(option("callees", "200"));
const KAMAILIO_CHILDREN = Number(option("kamailio-children", "4"));
const MEDIA = option("media", "stream");
if (MEDIA !== "stream" && MEDIA !== "pcap") {
  process.stderr.write("bench:calls: --media is stream (SIPp rtp_stream) or pcap (play_pcap_audio)\n");
  process.exit(2);
}
const PARLEY_NODE_ARGS = option("parley-node-args", "").split(/\s+/).filter(Boolean);
if (!(HOLD_SECONDS > 0 && CALL_SECONDS > PCAP_MARGIN_SECONDS + 0.2 && RATES.length > 0)) {
  process.stderr.write("bench:calls: need --hold-seconds > 0, --call-seconds > 0.5 and at least one rate\n");
  process.exit(2);
}
if (!(CALLERS >= 1 && CALLEES >= 1)) {
  process.stderr.write("bench:calls: need --callers >= 1 and --callees >= 1\n");
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const LOG_DIR = resolve(option("log-dir", join("/tmp", `parley-bench-calls-${stamp}`)));
mkdirSync(LOG_DIR, { recursive: true });

function log(line) {
  const text = `bench:calls ${line}\n`;
  process.stderr.write(text);
  appendFileSync(join(LOG_DIR, "bench.log"), `${new Date().toISOString()} ${text}`);
}

// ---------------------------------------------------------------------------------------------
// Processes: every child is spawned detached (its own process group), tracked, and killed by PID.

const live = new Set();
function track(child) {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}
function killLive() {
  for (const child of live) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}
process.on("exit", killLive);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    killLive();
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const alive = (child) => child.exitCode === null && child.signalCode === null;

/** Spawns a detached child that keeps the last 20 kB of its output (also written to `logFile` at stop). */
function start(command, args, options, logFile) {
  const child = track(
    spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] }),
  );
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.output = () => output;
  child.logFile = logFile;
  child.exited = new Promise((ok) => child.once("exit", (code, signal) => ok({ code, signal })));
  return child;
}

/** SIGTERM (or `signal`) to the child's PID, then SIGKILL to its process group after `graceMs`. */
async function stop(child, { signal = "SIGTERM", graceMs = 5000 } = {}) {
  if (!child) return;
  if (alive(child)) {
    try {
      process.kill(child.pid, signal);
    } catch {
      // gone
    }
    const timedOut = await Promise.race([child.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
      await child.exited;
    }
  }
  if (child.logFile) writeFileSync(child.logFile, child.output());
}

function which(name) {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Ports, readiness, CPU and RTP counters

async function udpPortFree(port) {
  const socket = dgram.createSocket("udp4");
  const ok = await new Promise((done) => {
    socket.once("error", () => done(false));
    socket.bind(port, HOST, () => done(true));
  });
  await new Promise((done) => (ok ? socket.close(done) : done()));
  return ok;
}

/** A UDP port free on 127.0.0.1 right now (kernel-chosen). */
async function freePort() {
  const socket = dgram.createSocket("udp4");
  const port = await new Promise((ok, fail) => {
    socket.once("error", fail);
    socket.bind(0, HOST, () => ok(socket.address().port));
  });
  await new Promise((ok) => socket.close(ok));
  return port;
}

/** P such that P and P+2 are free (SIPp's -mp binds the audio port P and the video port P+2). */
async function freeMediaPort(taken) {
  for (let i = 0; i < 200; i++) {
    const port = 33000 + 4 * Math.floor(Math.random() * 240); // 33000-33959, under the ephemeral-heavy top
    if (taken.has(port)) continue;
    if ((await udpPortFree(port)) && (await udpPortFree(port + 2))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error("no free media port pair in 33000-33999");
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
        `Via: SIP/2.0/UDP ${HOST}:${local};branch=z9hG4bK-bench-calls-${i}`,
        "Max-Forwards: 70",
        `From: <sip:bench@${HOST}:${local}>;tag=bench`,
        `To: <sip:${HOST}:${port}>`,
        `Call-ID: bench-calls-ready-${i}@${HOST}`,
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

/**
 * Receive-side counters of the UDP sockets bound to 127.0.0.1:<port> (SIPp's media sockets, which
 * SIPp binds but never reads without -rtp_echo): bytes queued and packets dropped. Once the queue
 * is full every packet that arrives is a drop, so packets received = drops + queued / truesize.
 */
function udpCounters(ports) {
  const wanted = new Map(ports.map((p) => [`0100007F:${p.toString(16).toUpperCase().padStart(4, "0")}`, p]));
  const found = {};
  for (const line of readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const port = wanted.get(f[1]);
    if (port === undefined) continue;
    found[port] = { queued: Number.parseInt(f[4].split(":")[1], 16), drops: Number(f[12]) };
  }
  return found;
}

/** The machine's UDP receive-buffer drops so far (/proc/net/snmp, Udp RcvbufErrors). */
function udpRcvbufErrors() {
  const lines = readFileSync("/proc/net/snmp", "utf8")
    .split("\n")
    .filter((l) => l.startsWith("Udp: "));
  if (lines.length < 2) return Number.NaN;
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf("RcvbufErrors")]);
}

/** Bytes one queued RTP packet takes in a receive buffer: send `count` packets to an unread port. */
async function measureTruesize(port, bytes) {
  const before = udpCounters([port])[port];
  if (!before) return undefined;
  const socket = dgram.createSocket("udp4");
  const count = 20;
  for (let i = 0; i < count; i++) {
    await new Promise((ok) => socket.send(Buffer.alloc(bytes), port, HOST, ok));
  }
  await sleep(100);
  socket.close();
  const after = udpCounters([port])[port];
  if (!after || after.drops !== before.drops) return undefined;
  return (after.queued - before.queued) / count;
}

// ---------------------------------------------------------------------------------------------
// SIPp

const SIPP = which("sipp");

function sippArgs(target, scenario, localPort, extra) {
  return [
    target,
    "-sf",
    scenario,
    "-t",
    "u1",
    "-i",
    HOST,
    "-bind_local",
    "-p",
    String(localPort),
    "-mi",
    HOST,
    "-ci",
    HOST,
    "-nostdin",
    "-max_recv_loops",
    "10000",
    "-max_sched_loops",
    "10000",
    ...extra,
  ];
}

/** Parses SIPp's -trace_stat file: every row as { column: value }. */
function readStatRows(file) {
  if (!existsSync(file)) return [];
  const rows = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim());
  if (rows.length < 2) return [];
  const header = rows[0].split(";");
  return rows.slice(1).map((row) => {
    const cells = row.split(";");
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
}
const int = (row, name) => Number.parseInt(row?.[name] ?? "0", 10) || 0;
const epoch = (value) => Number((value ?? "").split("\t")[2] ?? Number.NaN);
/** "HH:MM:SS:uuuuuu" → ms. */
function durationMs(value) {
  const parts = (value ?? "").split(":").map(Number);
  if (parts.length !== 4 || parts.some((n) => Number.isNaN(n))) return Number.NaN;
  return ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + parts[3] / 1000;
}

/** Runs SIPp to completion (registration): resolves with its exit code and stats. */
async function runSippOnce(args, cwd, name, deadlineSeconds) {
  const child = start(SIPP, args, { cwd }, join(cwd, `${name}.out`));
  const killer = setTimeout(() => stop(child, { signal: "SIGKILL" }), deadlineSeconds * 1000);
  const { code } = await child.exited;
  clearTimeout(killer);
  await stop(child);
  return code;
}

// ---------------------------------------------------------------------------------------------
// Targets: start(ctx) → { port, pgids, describe, stop() }

function parleyVersion() {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
}

const targets = {
  parley: {
    label: "Parley",
    available: () => undefined,
    async start(ctx) {
      const dir = join(ctx.dir, "parley-data");
      mkdirSync(dir, { recursive: true });
      const provision = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          join(ROOT, "bench", "register", "provision-parley.ts"),
          dir,
          String(ctx.users),
          DOMAIN,
        ],
        { cwd: ROOT, encoding: "utf8" },
      );
      if (provision.status !== 0) throw new Error(`provisioning Parley failed:\n${provision.stderr}`);
      const port = await freePort();
      const childEnv = {};
      for (const [key, value] of Object.entries(env)) if (!key.startsWith("PARLEY_")) childEnv[key] = value;
      Object.assign(childEnv, {
        PARLEY_DATA_DIR: dir,
        PARLEY_SIP_DOMAIN: DOMAIN,
        PARLEY_SIP_HOST: HOST,
        PARLEY_SIP_PORT: String(port),
        PARLEY_SIP_WS_PORT: "0",
        PARLEY_SIP_TLS_PORT: "0",
        PARLEY_HTTP_HOST: HOST,
        PARLEY_HTTP_PORT: "0",
        PARLEY_IMAP_HOST: HOST,
        PARLEY_IMAP_PORT: "0",
        PARLEY_SMTP_HOST: HOST,
        PARLEY_SMTP_PORT: "0",
        PARLEY_MEDIA_ADDRESS: HOST,
        PARLEY_MEDIA_RTP_PORT_MIN: String(PARLEY_RTP.min),
        PARLEY_MEDIA_RTP_PORT_MAX: String(PARLEY_RTP.max),
        PARLEY_CALLS_CALL_WAITING: "true",
        PARLEY_LOG_LEVEL: "warn",
        PARLEY_LOG_FORMAT: "json",
      });
      const child = start(
        process.execPath,
        [...PARLEY_NODE_ARGS, join(ROOT, "bin", "parley.js"), "serve"],
        { cwd: dir, env: childEnv },
        join(ctx.dir, "parley.log"),
      );
      if (!(await waitForSip(port, 30, () => alive(child)))) {
        await stop(child);
        throw new Error(`Parley did not answer OPTIONS on ${HOST}:${port}:\n${child.output().slice(-2000)}`);
      }
      log(`parley ${child.pid} up on udp:${HOST}:${port}, RTP ${PARLEY_RTP.min}-${PARLEY_RTP.max}`);
      return {
        port,
        pgids: [child.pid],
        child,
        describe: `Parley ${parleyVersion()} (one process, Node ${process.version}, SQLite, B2BUA with media anchored)`,
        stop: () => stop(child),
      };
    },
  },
  kamailio: {
    label: "Kamailio+rtpengine",
    available() {
      if (!which("kamailio"))
        return "kamailio not on PATH (apt-get install kamailio kamailio-sqlite-modules)";
      if (!which("rtpengine")) return "rtpengine not on PATH (apt-get install rtpengine-daemon)";
      if (!existsSync("/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so"))
        return "Kamailio's db_sqlite module missing (apt-get install kamailio-sqlite-modules)";
      return undefined;
    },
    async start(ctx) {
      const ngPort = await freePort();
      const rtpengine = start(
        which("rtpengine"),
        [
          "--config-file=none",
          `--interface=${HOST}`,
          `--listen-ng=${HOST}:${ngPort}`,
          "--foreground",
          "--log-stderr",
          "--log-level=4",
          `--port-min=${RTPENGINE_RTP.min}`,
          `--port-max=${RTPENGINE_RTP.max}`,
          "--table=-1",
          "--timeout=60",
          "--delete-delay=0",
        ],
        {},
        join(ctx.dir, "rtpengine.log"),
      );
      const ng = new NgClient(HOST, ngPort);
      try {
        const deadline = Date.now() + 10_000;
        for (;;) {
          if (!alive(rtpengine))
            throw new Error(`rtpengine exited early:\n${rtpengine.output().slice(-2000)}`);
          const pong = await ng.request({ command: "ping" }, 300).catch(() => undefined);
          if (pong?.result === "pong") break;
          if (Date.now() > deadline) throw new Error(`rtpengine did not answer ping:\n${rtpengine.output()}`);
          await sleep(100);
        }
      } catch (error) {
        await stop(rtpengine);
        throw error;
      } finally {
        ng.close();
      }
      const port = await freePort();
      const runDir = join(ctx.dir, "kamailio-run");
      mkdirSync(runDir, { recursive: true });
      const kamailio = start(
        which("kamailio"),
        [
          "-f",
          join(HERE, "kamailio.cfg"),
          "-DD",
          "-E",
          "-w",
          runDir,
          "-P",
          join(runDir, "kamailio.pid"),
          "-A",
          `SIP_PORT=${port}`,
          "-A",
          `CHILDREN=${KAMAILIO_CHILDREN}`,
          "-A",
          `DBURL="sqlite:///${ctx.userFiles.sqlite}"`,
          "-A",
          `NG_SOCK="udp:${HOST}:${ngPort}"`,
          "-m",
          "512",
          "-M",
          "32",
        ],
        { cwd: runDir },
        join(ctx.dir, "kamailio.log"),
      );
      if (!(await waitForSip(port, 15, () => alive(kamailio)))) {
        await stop(kamailio);
        await stop(rtpengine);
        throw new Error(
          `kamailio did not answer OPTIONS on ${HOST}:${port}:\n${kamailio.output().slice(-2000)}`,
        );
      }
      const kv = /kamailio ([\d.]+)/.exec(
        spawnSync("kamailio", ["-v"], { encoding: "utf8" }).stdout ?? "",
      )?.[1];
      const rv = /Version: (\S+)/.exec(
        spawnSync("rtpengine", ["--version"], { encoding: "utf8" }).stderr ?? "",
      )?.[1];
      log(
        `kamailio ${kamailio.pid} up on udp:${HOST}:${port} (${KAMAILIO_CHILDREN} UDP workers), rtpengine ${rtpengine.pid} ng ${ngPort}, RTP ${RTPENGINE_RTP.min}-${RTPENGINE_RTP.max}`,
      );
      return {
        port,
        pgids: [kamailio.pid, rtpengine.pid],
        child: kamailio,
        describe: `Kamailio ${kv ?? "?"} (stateful proxy, record-route, digest auth on SQLite, ${KAMAILIO_CHILDREN} UDP workers) + rtpengine ${rv ?? "?"} (userspace)`,
        async stop() {
          await stop(kamailio);
          await stop(rtpengine);
        },
      };
    },
  },
  external: {
    label: option("external-label", "external"),
    available: () =>
      /^127\.0\.0\.1:\d+$/.test(option("external", "")) ? undefined : "--external is not 127.0.0.1:PORT",
    async start() {
      const port = Number(option("external").split(":")[1]);
      const pgids = option("external-pids", "")
        .split(",")
        .map(Number)
        .filter((pid) => pid > 0);
      return { port, pgids, describe: `the call server at ${HOST}:${port}`, async stop() {} };
    },
  },
};

// ---------------------------------------------------------------------------------------------
// One step: a fresh UAS (on the registered port) and UAC; rate × HOLD_SECONDS calls.

async function runStep(ctx, server, rate, index) {
  const name = `${ctx.target}-step${index}-${rate}cps`;
  const calls = Math.max(1, Math.round(rate * HOLD_SECONDS));
  const deadline = Math.ceil(HOLD_SECONDS + CALL_SECONDS + 40);
  const target = `${HOST}:${server.port}`;
  const uacPort = await freePort();
  const uacMedia = await freeMediaPort(ctx.mediaPorts);
  const uas = start(
    SIPP,
    sippArgs(target, join(ctx.dir, "uas.xml"), ctx.uasPort, [
      "-mp",
      String(ctx.uasMedia),
      "-s",
      "uas",
      "-timeout",
      `${deadline + 20}s`,
      "-timeout_error",
      "-trace_stat",
      "-stf",
      join(ctx.dir, `${name}-uas-stat.csv`),
      "-fd",
      "1",
      "-trace_err",
      "-error_file",
      join(ctx.dir, `${name}-uas-errors.log`),
      "-max_log_size",
      "2000000",
    ]),
    { cwd: ctx.dir },
    join(ctx.dir, `${name}-uas.out`),
  );
  await sleep(300);
  if (!alive(uas)) throw new Error(`UAS sipp exited at once:\n${uas.output().slice(-1500)}`);
  if (ctx.truesize === undefined) ctx.truesize = await measureTruesize(ctx.uasMedia + 2, 12 + 160);
  const truesize = ctx.truesize ?? 832;

  const rcvbufErrors0 = udpRcvbufErrors();
  const sipDrops0 = udpCounters([server.port])[server.port]?.drops ?? 0;
  const uacStat = join(ctx.dir, `${name}-uac-stat.csv`);
  const uac = start(
    SIPP,
    sippArgs(target, join(ctx.dir, "uac.xml"), uacPort, [
      "-mp",
      String(uacMedia),
      "-inf",
      ctx.callersCsv,
      "-auth_uri",
      DOMAIN,
      "-r",
      String(rate),
      "-m",
      String(calls),
      "-l",
      String(Math.max(1000, rate * (CALL_SECONDS + 30))), // no throttling: open-loop offered load
      "-d",
      String(Math.round(CALL_SECONDS * 1000)),
      "-timeout",
      `${deadline}s`,
      "-timeout_error",
      "-trace_stat",
      "-stf",
      uacStat,
      "-fd",
      "200ms",
      "-trace_err",
      "-error_file",
      join(ctx.dir, `${name}-uac-errors.log`),
      "-max_log_size",
      "2000000",
    ]),
    { cwd: ctx.dir },
    join(ctx.dir, `${name}-uac.out`),
  );
  const hardKill = setTimeout(() => stop(uac, { signal: "SIGKILL" }), (deadline + 15) * 1000);

  // Sample CPU and the media sockets' counters until the UAC is done. CPU is averaged over the
  // steady part of the offered load: from when the first calls hang up to when the last is placed.
  const startedAt = performance.now();
  const serverCpu = () => server.pgids.reduce((sum, p) => sum + groupCpuSeconds(p), 0);
  const snapshot = () => ({
    server: serverCpu(),
    uac: groupCpuSeconds(uac.pid),
    uas: groupCpuSeconds(uas.pid),
    machine: machineJiffies(),
    at: performance.now(),
  });
  const windowStartsAt = startedAt + Math.min(CALL_SECONDS + 0.5, HOLD_SECONDS / 2) * 1000;
  const loadEndsAt = startedAt + HOLD_SECONDS * 1000;
  let cpu0;
  let cpuLoad;
  const media = { [ctx.uasMedia]: { queued: 0, drops: 0 }, [uacMedia]: { queued: 0, drops: 0 } };
  let peakServerCpu = 0;
  let lastServerCpu = { s: serverCpu(), at: startedAt };
  while (alive(uac)) {
    await Promise.race([uac.exited, sleep(250)]);
    Object.assign(media, udpCounters([ctx.uasMedia, uacMedia]));
    const now = performance.now();
    const s = serverCpu();
    if (now - lastServerCpu.at >= 1000) {
      peakServerCpu = Math.max(peakServerCpu, (s - lastServerCpu.s) / ((now - lastServerCpu.at) / 1000));
      lastServerCpu = { s, at: now };
    }
    if (!cpu0 && now >= windowStartsAt && alive(uac)) cpu0 = snapshot();
    if (cpu0 && !cpuLoad && now >= loadEndsAt && alive(uac)) {
      const end = snapshot();
      const wall = (end.at - cpu0.at) / 1000;
      cpuLoad = {
        server: (100 * (end.server - cpu0.server)) / wall,
        uac: (100 * (end.uac - cpu0.uac)) / wall,
        uas: (100 * (end.uas - cpu0.uas)) / wall,
        machine: (100 * (end.machine.busy - cpu0.machine.busy)) / (end.machine.total - cpu0.machine.total),
      };
    }
  }
  clearTimeout(hardKill);
  const { code } = await uac.exited;
  await sleep(300);
  Object.assign(media, udpCounters([ctx.uasMedia]));
  await stop(uac);
  await stop(uas, { signal: "SIGINT", graceMs: 3000 });
  // Receive-buffer drops anywhere on the machine except the phones' media sockets, which drop
  // by design: SIP or relayed RTP lost on loopback because a reader fell behind.
  const otherUdpDrops = udpRcvbufErrors() - rcvbufErrors0 - media[ctx.uasMedia].drops - media[uacMedia].drops;
  // Of which on the server's SIP socket (requests and responses it never read).
  const serverSipDrops = (udpCounters([server.port])[server.port]?.drops ?? 0) - sipDrops0;

  const uasLast = readStatRows(join(ctx.dir, `${name}-uas-stat.csv`)).at(-1);
  const rows = readStatRows(uacStat);
  const last = rows.at(-1);
  if (!last) {
    return { rate, calls, code, held: false, error: uac.output().trim().split("\n").slice(-3).join(" | ") };
  }
  const successful = int(last, "SuccessfulCall(C)");
  const failed = int(last, "FailedCall(C)");
  const created = int(last, "TotalCallCreated");
  const peakConcurrent = Math.max(...rows.map((r) => int(r, "CurrentCall")));
  // When SIPp had created every call: interpolated between the two stat rows around it.
  const t0 = epoch(last.StartTime);
  let createdBy = epoch(last.CurrentTime) - t0;
  for (let i = 0; i < rows.length; i++) {
    if (int(rows[i], "TotalCallCreated") >= created) {
      const prevCreated = i > 0 ? int(rows[i - 1], "TotalCallCreated") : 0;
      const prevT = i > 0 ? epoch(rows[i - 1].CurrentTime) - t0 : 0;
      const t = epoch(rows[i].CurrentTime) - t0;
      const span = int(rows[i], "TotalCallCreated") - prevCreated;
      createdBy = span > 0 ? prevT + ((created - prevCreated) / span) * (t - prevT) : t;
      break;
    }
  }
  // SIPp starts the first call at once and spaces the rest 1/rate apart.
  const achieved = created > 1 && createdBy > 0 ? (created - 1) / createdBy : 0;
  const received = (port) => media[port].drops + Math.round(media[port].queued / truesize);
  const rtpExpected = successful * ctx.pcapPackets;
  const rtp = {
    expectedEachWay: rtpExpected,
    atUas: received(ctx.uasMedia),
    atUac: received(uacMedia),
  };
  rtp.ratio = rtpExpected > 0 ? Math.min(rtp.atUas, rtp.atUac) / rtpExpected : 0;
  // Calls that took MAX_SETUP_MS or more from the first INVITE to the 200 (SIPp's repartition
  // buckets, cumulative): a server with a growing backlog still completes its calls late, since
  // SIPp retransmits for 32 s, so lateness is what shows it. uac.xml's ResponseTimeRepartition
  // has its last two bounds at MAX_SETUP_MS and 2 × MAX_SETUP_MS.
  const slowSetups =
    int(last, `ResponseTimeRepartitionsetup_<${2 * MAX_SETUP_MS}`) +
    int(last, `ResponseTimeRepartitionsetup_>=${2 * MAX_SETUP_MS}`);
  const failureRatio = (calls - successful + slowSetups) / calls;
  // The stat rows come every 200 ms: a short step is "on rate" when SIPp was at most one row late.
  const onRate = achieved >= rate * MIN_RATE_RATIO || createdBy <= (calls - 1) / rate + 0.2;
  const held = failureRatio < MAX_FAILURE_RATIO && onRate && rtp.ratio >= MIN_RTP_RATIO;
  return {
    rate,
    calls,
    code,
    held,
    created,
    successful,
    failed,
    slowSetups,
    unfinished: int(last, "CurrentCall"),
    failureRatio,
    achieved: Math.round(achieved * 10) / 10,
    peakConcurrent,
    retransmissions: int(last, "Retransmissions(C)"),
    otherUdpDrops,
    serverSipDrops,
    uas: { successful: int(uasLast, "SuccessfulCall(C)"), failed: int(uasLast, "FailedCall(C)") },
    failedTimeout: int(last, "FailedMaxUDPRetrans(C)") + int(last, "FailedTimeoutOnRecv(C)"),
    failedUnexpected: int(last, "FailedUnexpectedMessage(C)"),
    watchdogMinor: int(last, "WatchdogMinor(C)"),
    watchdogMajor: int(last, "WatchdogMajor(C)"),
    setupMs: Math.round(durationMs(last["ResponseTimesetup(C)"])),
    byeMs: Math.round(durationMs(last["ResponseTimebye(C)"]) * 10) / 10,
    rtp,
    cpu: cpuLoad,
    peakServerCpu: Math.round(100 * peakServerCpu),
  };
}

function describeStep(s) {
  if (s.error) return `sipp error (exit ${s.code}): ${s.error}`;
  const pct = (x) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
  const cpu = s.cpu
    ? `CPU server ${s.cpu.server.toFixed(0)}% (peak ${s.peakServerCpu}%), SIPp UAC ${s.cpu.uac.toFixed(0)}% UAS ${s.cpu.uas.toFixed(0)}%, machine ${s.cpu.machine.toFixed(0)}% of ${availableParallelism()} cores`
    : "CPU n/a";
  return (
    `${s.successful}/${s.calls} ok, ${s.failed} failed, ${s.unfinished} unfinished, ${s.slowSetups} set up in >= ${MAX_SETUP_MS} ms (${pct(s.failureRatio)} not ok), ` +
    `created at ${s.achieved}/s, peak ${s.peakConcurrent} concurrent, setup ${s.setupMs} ms, BYE ${s.byeMs} ms, ` +
    `${s.retransmissions} retrans, ${s.otherUdpDrops} UDP drops outside the phones' media sockets (${s.serverSipDrops} on the server's SIP socket), RTP ${pct(s.rtp.ratio)} delivered (UAS got ${s.rtp.atUas}, UAC ${s.rtp.atUac} of ${s.rtp.expectedEachWay} each way), ` +
    `${cpu}${s.watchdogMajor + s.watchdogMinor > 0 ? `, SIPp watchdog ${s.watchdogMinor} minor ${s.watchdogMajor} major` : ""}`
  );
}

async function benchTarget(name, ctxBase) {
  const def = targets[name];
  const dir = join(LOG_DIR, name);
  mkdirSync(dir, { recursive: true });
  for (const file of ["uac.xml", "uas.xml"]) {
    let xml = readFileSync(join(HERE, file), "utf8");
    if (MEDIA === "stream") {
      // SIPp's RTPSTREAM player (a pool of threads sending from the -mp socket) instead of
      // play_pcap_audio (a thread and a raw socket per play): see the README.
      xml = xml
        .replaceAll('<exec play_pcap_audio="media.pcap" />', '<exec rtp_stream="media.al,1,8" />')
        .replaceAll("m=audio [media_port] ", "m=audio [rtpstream_audio_port] ");
    }
    writeFileSync(join(dir, file), xml);
  }
  copyFileSync(join(LOG_DIR, "media.pcap"), join(dir, "media.pcap"));
  copyFileSync(join(LOG_DIR, "media.al"), join(dir, "media.al"));
  const ctx = { ...ctxBase, target: name, dir, mediaPorts: new Set() };
  const server = await def.start(ctx);
  const steps = [];
  try {
    // Register the callees from the UAS's port: the server sends their calls to that address.
    ctx.uasPort = await freePort();
    ctx.uasMedia = await freeMediaPort(ctx.mediaPorts);
    const code = await runSippOnce(
      sippArgs(`${HOST}:${server.port}`, REGISTER_SCENARIO, ctx.uasPort, [
        "-inf",
        ctx.calleesCsv,
        "-auth_uri",
        DOMAIN,
        "-m",
        String(CALLEES),
        "-r",
        "200",
        "-timeout",
        "30s",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        join(dir, "register-errors.log"),
      ]),
      dir,
      "register",
      45,
    );
    if (code !== 0)
      throw new Error(`registering the callees failed (sipp exit ${code}), see ${dir}/register.out`);
    log(`${name}: ${CALLEES} callees registered from udp:${HOST}:${ctx.uasPort}`);
    for (const [index, rate] of RATES.entries()) {
      if (server.child && !alive(server.child)) throw new Error(`${name} died: see ${dir}`);
      const step = await runStep(ctx, server, rate, index);
      steps.push(step);
      log(
        `${def.label} ${rate} cps × ${HOLD_SECONDS} s: ${describeStep(step)} → ${step.held ? "held" : "NOT held"}`,
      );
      if (!step.held) break;
      await sleep(3000); // let the last calls' transactions and media ports wind down
    }
  } finally {
    await server.stop();
  }
  const best = steps.filter((s) => s.held).reduce((b, s) => (!b || s.rate > b.rate ? s : b), undefined);
  return { name, label: def.label, describe: server.describe, best, steps };
}

function cpuModel() {
  return /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
}

async function main() {
  if (!SIPP) throw new Error("sipp not on PATH (apt-get install sip-tester)");
  if (!/PCAP/.test(spawnSync(SIPP, ["-v"], { encoding: "utf8" }).stdout ?? ""))
    throw new Error("this sipp has no pcap play support (play_pcap_audio): Debian's sip-tester has it");
  const wanted = option("targets", "parley,kamailio")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const runnable = [];
  for (const name of wanted) {
    if (!targets[name]) throw new Error(`unknown target ${name} (parley, kamailio, external)`);
    const why = targets[name].available();
    if (why) log(`skipping ${name}: ${why}`);
    else runnable.push(name);
  }
  if (runnable.length === 0) throw new Error("no target to run");

  // Per target: start and registration, the steps, and one last step that fails slowly (SIPp
  // waits for its unfinished calls up to its -timeout).
  const perStep = HOLD_SECONDS + CALL_SECONDS + 12;
  const perTarget = 60 + RATES.length * perStep + HOLD_SECONDS + CALL_SECONDS + 60;
  const maxSeconds = Number(option("max-seconds", String(runnable.length * perTarget + 60)));
  const watchdog = setTimeout(() => {
    log(`hard deadline of ${maxSeconds} s passed, stopping`);
    killLive();
    process.exit(2);
  }, maxSeconds * 1000);
  watchdog.unref();

  const users = CALLERS + CALLEES;
  const userFiles = await makeUsers({ out: join(LOG_DIR, "users"), count: users, domain: DOMAIN });
  // Caller i (user i) calls callee i mod CALLEES (user CALLERS + i mod CALLEES), round the list.
  const callerLines = [];
  for (let i = 0; i < CALLERS; i++) {
    const caller = userName(i, users);
    callerLines.push(`${caller};pw-${caller};${DOMAIN};${userName(CALLERS + (i % CALLEES), users)}`);
  }
  const callersCsv = join(LOG_DIR, "callers.csv");
  writeFileSync(callersCsv, `SEQUENTIAL\n${callerLines.join("\n")}\n`);
  const calleeLines = [];
  for (let i = 0; i < CALLEES; i++) {
    const callee = userName(CALLERS + i, users);
    calleeLines.push(`${callee};pw-${callee};${DOMAIN}`);
  }
  const calleesCsv = join(LOG_DIR, "callees.csv");
  writeFileSync(calleesCsv, `SEQUENTIAL\n${calleeLines.join("\n")}\n`);
  const pcapSeconds = CALL_SECONDS - PCAP_MARGIN_SECONDS;
  const pcapPackets = writeRtpPcap(join(LOG_DIR, "media.pcap"), pcapSeconds);
  writeRawAlaw(join(LOG_DIR, "media.al"), pcapPackets);

  const machine = {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    memGiB: Math.round(
      Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1048576,
    ),
    node: process.version,
    sipp: (spawnSync(SIPP, ["-v"], { encoding: "utf8" }).stdout ?? "").trim().split("\n")[0],
    loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
  };
  log(
    `targets ${runnable.join(", ")}; rates ${RATES.join("/")} cps, each held ${HOLD_SECONDS} s; calls last ${CALL_SECONDS} s ` +
      `with ${pcapPackets} RTP packets (PCMA, 20 ms) each way; ${CALLERS} callers, ${CALLEES} callees; ` +
      `${machine.nproc} cores (${machine.cpu}), load average ${machine.loadavg}; details in ${LOG_DIR}`,
  );
  const results = [];
  for (const name of runnable) {
    const result = await benchTarget(name, {
      users,
      userFiles,
      callersCsv,
      calleesCsv,
      pcapPackets,
    });
    const top = RATES.at(-1);
    log(
      `${result.label}: ${result.describe}: ` +
        (result.best
          ? `${result.best.rate} cps held, ${result.best.peakConcurrent} concurrent${result.best.rate === top ? " (the top step: add rates to see the ceiling)" : ""}`
          : "no step held"),
    );
    results.push(result);
  }
  writeFileSync(
    join(LOG_DIR, "results.json"),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        holdSeconds: HOLD_SECONDS,
        callSeconds: CALL_SECONDS,
        pcapPackets,
        callers: CALLERS,
        callees: CALLEES,
        results,
      },
      null,
      2,
    )}\n`,
  );
  clearTimeout(watchdog);
  return results;
}

function resultLine(results) {
  const part = (r) => `${r.label} ${r.best?.rate ?? 0} cps (${r.best?.peakConcurrent ?? 0} concurrent)`;
  const parts = results.map(part);
  const parley = results.find((r) => r.name === "parley");
  const kamailio = results.find((r) => r.name === "kamailio");
  if (parley && kamailio?.best)
    parts.push(`ratio ${((parley.best?.rate ?? 0) / kamailio.best.rate).toFixed(2)}×`);
  return `calls: ${parts.join(", ")}`;
}

main()
  .then((results) => {
    log(`details in ${LOG_DIR}`);
    process.stdout.write(`${resultLine(results)}\n`);
    process.exit(0);
  })
  .catch((error) => {
    log(`failed: ${error instanceof Error ? error.stack : error}`);
    killLive();
    process.exit(1);
  });
