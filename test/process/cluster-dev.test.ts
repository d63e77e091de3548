/**
 * `npm run cluster:dev`: PostgreSQL, Redis, two Parley nodes and Kamailio on loopback, one line
 * each, all gone after it stops (by --seconds, or by Ctrl-C).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { type TestContext, test } from "node:test";
import pg from "pg";
import { findKamailio, KAMAILIO_HOW_TO_GET, sipOptionsPing } from "../../scripts/front-door.mjs";
import { REPO_ROOT } from "../support/parley-process.ts";
import { missingPeer } from "../support/peers.ts";
import { findRedisServer } from "../support/redis.ts";
import { describeSippResult, findSipp, runSipp, writeUsersCsv } from "../support/sipp.ts";

const COMPONENTS = ["postgres", "redis", "node1", "node2", "kamailio"] as const;

function hasPostgres(): boolean {
  if (!existsSync("/usr/lib/postgresql")) return false;
  return readdirSync("/usr/lib/postgresql").some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
}

/** Skips (fails in CI) unless PostgreSQL, Redis and Kamailio are installed. */
function peersMissing(t: TestContext): boolean {
  if (!hasPostgres()) {
    missingPeer(t, "PostgreSQL", "apt-get install postgresql (Debian)");
    return true;
  }
  if (!findRedisServer()) {
    missingPeer(t, "Redis", "apt-get install redis-server (Debian)");
    return true;
  }
  if (!findKamailio()) {
    missingPeer(t, "Kamailio", KAMAILIO_HOW_TO_GET);
    return true;
  }
  return false;
}

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves with the component lines once "up" is printed; rejects if it exits first. */
  up: Promise<Map<string, string>>;
}

/**
 * Starts cluster:dev in its own process group: through npm (the script wiring), or as
 * `node scripts/cluster-dev.mjs` (npm re-raises a SIGINT its child handled, hiding the exit code).
 */
function startClusterDev(t: TestContext, args: string[], { viaNpm = true } = {}): Run {
  const [file, ...argv] = viaNpm
    ? ["npm", "run", "--silent", "cluster:dev", "--", ...args]
    : [process.execPath, "scripts/cluster-dev.mjs", ...args];
  const child = spawn(file, argv, {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const output = () => `${stdout}\n--- stderr ---\n${stderr}`;
  const up = new Promise<Map<string, string>>((resolve, reject) => {
    const check = () => {
      if (!/^cluster:dev: up/m.test(stdout)) return;
      const lines = new Map<string, string>();
      for (const line of stdout.split("\n")) {
        const [name, ...rest] = line.split(/\s+/);
        if (name) lines.set(name, rest.join(" "));
      }
      resolve(lines);
    };
    child.stdout?.on("data", check);
    void exited.then(() => reject(new Error(`cluster:dev exited before it was up:\n${output()}`)));
  });
  up.catch(() => {});
  t.after(async () => {
    // A test that failed half-way: Ctrl-C to the script (it stops what it started), then force.
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    process.kill(-child.pid, "SIGINT");
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, 30_000);
    await exited;
    clearTimeout(timer);
  });
  return { child, output, exited, up };
}

function pidOf(line: string | undefined): number {
  const pid = Number(/\(pid (\d+)/.exec(line ?? "")?.[1]);
  assert.ok(pid > 0, `a pid in ${JSON.stringify(line)}`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every component answers on the address its line gives. */
async function checkComponents(lines: Map<string, string>, t: TestContext): Promise<void> {
  const postgres = /(postgres:\/\/\S+)/.exec(lines.get("postgres") ?? "")?.[1];
  assert.ok(postgres, "the postgres line has a URL");
  const client = new pg.Client({ connectionString: postgres });
  await client.connect();
  const users = await client.query("select count(*)::int as n from users");
  await client.end();
  assert.equal(users.rows[0]?.n, 2, "the default users 1001 and 1002 are in the shared database");

  const redis = /redis:\/\/127\.0\.0\.1:(\d+)/.exec(lines.get("redis") ?? "")?.[1];
  assert.ok(redis, "the redis line has a URL");

  for (const id of ["node1", "node2"]) {
    const http = /http (http:\/\/\S+)/.exec(lines.get(id) ?? "")?.[1];
    assert.ok(http, `${id} has an HTTP address`);
    const ready = await fetch(`${http}/readyz`);
    assert.equal(ready.status, 200, `${id} is ready`);
  }

  const kamailio = /sip udp\/tcp 127\.0\.0\.1:(\d+)/.exec(lines.get("kamailio") ?? "")?.[1];
  assert.ok(kamailio, "the kamailio line has a SIP address");
  assert.equal(await sipOptionsPing("127.0.0.1", Number(kamailio), { timeoutMs: 5000 }), 200);
  if (findSipp()) {
    const result = await runSipp({
      scenario: "register-digest",
      target: `127.0.0.1:${kamailio}`,
      injection: writeUsersCsv([{ user: "1001", password: "pw-1001", domain: "localhost" }]),
      authUri: "localhost",
      timeoutSeconds: 10,
    });
    assert.equal(result.code, 0, `1001 registers through Kamailio: ${describeSippResult(result)}`);
  } else {
    t.diagnostic("sipp not installed: no REGISTER through the cluster");
  }
}

test("npm run cluster:dev -- --seconds N starts PostgreSQL, Redis, two nodes and Kamailio, prints one line each, and leaves no process behind", async (t) => {
  if (peersMissing(t)) return;
  const run = startClusterDev(t, ["--seconds", "12"]);
  const lines = await run.up;
  for (const name of COMPONENTS) assert.ok(lines.has(name), `a line for ${name}:\n${run.output()}`);
  const pids = COMPONENTS.map((name) => pidOf(lines.get(name)));
  assert.match(
    lines.get("node1") ?? "",
    /sip udp\/tcp 127\.0\.0\.1:\d+ +http http:\/\/127\.0\.0\.1:\d+ +rtp \d+-\d+/,
  );
  assert.notEqual(lines.get("node1")?.split(" ")[2], lines.get("node2")?.split(" ")[2], "own SIP ports");
  await checkComponents(lines, t);

  const [code, signal] = await run.exited;
  assert.equal(code, 0, run.output());
  assert.equal(signal, null);
  assert.match(run.output(), /^cluster:dev: stopped$/m);
  for (const [i, pid] of pids.entries()) assert.ok(!alive(pid), `${COMPONENTS[i]} (pid ${pid}) is gone`);
});

test("Ctrl-C stops a running cluster:dev and everything it started", async (t) => {
  if (peersMissing(t)) return;
  const run = startClusterDev(t, ["--seconds", "600", "--users", ""], { viaNpm: false });
  const lines = await run.up;
  assert.ok(!lines.has("users"), "no users line with --users ''");
  const pids = COMPONENTS.map((name) => pidOf(lines.get(name)));
  const started = Date.now();
  // Ctrl-C in a terminal reaches the whole foreground process group.
  if (run.child.pid !== undefined) process.kill(-run.child.pid, "SIGINT");
  const [code] = await run.exited;
  assert.equal(code, 0, run.output());
  assert.match(run.output(), /^cluster:dev: stopped$/m);
  assert.ok(Date.now() - started < 30_000, "stopped promptly");
  for (const [i, pid] of pids.entries()) assert.ok(!alive(pid), `${COMPONENTS[i]} (pid ${pid}) is gone`);
});
