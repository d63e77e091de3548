// Parley's media engine alone, for `npm run bench:media`: a media server driven over stdin/stdout.
//
// PARLEY_BENCH_MODE picks what each group of phones gets:
//   relay       a group is a call of two phones: engine.answer() for each offer, engine.bridge(a, b)
//   recording   the same, plus engine.record() of both legs to a stereo WAV in
//               PARLEY_BENCH_RECORD_DIR (call-<n>.wav; run.mjs removes the directory)
//   conference  a group is a room: one engine.conference() per group, every phone joins it
//
// stdin, one JSON object a line:
//   {"id": 1, "groups": [["<offer SDP>", ...], ...]}   answers every offer, wires each group as
//     above, and replies {"id": 1, "ports": [[port, ...], ...]} (Parley's RTP port facing each phone)
//   {"id": 2, "stats": true}  →  {"id": 2, "stats": {"received": n, "sent": n, "foreign": n, ...}}
// stdout: {"ready": true, "pid": ...} once listening, then one reply line per request.
// The process exits when stdin closes (or on SIGTERM), closing the engine (and so the WAV files).
//
// Env: PARLEY_BENCH_PORT_MIN / PARLEY_BENCH_PORT_MAX (RTP port range, default 10000–21998).
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { MediaEngine, type OwnedEndpoint, type Recorder, SessionDescription } from "../../src/media/index.ts";

type Mode = "relay" | "recording" | "conference";
const mode = (process.env.PARLEY_BENCH_MODE ?? "relay") as Mode;
const recordDir = process.env.PARLEY_BENCH_RECORD_DIR;
if (!["relay", "recording", "conference"].includes(mode)) throw new Error(`unknown mode ${mode}`);
if (mode === "recording" && !recordDir) throw new Error("recording needs PARLEY_BENCH_RECORD_DIR");

const clock = new SystemClock();
const engine = new MediaEngine({
  address: "127.0.0.1",
  portMin: Number(process.env.PARLEY_BENCH_PORT_MIN ?? 10000),
  portMax: Number(process.env.PARLEY_BENCH_PORT_MAX ?? 21998),
  clock,
  logger: silentLogger(),
});
const endpoints: OwnedEndpoint[] = [];
const recorders: Recorder[] = [];
let groupsMade = 0;
let recordingSince: number | undefined;

async function answer(sdp: string): Promise<OwnedEndpoint> {
  const result = await engine.answer(SessionDescription.parse(sdp));
  if ("error" in result) throw new Error(`offer not acceptable: ${result.reason}`);
  endpoints.push(result.endpoint);
  return result.endpoint;
}

async function wire(offers: string[]): Promise<number[]> {
  const group: OwnedEndpoint[] = [];
  for (const sdp of offers) group.push(await answer(sdp));
  const n = groupsMade++;
  if (mode === "conference") {
    const room = engine.conference();
    for (const [i, endpoint] of group.entries()) room.join(`p${i}`, endpoint);
  } else {
    const [a, b] = group;
    if (!a || !b || group.length !== 2) throw new Error(`a call needs two offers, got ${group.length}`);
    engine.bridge(a, b);
    if (mode === "recording") {
      recordingSince ??= clock.monotonic();
      recorders.push(engine.record({ path: join(recordDir ?? "", `call-${n}.wav`), left: a, right: b }));
    }
  }
  return group.map((endpoint) => endpoint.session.port);
}

type Request = { id: number; groups?: string[][]; stats?: boolean };

async function handle(request: Request): Promise<Record<string, unknown>> {
  if (request.groups) {
    const ports: number[][] = [];
    for (const offers of request.groups) ports.push(await wire(offers));
    return { id: request.id, ports };
  }
  if (request.stats) {
    const stats = {
      mode,
      received: 0,
      sent: 0,
      invalid: 0,
      foreign: 0,
      endpoints: endpoints.length,
      groups: groupsMade,
      recorders: recorders.length,
      recordedSeconds: 0,
      recordingWallSeconds: 0,
    };
    for (const endpoint of endpoints) {
      stats.received += endpoint.session.stats.received;
      stats.sent += endpoint.session.stats.sent;
      stats.invalid += endpoint.session.stats.invalid;
      stats.foreign += endpoint.session.stats.foreign;
    }
    if (recorders.length > 0 && recordingSince !== undefined) {
      // Mean seconds of audio per recorder against the wall time since the first one started.
      let frames = 0;
      for (const recorder of recorders) frames += recorder.framesWritten;
      stats.recordedSeconds = Number(((frames * 0.02) / recorders.length).toFixed(2));
      stats.recordingWallSeconds = Number(((clock.monotonic() - recordingSince) / 1000).toFixed(2));
    }
    return { id: request.id, stats };
  }
  return { id: request.id, error: "unknown request" };
}

function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function shutdown(): void {
  engine.close();
  process.exit(0);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (!line.trim()) return;
  let request: Request;
  try {
    request = JSON.parse(line);
  } catch {
    reply({ error: "bad json" });
    return;
  }
  handle(request).then(reply, (error: unknown) =>
    reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
lines.on("close", shutdown);
process.on("SIGTERM", shutdown);
reply({ ready: true, pid: process.pid, mode });
