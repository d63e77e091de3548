/**
 * Kamailio as the front door of several Parley nodes, for tests: deploy/kamailio/kamailio.cfg
 * with its site settings filled in (scripts/front-door.mjs), the nodes as dispatcher set 1,
 * listening on a free loopback port (UDP and TCP), in its own temp dir, killed by PID when the
 * test ends. Skips (fails in CI) through missingPeer when kamailio or kamcmd is not installed.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";
import {
  type FrontDoorNode,
  findKamailio,
  KAMAILIO_HOW_TO_GET,
  sipOptionsPing,
  writeFrontDoor,
} from "../../scripts/front-door.mjs";
import { missingPeer } from "./peers.ts";
import { freePort } from "./sipp.ts";

export type { FrontDoorNode };
export { KAMAILIO_HOW_TO_GET };

const execFileAsync = promisify(execFile);

export interface KamailioOptions {
  /** The Parley nodes, dispatcher set 1 in this order (address and SIP UDP port of each). */
  nodes: FrontDoorNode[];
  /** Seconds between OPTIONS probes to each node (default 1). */
  probeIntervalSeconds?: number;
  /** Milliseconds a node has to answer before failover and before a probe counts as lost (default 1000). */
  nodeTimeoutMs?: number;
}

/** One destination of `kamcmd dispatcher.list`. */
export interface KamailioDestination {
  uri: string;
  /** Two letters: state (A active, I inactive, T trying, D disabled) and P (probing) or X. */
  flags: string;
  active: boolean;
  duid?: string;
}

export interface Kamailio {
  address: string;
  port: number;
  /** "address:port", the target for SIPp and phones. */
  target: string;
  pid: number;
  /** Temp dir with kamailio.cfg, dispatcher.list and the ctl socket. */
  dir: string;
  /** Everything Kamailio wrote to stdout and stderr so far. */
  log(): string;
  /** Waits until the log matches `pattern` (after `from` characters); rejects on timeout or exit. */
  waitForLog(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<RegExpMatchArray>;
  /** Runs one kamcmd command over the ctl socket, e.g. rpc("dispatcher.list"). */
  rpc(...args: string[]): Promise<string>;
  /** The dispatcher's set 1 as it is now. */
  destinations(): Promise<KamailioDestination[]>;
  /** Polls destinations() until `predicate` holds; rejects after `timeoutMs` with the last list. */
  waitForDestinations(
    predicate: (destinations: KamailioDestination[]) => boolean,
    timeoutMs?: number,
  ): Promise<KamailioDestination[]>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process group is gone. */
  stop(): Promise<void>;
}

/** Parses `kamcmd dispatcher.list` output into set 1's destinations. */
export function parseDispatcherList(text: string): KamailioDestination[] {
  const out: KamailioDestination[] = [];
  for (const block of text.split(/\bDEST:\s*\{/).slice(1)) {
    const uri = /URI:\s*(\S+)/.exec(block)?.[1];
    const flags = /FLAGS:\s*(\S+)/.exec(block)?.[1];
    if (!uri || !flags) continue;
    const duid = /DUID:\s*(\S+)/.exec(block)?.[1];
    out.push({ uri, flags, active: flags.startsWith("A"), ...(duid && duid !== "}" ? { duid } : {}) });
  }
  return out;
}

/**
 * Starts Kamailio in front of `nodes` and waits until it answers OPTIONS. Returns undefined after
 * missingPeer when Kamailio is not installed.
 */
export async function startKamailio(t: TestContext, options: KamailioOptions): Promise<Kamailio | undefined> {
  const found = findKamailio();
  if (!found) {
    missingPeer(t, "Kamailio", KAMAILIO_HOW_TO_GET);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "parley-kamailio-"));
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort("127.0.0.1", true);
    const files = writeFrontDoor({
      dir,
      port,
      nodes: options.nodes,
      probeIntervalSeconds: options.probeIntervalSeconds ?? 1,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 1000,
      children: 2,
      kamailio: found.kamailio,
    });
    const [file, ...args] = files.command;
    const child = spawn(file, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 4_000_000) output = output.slice(-2_000_000);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const exited = once(child, "exit").then(() => undefined);
    const running = () => child.exitCode === null && child.signalCode === null;
    const stop = () => stopGroup(child, exited);
    t.after(async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const status = await sipOptionsPing("127.0.0.1", port, { timeoutMs: 15_000, stillRunning: running });
    if (status === 200) {
      const handle = makeHandle({
        child,
        dir,
        port,
        ctl: files.ctl,
        kamcmd: found.kamcmd,
        stop,
        log: () => output,
      });
      return handle;
    }
    await stop();
    lastError = output.slice(-3000);
    // Someone took the port between freePort() and Kamailio's bind: try another one.
    if (!/bind|Address already in use/i.test(output)) break;
  }
  throw new Error(`kamailio did not answer OPTIONS:\n${lastError}`);
}

function makeHandle(o: {
  child: ChildProcess;
  dir: string;
  port: number;
  ctl: string;
  kamcmd: string;
  stop: () => Promise<void>;
  log: () => string;
}): Kamailio {
  const rpc = async (...args: string[]) => {
    const { stdout } = await execFileAsync(o.kamcmd, ["-s", `unix:${o.ctl}`, ...args], { timeout: 5000 });
    return stdout;
  };
  const destinations = async () => parseDispatcherList(await rpc("dispatcher.list"));
  return {
    address: "127.0.0.1",
    port: o.port,
    target: `127.0.0.1:${o.port}`,
    pid: o.child.pid ?? -1,
    dir: o.dir,
    log: o.log,
    rpc,
    destinations,
    async waitForLog(pattern, { timeoutMs = 10_000, from = 0 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = o.log().slice(from).match(pattern);
        if (match) return match;
        if (o.child.exitCode !== null || o.child.signalCode !== null)
          throw new Error(`kamailio exited while waiting for ${pattern}:\n${o.log().slice(-3000)}`);
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern} in kamailio's log:\n${o.log().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async waitForDestinations(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: KamailioDestination[] = [];
      for (;;) {
        last = await destinations();
        if (predicate(last)) return last;
        if (Date.now() > deadline)
          throw new Error(`dispatcher state not reached in ${timeoutMs} ms: ${JSON.stringify(last)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    stop: o.stop,
  };
}

/** Signals the process group (Kamailio forks its workers) and waits for the main process. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  // Workers that outlived the main process (they should not) go too.
  signal("SIGKILL");
}
