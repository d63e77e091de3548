import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  MemoryRecordingStore,
  MemoryRecordingSubscriptions,
  type RecordingFiles,
  type RecordingRecord,
  RecordingRetention,
  RecordingService,
} from "../../../src/services/recording/index.ts";
import { LocalRecordingFiles } from "../../../src/storage/index.ts";
import { S3RecordingFiles } from "../../../src/storage/s3-recording-files.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import {
  freshDirectory,
  patternedWav,
  readAll,
  writeWorkingCopy,
} from "../../support/recording-files-contract.ts";
import { type LocalS3, S3RVER_KEY, startLocalS3 } from "../../support/s3-server.ts";

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
/** 1.5 s of stereo 16-bit 8 kHz audio: 32 bytes a millisecond. */
const DATA_BYTES = 48_000;

function openRow(id: string): RecordingRecord {
  return {
    id,
    callId: `C${id}`,
    path: `2026/11/23/C${id}-0000abcd.wav`,
    caller: "1001@example.com",
    callee: "1002@example.com",
    owners: ["1001@example.com", "1002@example.com"],
    reason: "caller",
    startedAt: T0,
    status: "recording",
  };
}

/** A node that died mid-call: rows still `recording`, working copies on disk; the next start recovers them. */
async function recover(files: RecordingFiles, directory: string, store: MemoryRecordingStore) {
  const service = new RecordingService({
    store,
    subscriptions: new MemoryRecordingSubscriptions(),
    directory,
    files,
    clock: new FakeClock(T0 + 60_000),
    logger: silentLogger(),
    announceAll: false,
  });
  return service.recoverInterrupted();
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("the recording service keeps recordings through the store: crash recovery, retention", () => {
  let s3: LocalS3;
  const adapters: S3RecordingFiles[] = [];
  const s3Files = (directory: string, accessKeyId = S3RVER_KEY) => {
    const files = new S3RecordingFiles({
      bucket: s3.bucket,
      prefix: "recordings/",
      endpoint: s3.endpoint,
      region: "us-east-1",
      accessKeyId,
      secretAccessKey: S3RVER_KEY,
      forcePathStyle: true,
      directory,
    });
    adapters.push(files);
    return files;
  };
  before(async () => {
    s3 = await startLocalS3();
  });
  after(async () => {
    for (const files of adapters) files.close();
    await s3.stop();
  });

  test("with S3 storage the working copy is uploaded and removed, and the row is closed as interrupted with its location", async () => {
    const directory = freshDirectory();
    const store = new MemoryRecordingStore();
    const row = openRow("s3a");
    await store.create(row);
    const bytes = patternedWav(DATA_BYTES);
    const file = writeWorkingCopy(directory, row.path, bytes);
    assert.equal(await recover(s3Files(directory), directory, store), 1);
    const closed = await store.get(row.id);
    assert.equal(closed?.status, "interrupted");
    assert.equal(closed?.location, `s3://${s3.bucket}/recordings/${row.path}`);
    assert.equal(closed?.sizeBytes, bytes.length);
    assert.equal(closed?.sha256, sha256(bytes));
    assert.equal(closed?.durationMs, 1500, "the length comes from the header");
    assert.equal(closed?.endedAt, T0 + 1500);
    assert.deepEqual(await s3.get(`recordings/${row.path}`), bytes);
    assert.equal(existsSync(file), false);
  });

  test("a recording uploaded just before the crash (working copy gone) is described from the bucket", async () => {
    const directory = freshDirectory();
    const store = new MemoryRecordingStore();
    const row = openRow("s3b");
    await store.create(row);
    const bytes = patternedWav(DATA_BYTES / 2, 3);
    await s3.put(`recordings/${row.path}`, bytes);
    await recover(s3Files(directory), directory, store);
    const closed = await store.get(row.id);
    assert.equal(closed?.status, "interrupted");
    assert.equal(closed?.sha256, sha256(bytes));
    assert.equal(closed?.durationMs, 750);
    assert.equal(closed?.location, `s3://${s3.bucket}/recordings/${row.path}`);
  });

  test("when the bucket refuses the upload the recording is still closed, kept on disk and readable", async () => {
    const directory = freshDirectory();
    const store = new MemoryRecordingStore();
    const row = openRow("s3c");
    await store.create(row);
    const bytes = patternedWav(DATA_BYTES);
    const file = writeWorkingCopy(directory, row.path, bytes);
    const files = s3Files(directory, "NOT-S3RVER");
    await recover(files, directory, store);
    const closed = await store.get(row.id);
    assert.equal(closed?.status, "interrupted");
    assert.equal(closed?.sha256, sha256(bytes));
    assert.equal(closed?.location, undefined, "not archived");
    assert.deepEqual(readFileSync(file), bytes);
    const opened = await files.open(row.path, { start: 44, end: 143 });
    assert.deepEqual(await readAll(opened?.stream ?? assert.fail("not readable")), bytes.subarray(44, 144));
  });

  test("with local storage the file stays where it is and the row gets its file URL", async () => {
    const directory = freshDirectory();
    const store = new MemoryRecordingStore();
    const row = openRow("local");
    await store.create(row);
    const bytes = patternedWav(DATA_BYTES);
    const file = writeWorkingCopy(directory, row.path, bytes);
    await recover(new LocalRecordingFiles({ directory }), directory, store);
    const closed = await store.get(row.id);
    assert.equal(closed?.status, "interrupted");
    assert.equal(closed?.location, `file://${file}`);
    assert.equal(closed?.durationMs, 1500);
    assert.deepEqual(readFileSync(file), bytes);
  });

  test("a recording with no file anywhere is closed as failed", async () => {
    const directory = freshDirectory();
    const store = new MemoryRecordingStore();
    const row = openRow("gone");
    await store.create(row);
    await recover(s3Files(directory), directory, store);
    const closed = await store.get(row.id);
    assert.equal(closed?.status, "failed");
    assert.match(closed?.error ?? "", /^interrupted: /);
  });

  test("retention deletes an expired recording's object and row through the store; a refused delete keeps the row", async () => {
    const directory = freshDirectory();
    const store = new MemoryRecordingStore();
    const clock = new FakeClock(T0 + 40 * 86_400_000);
    const expired = { ...openRow("old"), status: "saved" as const };
    const young = { ...openRow("young"), status: "saved" as const, startedAt: clock.now() - 86_400_000 };
    for (const r of [expired, young]) {
      await store.create(r);
      await s3.put(`recordings/${r.path}`, patternedWav(100));
    }
    const retention = (files: RecordingFiles) =>
      new RecordingRetention({ store, files, clock, logger: silentLogger(), days: 30, daysByDomain: {} });

    assert.deepEqual(await retention(s3Files(directory, "NOT-S3RVER")).run(), []);
    assert.ok(await store.get("old"), "the row stays while its object could not be deleted");
    assert.ok(await s3.exists(`recordings/${expired.path}`));

    const removed = await retention(s3Files(directory)).run();
    assert.deepEqual(
      removed.map((r) => r.id),
      ["old"],
    );
    assert.equal(await s3.exists(`recordings/${expired.path}`), false);
    assert.equal(await store.get("old"), undefined);
    assert.ok(await s3.exists(`recordings/${young.path}`));
  });
});
