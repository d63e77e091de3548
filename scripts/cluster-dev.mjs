#!/usr/bin/env node
// `npm run cluster:dev`: a two-node Parley cluster on this machine, for trying scale-out locally.
//
//   PostgreSQL   a private throwaway server (scripts/ci/start-postgres.sh in a temp dir)
//   Redis        a private throwaway server (scripts/ci/start-redis.sh in a temp dir)
//   node1 node2  `node bin/parley.js serve`, each with its own SIP/HTTP/IMAP/SMTP/WebSocket ports,
//                RTP range and data dir, cluster.node_id node1/node2, the shared database URL,
//                Redis URL and sip.nonce_secret
//   Kamailio     deploy/kamailio/kamailio.cfg with the two nodes as its dispatcher set: the
//                address phones register to and call through
//
// Everything listens on 127.0.0.1 on free ports. One line per component with its addresses goes
// to stdout once all are up (the nodes answer /readyz, Kamailio answers OPTIONS), then it waits.
// Ctrl-C (SIGINT) or SIGTERM stops everything it started, by PID, last started first; so does
// --seconds N after N seconds. Logs and data are in a temp dir, removed at the end unless --keep.
//
// Options:
//   --seconds N        stop by itself after N seconds
//   --users a,b        users to add, each with SIP password pw-<user> (default 1001,1002; "" for none)
//   --domain D         sip.domain of the nodes (default localhost)
//   --keep             keep the temp dir (logs, data) after stopping
// Needs Debian's postgresql, redis-server and kamailio packages. Exit code 0 after a clean stop.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findKamailio, KAMAILIO_HOW_TO_GET, sipOptionsPing, writeFrontDoor } from "./front-door.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PARLEY = join(ROOT, "bin", "parley.js");
const HOST = "127.0.0.1";

const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string" },
    users: { type: "string", default: "1001,1002" },
    domain: { type: "string", default: "localhost" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  process.stdout.write(
    "usage: npm run cluster:dev -- [--seconds N] [--users 1001,1002] [--domain localhost] [--keep]\n",
  );
  process.exit(0);
}
const seconds = opts.seconds === undefined ? undefined : Number(opts.seconds);
if (seconds !== undefined && !(seconds > 0)) fail("--seconds takes a positive number");
const users = (opts.users ?? "")
  .split(",")
  .map((u) => u.trim())
  .filter(Boolean);

function fail(message) {
  process.stderr.write(`cluster:dev: ${message}\n`);
  process.exit(1);
}
const note = (message) => process.stderr.write(`cluster:dev: ${message}\n`);

// ---- what must be installed ----------------------------------------------------------------
const kamailioBin = findKamailio();
const missing = [];
if (!existsSync("/usr/lib/postgresql")) missing.push("PostgreSQL (apt-get install postgresql)");
if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0)
  missing.push("Redis (apt-get install redis-server)");
if (!kamailioBin) missing.push(`Kamailio (${KAMAILIO_HOW_TO_GET})`);
if (missing.length > 0) fail(`missing: ${missing.join("; ")}`);

