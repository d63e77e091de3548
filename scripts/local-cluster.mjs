// The parts of a Parley cluster on loopback, for the programs that run one themselves
// (scripts/cluster-dev.mjs, bench/cluster/run.mjs): a private PostgreSQL and Redis
// (scripts/ci/start-*.sh in a temp dir), Parley nodes (`node bin/parley.js serve` with their own
// ports, data dir and RTP range on the shared database, Redis and nonce secret) and Kamailio in
// front (scripts/front-door.mjs). Everything listens on 127.0.0.1 on free ports; everything
// started is stopped by PID, last started first. Plain Node ESM, no dependencies.
import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sipOptionsPing, writeFrontDoor } from "./front-door.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const PARLEY = join(ROOT, "bin", "parley.js");
export const HOST = "127.0.0.1";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** True when PostgreSQL's server binaries (initdb, pg_ctl: Debian's postgresql package) are installed. */
export function havePostgres() {
  const base = "/usr/lib/postgresql";
  return existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, "bin", "initdb")));
}

/** True when `name` is a command on PATH. */
export function haveCommand(name) {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", name]).status === 0;
}

/** True when redis-server is on PATH. */
export function haveRedis() {
  return haveCommand("redis-server");
}

/** Sends `signal` to pid (or its group), waits up to `ms` for it to go, then SIGKILLs it. */
export async function killPid(pid, { signal = "SIGTERM", group = false, ms = 10_000 } = {}) {
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

/** Every environment variable but PARLEY_*, plus JSON logs and `extra`. */
export function parleyEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("PARLEY_")) env[key] = value;
  return { ...env, PARLEY_LOG_FORMAT: "json", ...extra };
}

/**
 * A cluster's components in `dir` (a temp dir the caller made and removes). `started` lists what
 * runs, in start order, each `{ name, pid, stop }`; a component's stop() also takes it off the
 * list, and stopAll() stops what is left, last started first.
 */
export function createLocalCluster({ dir }) {
  /** @type {Array<{ name: string, pid: number, stop: () => Promise<void> }>} */
  const started = [];
  const taken = new Set();

  function track(name, pid, stopIt) {
    const component = {
      name,
      pid,
      async stop() {
        const i = started.indexOf(component);
        if (i >= 0) started.splice(i, 1);
        await stopIt();
      },
    };
    started.push(component);
    return component;
  }

  async function stopAll(onError = () => {}) {
    for (const component of [...started].reverse()) {
      try {
        await component.stop();
      } catch (error) {
        onError(component, error);
      }
    }
  }

  /** A port free for TCP (and UDP, with `udp`) on 127.0.0.1 right now, never handed out twice. */
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

  async function startPostgres() {
    const base = join(dir, "postgres");
    const port = await freePort();
    const url = runStartScript("start-postgres.sh", {
      PARLEY_CI_PG_DIR: base,
      PARLEY_CI_PG_PORT: String(port),
    });
    const pid = Number(readFileSync(join(base, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, nothing is kept waiting.
    track("postgres", pid, () => killPid(pid, { signal: "SIGINT", ms: 15_000 }));
    return { url, pid };
  }

  async function startRedis() {
    const base = join(dir, "redis");
    const port = await freePort();
    const url = runStartScript("start-redis.sh", {
      PARLEY_CI_REDIS_DIR: base,
      PARLEY_CI_REDIS_PORT: String(port),
    });
    const pid = Number(readFileSync(join(base, "redis.pid"), "utf8").trim());
    track("redis", pid, () => killPid(pid));
    return { url, pid, port };
  }

  /**
   * Ports, data dir and environment of node `id`: shared = { database, redis, nonceSecret,
   * domain }; its RTP range is `rtp` (default 1000 ports from 30000 + index × 1000); `env` adds
   * or overrides PARLEY_* variables (log level, call waiting …).
   */
  async function nodeSettings(id, index, shared, { rtp, env = {} } = {}) {
    const sipPort = await freePort({ udp: true });
    const httpPort = await freePort();
    const dataDir = join(dir, id);
    mkdirSync(dataDir, { recursive: true });
    const rtpMin = rtp?.min ?? 30_000 + index * 1000;
    const rtpMax = rtp?.max ?? rtpMin + 999;
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
        PARLEY_MEDIA_RTP_PORT_MAX: String(rtpMax),
        ...env,
      }),
      rtp: `${rtpMin}-${rtpMax}`,
    };
  }

  /** Starts a node (its own process group) and waits until it answers /readyz; returns its PID and stop(). */
  async function startNode(settings, { nodeArgs = [] } = {}) {
    const logFd = openSync(settings.log, "a");
    const child = spawn(process.execPath, [...nodeArgs, PARLEY, "serve"], {
      cwd: settings.dataDir,
      env: settings.env,
      stdio: ["ignore", logFd, logFd],
      detached: true, // its own process group: stopped as a whole
    });
    const pid = child.pid;
    // SIGTERM: the node's graceful shutdown (shutdown_timeout), then SIGKILL.
    const component = track(settings.id, pid, () => killPid(pid, { group: true, ms: 15_000 }));
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
    return { pid, stop: component.stop };
  }

  /**
   * Starts Kamailio (deploy/kamailio/kamailio.cfg through writeFrontDoor) with `nodes` as its
   * dispatcher set, in `name`'s own run dir, and waits until it answers OPTIONS. Memory sizes
   * (MB) default to writeFrontDoor's.
   */
  async function startKamailio(
    nodes,
    { kamailio, children = 2, port, name = "kamailio", sharedMemoryMb, privateMemoryMb },
  ) {
    const listenPort = port ?? (await freePort({ udp: true }));
    const runDir = join(dir, name);
    const files = writeFrontDoor({
      dir: runDir,
      port: listenPort,
      nodes: nodes.map((n) => ({ address: HOST, port: n.sipPort, id: n.id })),
      probeIntervalSeconds: 2,
      nodeTimeoutMs: 2000,
      children,
      kamailio,
      sharedMemoryMb,
      privateMemoryMb,
    });
    const log = join(dir, `${name}.log`);
    const logFd = openSync(log, "a");
    const [file, ...args] = files.command;
    const child = spawn(file, args, { cwd: runDir, stdio: ["ignore", logFd, logFd], detached: true });
    const pid = child.pid;
    // Kamailio forks its workers into its process group: the group goes together.
    const component = track(name, pid, () => killPid(pid, { group: true }));
    const status = await sipOptionsPing(HOST, listenPort, {
      timeoutMs: 15_000,
      stillRunning: () => child.exitCode === null,
    });
    if (status !== 200)
      throw new Error(`kamailio did not answer OPTIONS on ${HOST}:${listenPort}; log: ${log}`);
    return { port: listenPort, pid, log, ctl: files.ctl, stop: component.stop };
  }

  return { started, stopAll, freePort, startPostgres, startRedis, nodeSettings, startNode, startKamailio };
}
