/**
 * Redis for tests.
 *
 * freshRedis(t): the shared test server named by PARLEY_TEST_REDIS_URL
 * (scripts/ci/start-redis.sh starts one and prints the URL), with a key prefix of this test's own,
 * so tests running in parallel never see each other's keys. Without the variable the test is
 * skipped (fails in CI) through missingPeer.
 *
 * startRedis(t): a private redis-server process on a free loopback port, for tests that must
 * kill, stop or restart Redis under a running node. Killed by PID when the test ends.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { TestContext } from "node:test";
import { Redis } from "ioredis";
import { missingPeer } from "./peers.ts";

/** How to get a Redis for tests, for missingPeer() messages. */
export const REDIS_HOW_TO_GET =
  "set PARLEY_TEST_REDIS_URL (source scripts/ci/start-redis.sh starts a local throwaway server; apt-get install redis-server)";

export interface TestRedis {
  /** redis://127.0.0.1:<port> of the shared test server. */
  url: string;
  /**
   * This test's key prefix, e.g. "parley-test:3f9c0a1b2c4d:" (letters, digits and ":" only: a
   * valid cluster.key_prefix). Every key and channel the test makes should start with it.
   */
  prefix: string;
  /** Deletes every key under the prefix (also run when the test ends); safe to call twice. */
  flush(): Promise<void>;
  /** The keys under the prefix now, sorted (for assertions about what was stored). */
  keys(): Promise<string[]>;
}

/**
 * The shared test Redis with a fresh key prefix for this test, or undefined after missingPeer
 * when PARLEY_TEST_REDIS_URL is not set. Rejects when the server does not answer PING.
 */
export async function freshRedis(t: TestContext): Promise<TestRedis | undefined> {
  const url = process.env.PARLEY_TEST_REDIS_URL;
  if (!url) {
    missingPeer(t, "Redis", REDIS_HOW_TO_GET);
    return undefined;
  }
  const prefix = `parley-test:${randomBytes(6).toString("hex")}:`;
  const withClient = async <T>(use: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    client.on("error", () => {}); // reported through the rejected command instead
    try {
      await client.connect();
      return await use(client);
    } finally {
      client.disconnect();
    }
  };
  const keys = () =>
    withClient(async (client) => {
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        found.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      return [...new Set(found)].sort();
    });
  const flush = async () => {
    const found = await keys();
    if (found.length === 0) return;
    await withClient(async (client) => {
      for (let i = 0; i < found.length; i += 500) await client.unlink(...found.slice(i, i + 500));
    });
  };
  try {
    await withClient((client) => client.ping());
  } catch (error) {
    throw new Error(`PARLEY_TEST_REDIS_URL=${url} does not answer PING: ${(error as Error).message}`);
  }
  t.after(() => flush());
  return { url, prefix, flush, keys };
}

export interface PrivateRedis {
  /** redis://127.0.0.1:<port>; stays the same across restart(). */
  url: string;
  port: number;
  /** PID of the running server (changes on restart), undefined while it is down. */
  readonly pid: number | undefined;
  /** SIGKILL: Redis disappears at once, as in a crash (nothing is saved anyway). */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence) and waits for PING. */
  restart(): Promise<void>;
}

/** redis-server on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin"]) {
    if (!dir) continue;
    const file = join(dir, "redis-server");
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * A private redis-server on a free 127.0.0.1 port, no persistence, its own temp dir; killed by
 * PID when the test ends. Undefined after missingPeer when redis-server is not installed.
 */
export async function startRedis(t: TestContext): Promise<PrivateRedis | undefined> {
  const binary = findRedisServer();
  if (!binary) {
    missingPeer(t, "redis-server", "apt-get install redis-server (Debian)");
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "parley-redis-"));
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let output = "";

  const launch = async (port: number): Promise<boolean> => {
    output = "";
    const started = spawn(
      binary,
      [
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = started;
    exited = once(started, "exit");
    started.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null || started.signalCode !== null) return false;
      if (await ping(port)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  };

  const signal = async (name: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null || running.pid === undefined)
      return;
    try {
      process.kill(running.pid, name);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      if (running.pid !== undefined && running.exitCode === null) {
        try {
          process.kill(running.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };

  t.after(async () => {
    await signal("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  let port = 0;
  for (let attempt = 0; attempt < 5 && port === 0; attempt++) {
    const candidate = await freeTcpPort();
    if (await launch(candidate)) port = candidate;
    else await signal("SIGKILL");
  }
  if (port === 0) throw new Error(`redis-server did not start:\n${output.slice(-2000)}`);

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    kill: () => signal("SIGKILL"),
    stop: () => signal("SIGTERM"),
    async restart() {
      await signal("SIGKILL");
      if (!(await launch(port)))
        throw new Error(`redis-server did not restart on ${port}:\n${output.slice(-2000)}`);
    },
  };
}

/** True when 127.0.0.1:port answers PING with +PONG (raw RESP, no client library). */
async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes("\r\n")) done(data.startsWith("+PONG"));
    });
  });
}

async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
