import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import { type RecordingRecord, RecordingWebhook } from "../../../src/services/recording/index.ts";
import { eventually } from "../../support/call-peers.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const recording: RecordingRecord = {
  id: "r-1",
  callId: "C1",
  path: "2026/11/23/C1-r.wav",
  caller: "1001@parley.test",
  callee: "1002@parley.test",
  owners: ["1001@parley.test", "1002@parley.test"],
  reason: "callee",
  startedAt: 1_000,
  endedAt: 6_000,
  durationMs: 5_000,
  sizeBytes: 160_044,
  sha256: "ab".repeat(32),
  status: "saved",
};

/** A receiver that answers with the given statuses in turn and keeps what it got. */
async function receiver(statuses: number[]) {
  const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.statusCode = statuses[received.length - 1] ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { received, url: `http://127.0.0.1:${port}/hooks/recordings`, close: () => server.close() };
}

test("a saved recording is POSTed once as JSON, signed with HMAC-SHA256 over timestamp.body", async (t) => {
  const hook = await receiver([200]);
  t.after(hook.close);
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
  const webhook = new RecordingWebhook({ url: hook.url, secret: "s3cret", clock, logger: silentLogger() });
  webhook.deliver({ type: "saved", recording });
  await eventually(() => webhook.pending === 0, "the delivery");
  assert.equal(hook.received.length, 1);
  const [{ headers, body }] = hook.received as [{ headers: IncomingMessage["headers"]; body: string }];
  const parsed = JSON.parse(body) as { type: string; id: string; recording: RecordingRecord };
  assert.equal(parsed.type, "recording.saved");
  assert.equal(parsed.id, "r-1:saved");
  assert.deepEqual(parsed.recording, recording);
  assert.equal(headers["x-parley-event"], "recording.saved");
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers["x-parley-signature"]));
  assert.ok(match, String(headers["x-parley-signature"]));
  assert.equal(Number(match[1]), Date.UTC(2026, 10, 23, 12) / 1000);
  const expected = createHmac("sha256", "s3cret").update(`${match[1]}.${body}`).digest("hex");
  assert.equal(match[2], expected, "the signature verifies with the shared secret");
});

test("a failing receiver gets retries with doubling back-off until it answers 2xx", async (t) => {
  const hook = await receiver([500, 503, 204]);
  t.after(hook.close);
  const clock = new FakeClock();
  const webhook = new RecordingWebhook({ url: hook.url, secret: "k", clock, logger: silentLogger() });
  webhook.deliver({ type: "failed", recording: { ...recording, status: "failed", error: "disk full" } });
  await eventually(() => hook.received.length === 1, "the first attempt");
  await eventually(() => clock.pendingTimers === 1, "the retry to be scheduled");
  clock.advance(999);
  assert.equal(hook.received.length, 1, "no retry before 1 s");
  clock.advance(1);
  await eventually(() => hook.received.length === 2, "the second attempt after 1 s");
  await eventually(() => clock.pendingTimers === 1, "the next retry to be scheduled");
  clock.advance(1999);
  assert.equal(hook.received.length, 2, "no retry before 2 s more");
  clock.advance(1);
  await eventually(() => webhook.pending === 0, "the third attempt to succeed");
  assert.equal(hook.received.length, 3);
  assert.equal(JSON.parse(hook.received[2]?.body ?? "{}").type, "recording.failed");
});

test("after the last attempt the event is given up, and nothing more is sent", async (t) => {
  const hook = await receiver([500, 500, 500]);
  t.after(hook.close);
  const clock = new FakeClock();
  const webhook = new RecordingWebhook({
    url: hook.url,
    secret: "",
    clock,
    logger: silentLogger(),
    attempts: 3,
  });
  webhook.deliver({ type: "saved", recording });
  for (let attempt = 1; attempt < 3; attempt++) {
    await eventually(
      () => hook.received.length === attempt && clock.pendingTimers === 1,
      `attempt ${attempt}`,
    );
    clock.advance(1000 * 2 ** (attempt - 1));
  }
  await eventually(() => webhook.pending === 0, "giving up");
  assert.equal(hook.received.length, 3);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(hook.received[0]?.headers["x-parley-signature"], undefined, "no secret, no signature");
});
