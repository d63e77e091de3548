/**
 * SIPp (Debian package `sip-tester`, SIPp 3.6.1 on Debian 12) driven from tests.
 *
 * Scenarios live in test/fixtures/sipp/ (see each file's header). runSipp() runs one scenario in
 * the foreground against a server on this machine, in a temp dir, and returns its output and the
 * final statistics; it never leaves a sipp process behind (killed by PID when it overruns).
 *
 * SIPp facts this helper is built around (all checked against SIPp 3.6.1):
 * - Local port: without -p (and with -p 0, which SIPp treats as "not given") SIPp binds the first
 *   free port of 5060..5119 and only then an ephemeral one, so parallel tests would land on 5060,
 *   5061 … This helper always passes an explicit free port: it binds port 0 with node:dgram (and
 *   node:net for TCP), reads the port, closes, hands it to sipp with -p, and retries with a new
 *   port when sipp exits 254 "Unable to bind main socket" (someone took it in between).
 * - -bind_local binds to the -i address (127.0.0.1 by default here), -ci keeps the UDP control
 *   socket (first free of 8888…8947, IPv4 only, only a warning if none) on loopback.
 * - -timeout without -timeout_error only stops new calls and then waits for calls in progress
 *   (up to ~32 s of UDP retransmissions); with -timeout_error (always passed) sipp stops at the
 *   deadline and exits 255, unfinished calls show as `incomplete` in the stats.
 * - Transports: u1 (UDP, one socket) and t1 (TCP, one connection) work. l1 (TLS) is NOT built
 *   into Debian's sip-tester ("To use a TLS transport you must compile SIPp with OpenSSL",
 *   exit 1).
 * - Digest: MD5 (and AKAv1-MD5) only; a challenge with algorithm=SHA-256 answered through
 *   [authentication] aborts the whole process (exit 255). SIPp answers the FIRST
 *   WWW-Authenticate header. See test/fixtures/sipp/register-digest-sha256.xml.
 * - The digest uri SIPp puts in Authorization is "sip:<target host>:<port>", not the
 *   Request-URI; pass `authUri` (e.g. the domain, giving uri="sip:parley.test") for a registrar
 *   that checks it against the Request-URI (sip:[field2] in our scenarios).
 *
 * SIPp exit codes (sipp -h):
 *     0  all calls succeeded
 *     1  at least one call failed (also: some fatal option errors, e.g. -t l1 without TLS)
 *    97  exit on internal command (<exec int_cmd="stop_now"/> …); calls may have been processed
 *    99  normal exit without any call processed
 *   255  (-1) fatal error: bad scenario/arguments, unsupported digest algorithm, or the
 *        -timeout deadline hit (with -timeout_error, as here)
 *   254  (-2) fatal error binding a socket (retried here with another port)
 *   null the process was killed (signal): our own hard deadline passed
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import dgram from "node:dgram";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Folder of the SIPp scenario files. */
export const SIPP_SCENARIO_DIR = fileURLToPath(new URL("../fixtures/sipp/", import.meta.url));

/** How to get SIPp, for missingPeer() messages. */
export const SIPP_HOW_TO_GET = "apt-get install sip-tester (Debian), or put `sipp` on PATH";

export type SippTransport = "u1" | "t1" | "l1";

export interface SippUser {
  user: string;
  password: string;
  domain: string;
}

export interface SippOptions {
  /** A scenario name in test/fixtures/sipp ("register-digest" or "register-digest.xml") or a path. */
  scenario: string;
  /** host:port of the server under test, e.g. "127.0.0.1:5090" or "[::1]:5090". */
  target: string;
  /** u1 = UDP (default), t1 = TCP; l1 = TLS is not available in Debian's SIPp build. */
  transport?: SippTransport;
  /** Injection CSV (writeUsersCsv), fields user;password;domain. */
  injection?: string;
  /** Calls to run, -m (default 1). */
  calls?: number;
  /** New calls per second, -r (default 10). */
  rate?: number;
  /** SIPp's own deadline, -timeout … -timeout_error (default 30 s). */
  timeoutSeconds?: number;
  /** Local address for sockets, Via and Contact (default: 127.0.0.1, or ::1 for an IPv6 target). */
  localIp?: string;
  /** Global scenario variables, -set NAME VALUE (e.g. { attempts: "8" } for register-wrong-password). */
  set?: Record<string, string>;
  /** -auth_uri: the digest uri becomes "sip:<authUri>" instead of "sip:<target>". */
  authUri?: string;
  /** Keep the message trace (-trace_msg) in the result; default: on when calls <= 50. */
  traceMessages?: boolean;
  /** Keep the temp dir (its path is in the result) instead of removing it. */
  keepDir?: boolean;
  /** Local SIP port to bind (default: a free one picked here, with retries). */
  port?: number;
  /** More sipp arguments, appended last. */
  extraArgs?: string[];
}

