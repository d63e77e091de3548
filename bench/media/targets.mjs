// The servers the media bench drives. Each target: start() a fresh server, setup(groups) → the
// server port for every phone (same shape as `groups`), stats(), close().
//   parley     bench/media/parley-media-server.ts (MediaEngine alone) in relay, recording or
//              conference mode
//   rtpengine  Sipwise rtpengine, userspace forwarding (--table=-1), calls set up over its ng
//              protocol; relay only
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NgClient } from "./ng.mjs";
import { jsonLines, sleep, start, stop } from "./procs.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const HOST = "127.0.0.1";
const PARLEY_PORTS = { min: 10000, max: 21998 };
const RTPENGINE_PORTS = { min: 22000, max: 32766 }; // below the kernel's ephemeral range (the phones)
const NG_LISTEN_PORT = 9910; // rtpengine's ng control port, outside both RTP ranges

export function phoneSdp(port, sessionId) {
  return [
    "v=0",
    `o=- ${sessionId} 1 IN IP4 ${HOST}`,
    "s=-",
    `c=IN IP4 ${HOST}`,
    "t=0 0",
    `m=audio ${port} RTP/AVP 0`,
    "a=rtpmap:0 PCMU/8000",
    "a=ptime:20",
    "a=sendrecv",
    "",
  ].join("\r\n");
}

function audioPort(sdp) {
  const match = /^m=audio (\d+) /m.exec(sdp);
  if (!match) throw new Error(`no m=audio line in SDP:\n${sdp}`);
  return Number(match[1]);
}

/**
 * Parley's MediaEngine in `mode` (relay | recording | conference). `cpu`: pin to this CPU;
 * `nodeArgs`: extra Node.js flags (e.g. --cpu-prof); `recordDir`: where recording writes WAVs.
 */
export function parleyTarget({ mode, cpu, nodeArgs = [], recordDir }) {
  let child;
  let lines;
  let nextId = 1;
  return {
    name: "Parley",
    get pid() {
      return child?.pid;
    },
    async start() {
      child = start(
        process.execPath,
        [...nodeArgs, "--import", "tsx", join(HERE, "parley-media-server.ts")],
        {
          cwd: ROOT,
          stdio: ["pipe", "pipe", "inherit"],
          env: {
            ...process.env,
            PARLEY_BENCH_MODE: mode,
            PARLEY_BENCH_PORT_MIN: String(PARLEY_PORTS.min),
            PARLEY_BENCH_PORT_MAX: String(PARLEY_PORTS.max),
            ...(recordDir ? { PARLEY_BENCH_RECORD_DIR: recordDir } : {}),
          },
        },
        cpu,
      );
      lines = jsonLines(child);
      const ready = await lines.next(20_000, "parley-media-server ready");
      if (!ready.ready) throw new Error(`parley-media-server: unexpected ${JSON.stringify(ready)}`);
    },
    async setup(groups) {
      const relays = [];
      let session = 1;
      // About 100 phones per request.
      const perRequest = Math.max(1, Math.floor(100 / (groups[0]?.length ?? 2)));
      for (let i = 0; i < groups.length; i += perRequest) {
        const batch = groups
          .slice(i, i + perRequest)
          .map((ports) => ports.map((port) => phoneSdp(port, session++)));
        const id = nextId++;
        child.stdin.write(`${JSON.stringify({ id, groups: batch })}\n`);
        const reply = await lines.next(20_000, "parley-media-server groups");
        if (reply.error || !reply.ports) throw new Error(`parley-media-server: ${JSON.stringify(reply)}`);
        relays.push(...reply.ports);
      }
      return relays;
    },
    async stats() {
      const id = nextId++;
      child.stdin.write(`${JSON.stringify({ id, stats: true })}\n`);
      return (await lines.next(5000, "parley-media-server stats")).stats;
    },
    async close() {
      child?.stdin.end();
      await stop(child, 5000); // --cpu-prof writes its profile on the way out
      child = undefined;
    },
  };
}

/** rtpengine (userspace) as a relay; `cpu`: pin all its threads to this CPU. */
export function rtpengineTarget({ binary, cpu }) {
  let child;
  let ng;
  let stderrTail = "";
  return {
    name: "rtpengine",
    get pid() {
      return child?.pid;
    },
    async start() {
      child = start(
        binary,
        [
          "--config-file=none",
          `--interface=${HOST}`,
          `--listen-ng=${HOST}:${NG_LISTEN_PORT}`,
          "--foreground",
          "--log-stderr",
          "--log-level=4",
          `--port-min=${RTPENGINE_PORTS.min}`,
          `--port-max=${RTPENGINE_PORTS.max}`,
          "--table=-1",
          "--timeout=120",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
        cpu,
      );
      child.stderr.on("data", (chunk) => {
        stderrTail = (stderrTail + chunk.toString()).slice(-4000);
      });
      ng = new NgClient(HOST, NG_LISTEN_PORT);
      const deadline = performance.now() + 10_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`rtpengine exited early:\n${stderrTail}`);
        try {
          const pong = await ng.request({ command: "ping" }, 300);
          if (pong.result === "pong") return;
        } catch {}
        if (performance.now() > deadline) throw new Error(`rtpengine did not answer ping:\n${stderrTail}`);
        await sleep(100);
      }
    },
    async setup(groups) {
      const relays = new Array(groups.length);
      let next = 0;
      const worker = async () => {
        while (next < groups.length) {
          const i = next++;
          const [a, b] = groups[i];
          const common = { "call-id": `bench-${process.pid}-${i}`, "from-tag": `a${i}`, ICE: "remove" };
          const offer = await ng.request({
            ...common,
            command: "offer",
            sdp: phoneSdp(a, 2 * i + 1),
            replace: ["origin", "session-connection"],
          });
          const answer = await ng.request({
            ...common,
            command: "answer",
            "to-tag": `b${i}`,
            sdp: phoneSdp(b, 2 * i + 2),
            replace: ["origin", "session-connection"],
          });
          // The offer's SDP goes to phone B (where B sends); the answer's SDP goes to phone A.
          relays[i] = [audioPort(answer.sdp), audioPort(offer.sdp)];
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      return relays;
    },
    async close() {
      ng?.close();
      ng = undefined;
      await stop(child, 3000);
      child = undefined;
    },
  };
}
