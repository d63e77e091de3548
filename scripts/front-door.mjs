// The Kamailio front door of a multi-node deployment, for the programs that run one themselves
// (scripts/cluster-dev.mjs, test/support/kamailio.ts): fill deploy/kamailio/kamailio.cfg's site
// settings, write the dispatcher list, and check that a SIP server answers OPTIONS.
// Plain Node ESM, no dependencies; types in front-door.d.mts.
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The operator's config, the template every generated config starts from. */
export const FRONT_DOOR_CONFIG = fileURLToPath(new URL("../deploy/kamailio/kamailio.cfg", import.meta.url));

/** How to get Kamailio, for messages. */
export const KAMAILIO_HOW_TO_GET =
  "apt-get install kamailio (Debian 12: Kamailio 5.6 with the dispatcher and path modules)";

/** The kamailio (and kamcmd) executables on PATH or in /usr/sbin, or undefined. */
export function findKamailio() {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"].filter(Boolean);
  const find = (name) => dirs.map((d) => join(d, name)).find((file) => existsSync(file));
  const kamailio = find("kamailio");
  const kamcmd = find("kamcmd");
  return kamailio && kamcmd ? { kamailio, kamcmd } : undefined;
}

/**
 * Replaces the value of each `#!substdef "!NAME!value!g"` line named in `values`. Every name must
 * be present in the template (a renamed setting fails loudly instead of being silently kept).
 */
export function fillKamailioConfig(template, values) {
  let text = template;
  for (const [name, value] of Object.entries(values)) {
    const v = String(value);
    if (v.includes("!") || v.includes("\n") || v.includes('"')) {
      throw new Error(
        `fillKamailioConfig: ${name} value ${JSON.stringify(v)} may not contain ! " or a newline`,
      );
    }
    const line = new RegExp(`^#!substdef "!${name}![^!\\n]*!g"$`, "m");
    if (!line.test(text)) throw new Error(`fillKamailioConfig: no #!substdef for ${name} in the template`);
    text = text.replace(line, `#!substdef "!${name}!${v}!g"`);
  }
  return text;
}

/**
 * A dispatcher list with the nodes as set 1, in the given order, each with flag 8 (probing: the
 * OPTIONS keep-alives run from the start and `dispatcher.list` shows "AP").
 */
export function dispatcherList(nodes) {
  const lines = nodes.map((n, i) => `1 sip:${n.address}:${n.port} 8 0 duid=${n.id ?? `node${i + 1}`}`);
  return `# set destination flags priority attributes\n${lines.join("\n")}\n`;
}

/**
 * Writes kamailio.cfg (the template with the site settings filled) and dispatcher.list into
 * `dir`; returns their paths, the ctl socket and the kamailio command line to run it in the
 * foreground with logs on stderr.
 */
export function writeFrontDoor({
  dir,
  address = "127.0.0.1",
  port,
  nodes,
  probeIntervalSeconds = 2,
  nodeTimeoutMs = 2000,
  children = 2,
  kamailio = "kamailio",
  sharedMemoryMb = 64,
  privateMemoryMb = 8,
}) {
  mkdirSync(dir, { recursive: true });
  const list = join(dir, "dispatcher.list");
  const config = join(dir, "kamailio.cfg");
  const ctl = join(dir, "kamailio_ctl");
  writeFileSync(list, dispatcherList(nodes));
  writeFileSync(
    config,
    fillKamailioConfig(readFileSync(FRONT_DOOR_CONFIG, "utf8"), {
      PARLEY_LISTEN_ADDRESS: address,
      PARLEY_LISTEN_PORT: port,
      PARLEY_DISPATCHER_LIST: list,
      PARLEY_CTL_SOCKET: `unix:${ctl}`,
      PARLEY_PROBE_INTERVAL: probeIntervalSeconds,
      PARLEY_NODE_TIMEOUT_MS: nodeTimeoutMs,
      PARLEY_CHILDREN: children,
    }),
  );
  const args = [
    "-f",
    config,
    "-DD", // foreground, no daemon
    "-E", // log to stderr
    "-w",
    dir,
    "-Y",
    dir, // runtime dir: nothing under /run/kamailio is needed
    "-P",
    join(dir, "kamailio.pid"),
    "-m",
    String(sharedMemoryMb),
    "-M",
    String(privateMemoryMb),
  ];
  return { config, list, ctl, command: [kamailio, ...args] };
}

/**
 * Sends OPTIONS sip:<address>:<port> over UDP until a final reply comes back or `timeoutMs`
 * passes (a retry every 250 ms); resolves to the status code, or undefined on timeout.
 * `stillRunning` (optional) stops the wait early when the server has exited.
 */
export async function sipOptionsPing(address, port, { timeoutMs = 10_000, stillRunning } = {}) {
  const socket = dgram.createSocket("udp4");
  await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", resolve);
  });
  const local = socket.address();
  const callId = `${randomBytes(8).toString("hex")}@front-door-check`;
  let status;
  socket.on("message", (msg) => {
    const m = /^SIP\/2\.0 (\d{3})/.exec(msg.toString("latin1"));
    if (m && callId && msg.includes(callId) && Number(m[1]) >= 200) status = Number(m[1]);
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 1; status === undefined && Date.now() < deadline; attempt++) {
      if (stillRunning && !stillRunning()) break;
      const request = [
        `OPTIONS sip:${address}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local.address}:${local.port};rport;branch=z9hG4bK${randomBytes(6).toString("hex")}`,
        "Max-Forwards: 70",
        `From: <sip:check@${local.address}:${local.port}>;tag=${randomBytes(4).toString("hex")}`,
        `To: <sip:${address}:${port}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${attempt} OPTIONS`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      socket.send(request, port, address);
      const until = Date.now() + 250;
      while (status === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    socket.close();
  }
  return status;
}