export interface SippStats {
  /** SuccessfulCall(C): calls that reached the end of the scenario. */
  successful: number;
  /** FailedCall(C): calls that failed (unexpected message, regexp check, retransmission timeout…). */
  failed: number;
  /** TotalCallCreated. */
  created: number;
  /** CurrentCall at exit: calls still running when sipp stopped (the -timeout deadline). */
  incomplete: number;
  /** Retransmissions(C). */
  retransmissions: number;
  /** Every column of the last -trace_stat row, by SIPp's name ("FailedRegexpDoesntMatch(C)" …). */
  raw: Record<string, string>;
}

export interface SippResult {
  /** sipp's exit code (see the table above); null when it was killed. */
  code: number | null;
  /** The final screens (SIPp prints its statistics screen to stdout). */
  stdout: string;
  stderr: string;
  /** From the -trace_stat file; undefined when sipp stopped before writing one (fatal error). */
  stats?: SippStats;
  /** <log> lines of the scenario (-trace_logs). */
  logs: string;
  /** Unexpected messages and other call errors (-trace_err). */
  errors: string;
  /** Sent and received SIP messages (-trace_msg), "" when not traced. */
  messages: string;
  /** The local port sipp used. */
  localPort: number;
  /** The full command line, for failure messages. */
  command: string[];
  /** True when our hard deadline (timeoutSeconds + 15 s) killed sipp. */
  killed: boolean;
  /** The temp dir (removed unless keepDir). */
  dir: string;
}

/** The sipp executable on PATH (or $SIPP), or undefined. */
export function findSipp(): string | undefined {
  const candidates: string[] = [];
  if (process.env.SIPP) candidates.push(process.env.SIPP);
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir) candidates.push(join(dir, "sipp"));
  }
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** Absolute path of a scenario: a bare name resolves in test/fixtures/sipp. */
export function scenarioPath(scenario: string): string {
  if (scenario.includes("/")) return resolve(scenario);
  return join(SIPP_SCENARIO_DIR, scenario.endsWith(".xml") ? scenario : `${scenario}.xml`);
}

/** One temp dir per test process for writeUsersCsv files, removed when the process exits. */
let sharedCsvDir: string | undefined;
function csvDir(): string {
  if (!sharedCsvDir) {
    const dir = mkdtempSync(join(tmpdir(), "parley-sipp-csv-"));
    sharedCsvDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return sharedCsvDir;
}

/**
 * Writes a SIPp injection file (first line SEQUENTIAL, then user;password;domain per line) and
 * returns its path: in options.dir, else in a temp dir shared by this process and removed at exit. Call i of a run uses line i (wrapping around).
 */
export function writeUsersCsv(
  users: SippUser[],
  options: { order?: "SEQUENTIAL" | "RANDOM" | "USER"; dir?: string } = {},
): string {
  if (users.length === 0) throw new Error("writeUsersCsv: no users");
  for (const u of users) {
    for (const value of [u.user, u.password, u.domain]) {
      if (value === "" || /[;\r\n"\]]/.test(value)) {
        throw new Error(
          `writeUsersCsv: unusable value ${JSON.stringify(value)} (empty, or has ; " ] or a newline)`,
        );
      }
    }
  }
  const dir = options.dir ?? csvDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `users-${randomUUID().slice(0, 8)}.csv`);
  const lines = users.map((u) => `${u.user};${u.password};${u.domain}`);
  writeFileSync(file, `${options.order ?? "SEQUENTIAL"}\n${lines.join("\n")}\n`);
  return file;
}

/** Splits "host:port" / "[v6]:port". */
export function parseTarget(target: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target);
  if (!m?.[1] || !m[2]) throw new Error(`runSipp: target must be host:port, got ${JSON.stringify(target)}`);
  return { host: m[1], port: Number(m[2]) };
}

/** A port that is free right now for UDP (and TCP when asked) on `ip`. Racy by nature: see runSipp. */
export async function freePort(ip: string, tcp: boolean): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const udp = dgram.createSocket(net.isIPv6(ip) ? "udp6" : "udp4");
    const port = await new Promise<number>((ok, fail) => {
      udp.once("error", fail);
      udp.bind(0, ip, () => ok(udp.address().port));
    });
    if (!tcp) {
      await new Promise<void>((ok) => udp.close(() => ok()));
      return port;
    }
    const server = net.createServer();
    const tcpFree = await new Promise<boolean>((ok) => {
      server.once("error", () => ok(false));
      server.listen(port, ip, () => ok(true));
    });
    await new Promise<void>((ok) => udp.close(() => ok()));
    if (tcpFree) {
      await new Promise<void>((ok) => server.close(() => ok()));
      return port;
    }
  }
  throw new Error(`freePort: no port free for UDP and TCP on ${ip}`);
}

