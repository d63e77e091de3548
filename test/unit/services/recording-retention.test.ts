import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  MemoryRecordingStore,
  type RecordingRecord,
  RecordingRetention,
} from "../../../src/services/recording/index.ts";
import { LocalRecordingFiles } from "../../../src/storage/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const DAY = 86_400_000;

async function seed(
  store: MemoryRecordingStore,
  dir: string,
  id: string,
  domain: string,
  ageDays: number,
  now: number,
) {
  const path = `old/${id}.wav`;
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), "RIFF");
  const record: RecordingRecord = {
    id,
    callId: `C${id}`,
    path,
    caller: `1001@${domain}`,
    callee: `1002@${domain}`,
    owners: [`1001@${domain}`],
    reason: "caller",
    startedAt: now - ageDays * DAY,
    status: "saved",
  };
  await store.create(record);
  return join(dir, path);
}

test("retention deletes files and rows older than their tenant's days, keeps the rest, and runs again each hour", async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 23));
  const now = clock.now();
  const dir = mkdtempSync(join(tmpdir(), "parley-retention-"));
  const store = new MemoryRecordingStore();
  const oldDefault = await seed(store, dir, "a", "one.example", 40, now);
  const youngDefault = await seed(store, dir, "b", "one.example", 10, now);
  const oldShortTenant = await seed(store, dir, "c", "short.example", 3, now);
  const youngShortTenant = await seed(store, dir, "d", "short.example", 1, now);
  const keptForever = await seed(store, dir, "e", "forever.example", 400, now);
  const retention = new RecordingRetention({
    store,
    files: new LocalRecordingFiles({ directory: dir }),
    clock,
    logger: silentLogger(),
    days: 30,
    daysByDomain: { "short.example": 2, "forever.example": 0 },
  });
  const removed = await retention.run();
  assert.deepEqual(removed.map((r) => r.id).sort(), ["a", "c"]);
  assert.equal(existsSync(oldDefault), false);
  assert.equal(existsSync(oldShortTenant), false);
  for (const kept of [youngDefault, youngShortTenant, keptForever])
    assert.equal(existsSync(kept), true, kept);
  assert.deepEqual((await store.list({})).map((r) => r.id).sort(), ["b", "d", "e"]);

  retention.start();
  const scheduled = async () => {
    for (let i = 0; i < 200 && clock.pendingTimers === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(clock.pendingTimers, 1, "the next hourly run is scheduled");
  };
  await scheduled();
  clock.advance(DAY);
  await scheduled();
  assert.ok(await store.get("d"), "1 day 1 hour old: still within short.example's 2 days");
  clock.advance(3_600_000);
  for (let i = 0; i < 200 && (await store.get("d")); i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(await store.get("d"), undefined, "a day later an hourly run took the next expired one");
  retention.stop();
});

test("a recording still in progress is never deleted, whatever its age", async () => {
  const clock = new FakeClock();
  const dir = mkdtempSync(join(tmpdir(), "parley-retention-"));
  const store = new MemoryRecordingStore();
  const file = await seed(store, dir, "live", "one.example", 90, clock.now());
  await store.update("live", { status: "recording" });
  const retention = new RecordingRetention({
    store,
    files: new LocalRecordingFiles({ directory: dir }),
    clock,
    logger: silentLogger(),
    days: 1,
    daysByDomain: {},
  });
  assert.deepEqual(await retention.run(), []);
  assert.equal(existsSync(file), true);
});
