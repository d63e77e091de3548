// Parley's media engine alone, for `npm run bench:media`: a relay server driven over stdin/stdout.
//
// stdin, one JSON object a line:
//   {"id": 1, "calls": [{"a": "<offer SDP from phone A>", "b": "<offer SDP from phone B>"}, ...]}
//     answers both offers, bridges the two endpoints (engine.bridge), and replies
//   {"id": 1, "ports": [[portA, portB], ...]}   (Parley's RTP port facing phone A, facing phone B)
//   {"id": 2, "stats": true}  →  {"id": 2, "stats": {"received": n, "sent": n, "foreign": n, ...}}
// stdout: {"ready": true, "pid": ...} once listening, then one reply line per request.
// The process exits when stdin closes (or on SIGTERM), closing the engine.
//
// Env: PARLEY_BENCH_PORT_MIN / PARLEY_BENCH_PORT_MAX (RTP port range, default 10000–21998).
import { createInterface } from "node:readline";
import { SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { MediaEngine, type OwnedEndpoint, SessionDescription } from "../../src/media/index.ts";

const engine = new MediaEngine({
  address: "127.0.0.1",
  portMin: Number(process.env.PARLEY_BENCH_PORT_MIN ?? 10000),
  portMax: Number(process.env.PARLEY_BENCH_PORT_MAX ?? 21998),
  clock: new SystemClock(),
  logger: silentLogger(),
});
const endpoints: OwnedEndpoint[] = [];

async function answer(sdp: string): Promise<OwnedEndpoint> {
  const result = await engine.answer(SessionDescription.parse(sdp));
  if ("error" in result) throw new Error(`offer not acceptable: ${result.reason}`);
  endpoints.push(result.endpoint);
  return result.endpoint;
}

async function handle(request: {
  id: number;
  calls?: Array<{ a: string; b: string }>;
  stats?: boolean;
}): Promise<Record<string, unknown>> {
  if (request.calls) {
    const ports: Array<[number, number]> = [];
    for (const call of request.calls) {
      const a = await answer(call.a);
      const b = await answer(call.b);
      engine.bridge(a, b);
      ports.push([a.session.port, b.session.port]);
    }
    return { id: request.id, ports };
  }
  if (request.stats) {
    const stats = { received: 0, sent: 0, invalid: 0, foreign: 0, endpoints: endpoints.length };
    for (const endpoint of endpoints) {
      stats.received += endpoint.session.stats.received;
      stats.sent += endpoint.session.stats.sent;
      stats.invalid += endpoint.session.stats.invalid;
      stats.foreign += endpoint.session.stats.foreign;
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
  let request: { id: number; calls?: Array<{ a: string; b: string }>; stats?: boolean };
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
reply({ ready: true, pid: process.pid });