/** Parses a -trace_stat file (';'-separated, a header row then one row per period): the last row. */
export function parseSippStats(csv: string): SippStats | undefined {
  const rows = csv.split("\n").filter((line) => line.trim() !== "");
  const header = rows[0]?.split(";");
  const last = rows.length > 1 ? rows[rows.length - 1]?.split(";") : undefined;
  if (!header || !last) return undefined;
  const raw: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name) raw[name] = last[i] ?? "";
  });
  const num = (name: string) => Number.parseInt(raw[name] ?? "0", 10) || 0;
  return {
    successful: num("SuccessfulCall(C)"),
    failed: num("FailedCall(C)"),
    created: num("TotalCallCreated"),
    incomplete: num("CurrentCall"),
    retransmissions: num("Retransmissions(C)"),
    raw,
  };
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

async function runOnce(
  sipp: string,
  options: SippOptions,
  localIp: string,
  localPort: number,
  dir: string,
): Promise<SippResult> {
  const calls = options.calls ?? 1;
  const timeoutSeconds = options.timeoutSeconds ?? 30;
  const trace = options.traceMessages ?? calls <= 50;
  const files = {
    stat: join(dir, `stat-${localPort}.csv`),
    screen: join(dir, `screen-${localPort}.log`),
    logs: join(dir, `logs-${localPort}.log`),
    errors: join(dir, `errors-${localPort}.log`),
    messages: join(dir, `messages-${localPort}.log`),
  };
  const args = [
    options.target,
    "-sf",
    scenarioPath(options.scenario),
    "-t",
    options.transport ?? "u1",
    "-i",
    localIp,
    "-bind_local",
    "-p",
    String(localPort),
    "-ci",
    "127.0.0.1", // SIPp's control socket is IPv4-only
    "-m",
    String(calls),
    "-r",
    String(options.rate ?? 10),
    "-timeout",
    `${timeoutSeconds}s`,
    "-timeout_error",
    "-nostdin",
    "-trace_stat",
    "-stf",
    files.stat,
    "-fd",
    "1",
    "-trace_screen",
    "-screen_file",
    files.screen,
    "-trace_logs",
    "-log_file",
    files.logs,
    "-trace_err",
    "-error_file",
    files.errors,
  ];
  if (trace) args.push("-trace_msg", "-message_file", files.messages);
  if (options.injection) args.push("-inf", resolve(options.injection));
  if (options.authUri) args.push("-auth_uri", options.authUri);
  for (const [name, value] of Object.entries(options.set ?? {})) args.push("-set", name, value);
  args.push(...(options.extraArgs ?? []));

  const child = spawn(sipp, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.length > 1_000_000) stdout = stdout.slice(-500_000);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let killed = false;
  const hardDeadline = setTimeout(
    () => {
      killed = true;
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
    (timeoutSeconds + 15) * 1000,
  );
  const code = await new Promise<number | null>((ok) => {
    child.once("error", (error) => {
      stderr += String(error);
      ok(null);
    });
    child.once("close", (exitCode) => ok(exitCode));
  });
  clearTimeout(hardDeadline);

  return {
    code,
    stdout,
    stderr,
    stats: parseSippStats(read(files.stat)),
    logs: read(files.logs),
    errors: read(files.errors),
    messages: read(files.messages),
    localPort,
    command: [sipp, ...args],
    killed,
    dir,
  };
}

/**
 * Runs one scenario to completion (foreground, -m calls, -timeout) and returns code, output and
 * final stats. Throws when sipp is not installed: check findSipp() first (see missingPeer).
 */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  const sipp = findSipp();
  if (!sipp) throw new Error(`sipp not found: ${SIPP_HOW_TO_GET}`);
  if (options.transport === "l1") {
    throw new Error("runSipp: transport l1 (TLS) is not available in Debian's SIPp 3.6.1 build");
  }
  const { host } = parseTarget(options.target);
  const localIp = options.localIp ?? (net.isIPv6(host) ? "::1" : "127.0.0.1");
  const dir = mkdtempSync(join(tmpdir(), "parley-sipp-"));
  try {
    let result: SippResult | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = options.port ?? (await freePort(localIp, options.transport === "t1"));
      result = await runOnce(sipp, options, localIp, port, dir);
      const bindFailed = result.code === 254 || /Unable to bind main socket/.test(result.stderr);
      if (!bindFailed) break;
    }
    if (!result) throw new Error("runSipp: no attempt ran");
    return result;
  } finally {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** A one-line summary for assertion messages: code, counts, first error lines. */
export function describeSippResult(result: SippResult): string {
  const s = result.stats;
  const counts = s
    ? `successful=${s.successful} failed=${s.failed} incomplete=${s.incomplete} retrans=${s.retransmissions}`
    : "no stats";
  const errors = (result.errors || result.stderr).split("\n").filter(Boolean).slice(0, 6).join("\n  ");
  return `sipp exited ${result.code}${result.killed ? " (killed)" : ""}, ${counts}\n  ${errors}`;
}
