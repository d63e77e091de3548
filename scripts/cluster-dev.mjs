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
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findKamailio, KAMAILIO_HOW_TO_GET } from "./front-door.mjs";
import { createLocalCluster, HOST, havePostgres, haveRedis, PARLEY } from "./local-cluster.mjs";

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
if (!havePostgres()) missing.push("PostgreSQL (apt-get install postgresql)");
if (!haveRedis()) missing.push("Redis (apt-get install redis-server)");
if (!kamailioBin) missing.push(`Kamailio (${KAMAILIO_HOW_TO_GET})`);
if (missing.length > 0) fail(`missing: ${missing.join("; ")}`);

// ---- bookkeeping: everything started is stopped by PID, last first ---------------------------
const dir = mkdtempSync(join(tmpdir(), "parley-cluster-"));
// start-postgres.sh runs the server as the postgres user when we are root: it must reach its dir.
chmodSync(dir, 0o755);
const cluster = createLocalCluster({ dir });
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await cluster.stopAll((component, error) => note(`stopping ${component.name}: ${error.message}`));
  if (opts.keep) note(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  process.stdout.write("cluster:dev: stopped\n");
  process.exit(code);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

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

// ---- main -------------------------------------------------------------------------------------
async function main() {
  const line = (name, text) => process.stdout.write(`${name.padEnd(9)} ${text}\n`);
  const pg = await cluster.startPostgres();
  const redis = await cluster.startRedis();
  const shared = {
    database: pg.url,
    redis: redis.url,
    nonceSecret: randomBytes(24).toString("hex"),
    domain: opts.domain,
  };
  const nodes = [
    await cluster.nodeSettings("node1", 0, shared),
    await cluster.nodeSettings("node2", 1, shared),
  ];
  // One after the other: the first start migrates the shared database.
  const pids = [];
  for (const node of nodes) {
    pids.push((await cluster.startNode(node)).pid);
    if (node === nodes[0]) addUsers(node);
  }
  const kamailio = await cluster.startKamailio(nodes, { kamailio: kamailioBin.kamailio, children: 2 });

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