// ---- bookkeeping: everything started is stopped by PID, last first ---------------------------
const dir = mkdtempSync(join(tmpdir(), "parley-cluster-"));
// start-postgres.sh runs the server as the postgres user when we are root: it must reach its dir.
chmodSync(dir, 0o755);
/** @type {Array<{ name: string, stop: () => Promise<void> }>} */
const started = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const component of started.reverse()) {
    try {
      await component.stop();
    } catch (error) {
      note(`stopping ${component.name}: ${error.message}`);
    }
  }
  if (opts.keep) note(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  process.stdout.write("cluster:dev: stopped\n");
  process.exit(code);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Sends `signal` to pid (or its group), waits up to `ms` for it to go, then SIGKILLs it. */
async function killPid(pid, { signal = "SIGTERM", group = false, ms = 10_000 } = {}) {
  const target = group ? -pid : pid;
  try {
    process.kill(target, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // gone
    }
    while (alive(pid)) await sleep(20);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port free for TCP and UDP on 127.0.0.1 right now (SIP listens on both). */
async function freePort({ udp = false } = {}) {
  for (let i = 0; i < 50; i++) {
    const server = net.createServer();
    const port = await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, HOST, () => resolve(server.address().port));
    });
    let ok = true;
    if (udp) {
      const socket = dgram.createSocket("udp4");
      ok = await new Promise((resolve) => {
        socket.once("error", () => resolve(false));
        socket.bind(port, HOST, () => resolve(true));
      });
      await new Promise((resolve) => (ok ? socket.close(resolve) : resolve()));
    }
    await new Promise((resolve) => server.close(resolve));
    if (ok && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error("no free port");
}
const taken = new Set();

/** Runs a scripts/ci/start-*.sh script; returns its last stdout line (the URL). */
function runStartScript(script, env) {
  const result = spawnSync("bash", [join(ROOT, "scripts", "ci", script)], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
  const url = result.stdout.trim().split("\n").pop();
  if (!url) throw new Error(`${script} printed no URL:\n${result.stderr}`);
  return url;
}

// ---- PostgreSQL --------------------------------------------------------------------------------
async function startPostgres() {
  const base = join(dir, "postgres");
  const port = await freePort();
  const url = runStartScript("start-postgres.sh", {
    PARLEY_CI_PG_DIR: base,
    PARLEY_CI_PG_PORT: String(port),
  });
  const pid = Number(readFileSync(join(base, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, nothing is kept waiting.
  started.push({ name: "postgres", stop: () => killPid(pid, { signal: "SIGINT", ms: 15_000 }) });
  return { url, pid };
}

// ---- Redis ------------------------------------------------------------------------------------
async function startRedis() {
  const base = join(dir, "redis");
  const port = await freePort();
  const url = runStartScript("start-redis.sh", {
    PARLEY_CI_REDIS_DIR: base,
    PARLEY_CI_REDIS_PORT: String(port),
  });
  const pid = Number(readFileSync(join(base, "redis.pid"), "utf8").trim());
  started.push({ name: "redis", stop: () => killPid(pid) });
  return { url, pid };
}

// ---- Parley nodes -----------------------------------------------------------------------------
function parleyEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("PARLEY_")) env[key] = value;
  return { ...env, PARLEY_LOG_FORMAT: "json", ...extra };
}

async function nodeSettings(id, index, shared) {
  const sipPort = await freePort({ udp: true });
  const httpPort = await freePort();
  const dataDir = join(dir, id);
  mkdirSync(dataDir, { recursive: true });
  const rtpMin = 30_000 + index * 1000;
  return {
    id,
    sipPort,
    httpPort,
    dataDir,
    log: join(dir, `${id}.log`),
    env: parleyEnv({
      PARLEY_DATA_DIR: dataDir,
      PARLEY_DATABASE_URL: shared.database,
      PARLEY_CLUSTER_REDIS: shared.redis,
      PARLEY_CLUSTER_NODE_ID: id,
      PARLEY_SIP_NONCE_SECRET: shared.nonceSecret,
      PARLEY_SIP_DOMAIN: shared.domain,
      PARLEY_SIP_HOST: HOST,
      PARLEY_SIP_ADVERTISED_ADDRESS: HOST,
      PARLEY_SIP_PORT: String(sipPort),
      PARLEY_SIP_WS_PORT: String(await freePort()),
      PARLEY_HTTP_HOST: HOST,
      PARLEY_HTTP_PORT: String(httpPort),
      PARLEY_IMAP_HOST: HOST,
      PARLEY_IMAP_PORT: String(await freePort()),
      PARLEY_SMTP_HOST: HOST,
      PARLEY_SMTP_PORT: String(await freePort()),
      PARLEY_MEDIA_ADDRESS: HOST,
      PARLEY_MEDIA_RTP_PORT_MIN: String(rtpMin),
      PARLEY_MEDIA_RTP_PORT_MAX: String(rtpMin + 999),
    }),
    rtp: `${rtpMin}-${rtpMin + 999}`,
  };
}

async function startNode(settings) {
  const logFd = openSync(settings.log, "a");
  const child = spawn(process.execPath, [PARLEY, "serve"], {
    cwd: settings.dataDir,
    env: settings.env,
    stdio: ["ignore", logFd, logFd],
    detached: true, // its own process group: stopped as a whole
  });
  const pid = child.pid;
  // SIGTERM: the node's graceful shutdown (shutdown_timeout), then SIGKILL.
  started.push({ name: settings.id, stop: () => killPid(pid, { group: true, ms: 15_000 }) });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${settings.id} exited (${child.exitCode}); log: ${settings.log}`);
    try {
      const response = await fetch(`http://${HOST}:${settings.httpPort}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${settings.id} not ready after 60 s; log: ${settings.log}`);
    await sleep(100);
  }
  return pid;
}

function addUsers(settings) {
  for (const user of users) {
    const result = spawnSync(process.execPath, [PARLEY, "user", "add", user, "--password", `pw-${user}`], {
      cwd: settings.dataDir,
      env: settings.env,
      encoding: "utf8",
    });
    if (result.status !== 0 && !/exists/i.test(`${result.stdout}${result.stderr}`))
      throw new Error(`parley user add ${user}: ${result.stderr || result.stdout}`);
  }
}

// ---- Kamailio ---------------------------------------------------------------------------------
async function startKamailio(nodes) {
  const port = await freePort({ udp: true });
  const runDir = join(dir, "kamailio");
  const files = writeFrontDoor({
    dir: runDir,
    port,
    nodes: nodes.map((n) => ({ address: HOST, port: n.sipPort, id: n.id })),
    probeIntervalSeconds: 2,
    nodeTimeoutMs: 2000,
    children: 2,
    kamailio: kamailioBin.kamailio,
  });
  const log = join(dir, "kamailio.log");
  const logFd = openSync(log, "a");
  const [file, ...args] = files.command;
  const child = spawn(file, args, { cwd: runDir, stdio: ["ignore", logFd, logFd], detached: true });
  const pid = child.pid;
  // Kamailio forks its workers into its process group: the group goes together.
  started.push({ name: "kamailio", stop: () => killPid(pid, { group: true }) });
  const status = await sipOptionsPing(HOST, port, {
    timeoutMs: 15_000,
    stillRunning: () => child.exitCode === null,
  });
  if (status !== 200) throw new Error(`kamailio did not answer OPTIONS on ${HOST}:${port}; log: ${log}`);
  return { port, pid, log, ctl: files.ctl };
}

// ---- main -------------------------------------------------------------------------------------
async function main() {
  const line = (name, text) => process.stdout.write(`${name.padEnd(9)} ${text}\n`);
  const pg = await startPostgres();
  const redis = await startRedis();
  const shared = {
    database: pg.url,
    redis: redis.url,
    nonceSecret: randomBytes(24).toString("hex"),
    domain: opts.domain,
  };
  const nodes = [await nodeSettings("node1", 0, shared), await nodeSettings("node2", 1, shared)];
  // One after the other: the first start migrates the shared database.
  const pids = [];
  for (const node of nodes) {
    pids.push(await startNode(node));
    if (node === nodes[0]) addUsers(node);
  }
  const kamailio = await startKamailio(nodes);

  line("postgres", `${pg.url}  (pid ${pg.pid})`);
  line("redis", `${redis.url}  (pid ${redis.pid})`);
  nodes.forEach((node, i) => {
    line(
      node.id,
      `sip udp/tcp ${HOST}:${node.sipPort}  http http://${HOST}:${node.httpPort}  rtp ${node.rtp}  (pid ${pids[i]}, log ${node.log})`,
    );
  });
  line(
    "kamailio",
    `sip udp/tcp ${HOST}:${kamailio.port}  <- phones register and call here  (pid ${kamailio.pid}, log ${kamailio.log}, kamcmd -s unix:${kamailio.ctl} dispatcher.list)`,
  );
  if (users.length > 0)
    line("users", `${users.map((u) => `${u}@${opts.domain} (password pw-${u})`).join(", ")}`);
  process.stdout.write(
    `cluster:dev: up; ${seconds === undefined ? "Ctrl-C stops it" : `stops in ${seconds} s (or Ctrl-C)`}\n`,
  );
  if (seconds !== undefined) setTimeout(() => stopAll(0), seconds * 1000);
  // Otherwise the signal handlers end the process.
  setInterval(() => {}, 1 << 30);
}

main().catch(async (error) => {
  note(error.message);
  await stopAll(1);
});
