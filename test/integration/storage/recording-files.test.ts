import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LocalRecordingFiles } from "../../../src/storage/index.ts";
import { S3RecordingFiles } from "../../../src/storage/s3-recording-files.ts";
import {
  freshDirectory,
  patternedWav,
  readAll,
  recordingFilesContract,
  writeWorkingCopy,
} from "../../support/recording-files-contract.ts";
import { type LocalS3, S3RVER_KEY, startLocalS3 } from "../../support/s3-server.ts";

recordingFilesContract("LocalRecordingFiles (recording.storage = local)", async () => {
  const directory = freshDirectory();
  return {
    files: new LocalRecordingFiles({ directory }),
    directory,
    stored: async (path) => {
      const file = join(directory, path);
      return existsSync(file) ? readFileSync(file) : undefined;
    },
    location: /^file:\/\/\/.+\/2026\/11\/23\/C\d+-abcdef01\.wav$/,
  };
});

describe("S3RecordingFiles against s3rver on 127.0.0.1", () => {
  let s3: LocalS3;
  const adapters: S3RecordingFiles[] = [];
  const adapter = (
    directory: string,
    changes: Partial<ConstructorParameters<typeof S3RecordingFiles>[0]> = {},
  ) => {
    const files = new S3RecordingFiles({
      bucket: s3.bucket,
      prefix: "recordings/",
      endpoint: s3.endpoint,
      region: "us-east-1",
      accessKeyId: S3RVER_KEY,
      secretAccessKey: S3RVER_KEY,
      forcePathStyle: true,
      directory,
      ...changes,
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

  recordingFilesContract("S3RecordingFiles (recording.storage = s3)", async () => {
    const directory = freshDirectory();
    return {
      files: adapter(directory),
      directory,
      stored: (path) => s3.get(`recordings/${path}`),
      location: /^s3:\/\/parley-recordings\/recordings\/2026\/11\/23\/C\d+-abcdef01\.wav$/,
    };
  });

  test("archiving uploads to s3_prefix + path, byte for byte, and deletes the working copy", async () => {
    const directory = freshDirectory();
    const files = adapter(directory);
    const path = "2026/11/24/Cupload-00000001.wav";
    const bytes = patternedWav(64_000);
    const file = writeWorkingCopy(directory, path, bytes);
    const { location } = await files.archive(path, file);
    assert.equal(location, `s3://${s3.bucket}/recordings/${path}`);
    assert.equal(existsSync(file), false, "the working copy is gone once the object is there");
    const object = await s3.get(`recordings/${path}`);
    assert.equal(object?.length, bytes.length, "no aws-chunked framing stored around the bytes");
    assert.deepEqual(object, bytes);
  });

  test("a recording over the part size goes up as a multipart upload and arrives intact", async () => {
    const directory = freshDirectory();
    const files = adapter(directory);
    const path = "2026/11/24/Clong-00000002.wav";
    const bytes = patternedWav(9 * 1024 * 1024 + 123);
    await files.archive(path, writeWorkingCopy(directory, path, bytes));
    assert.deepEqual(await s3.get(`recordings/${path}`), bytes);
    const tail = await files.open(path, { start: bytes.length - 100, end: bytes.length - 1 });
    assert.deepEqual(
      await readAll(tail?.stream ?? (assert.fail("no object") as never)),
      bytes.subarray(-100),
    );
  });

  test("a prefix without a trailing slash gets one; an empty prefix puts paths at the bucket's root", async () => {
    const directory = freshDirectory();
    const path = "2026/11/24/Cprefix-00000003.wav";
    await adapter(directory, { prefix: "tenant-a" }).archive(
      path,
      writeWorkingCopy(directory, path, patternedWav(100)),
    );
    assert.ok(await s3.exists(`tenant-a/${path}`));
    await adapter(directory, { prefix: "" }).archive(
      path,
      writeWorkingCopy(directory, path, patternedWav(100)),
    );
    assert.ok(await s3.exists(path));
  });

  test("a refused upload (an unknown access key) rejects and leaves the working copy where it was", async () => {
    // s3rver checks the access key id of a SigV4 request, not its signature.
    const directory = freshDirectory();
    const files = adapter(directory, { accessKeyId: "NOT-S3RVER" });
    const path = "2026/11/24/Cdenied-00000004.wav";
    const bytes = patternedWav(500);
    const file = writeWorkingCopy(directory, path, bytes);
    await assert.rejects(files.archive(path, file));
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(await s3.exists(`recordings/${path}`), false);
  });

  test("archiving a recording whose working copy is gone finds the object uploaded before, or fails", async () => {
    const directory = freshDirectory();
    const files = adapter(directory);
    const path = "2026/11/24/Cearlier-00000005.wav";
    await s3.put(`recordings/${path}`, patternedWav(10));
    assert.deepEqual(await files.archive(path, join(directory, path)), {
      location: `s3://${s3.bucket}/recordings/${path}`,
    });
    await assert.rejects(
      files.archive("2026/11/24/Cnowhere-1.wav", join(directory, "2026/11/24/Cnowhere-1.wav")),
    );
  });
});
