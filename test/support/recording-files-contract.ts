import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { describe, test } from "node:test";
import { wavHeader } from "../../src/media/index.ts";
import type { RecordingFiles } from "../../src/services/recording/index.ts";

/** One store under test: the port, and the working directory the recording service writes to. */
export interface RecordingFilesUnderTest {
  files: RecordingFiles;
  /** recording.dir: where working copies are written before they are archived. */
  directory: string;
  /** What the store itself holds for a path (the file, the object), read behind the port's back. */
  stored(path: string): Promise<Buffer | undefined>;
  /** How a location given by `archive` looks for this store. */
  location: RegExp;
}

/** A real stereo 8 kHz WAV whose sample bytes follow a pattern, so any byte range can be checked. */
export function patternedWav(dataBytes: number, seed = 1): Buffer {
  const data = Buffer.alloc(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (i * 7 + seed + (i >> 8)) & 0xff;
  return Buffer.concat([wavHeader(8000, 2, dataBytes), data]);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes a working copy as the recording service does: recording.dir + path. */
export function writeWorkingCopy(directory: string, path: string, bytes: Buffer): string {
  const file = join(directory, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}

/** A new recordings directory, inside a temporary directory of its own (files outside it stay ours). */
export function freshDirectory(): string {
  const directory = join(mkdtempSync(join(tmpdir(), "parley-recording-files-")), "recordings");
  mkdirSync(directory);
  return directory;
}

/**
 * What every RecordingFiles adapter must do, whichever store it keeps recordings in: archive
 * makes a working copy durable, open reads it whole or by range with its size, size and remove do
 * what they say, and unknown or escaping paths are no recording at all.
 */
export function recordingFilesContract(name: string, setup: () => Promise<RecordingFilesUnderTest>): void {
  describe(`RecordingFiles contract: ${name}`, () => {
    let n = 0;
    const nextPath = () => `2026/11/23/C${++n}-abcdef01.wav`;

    test("an archived recording is in the store with the same bytes, and reads back whole with its size", async () => {
      const it = await setup();
      const path = nextPath();
      const bytes = patternedWav(32_000);
      const file = writeWorkingCopy(it.directory, path, bytes);
      const { location } = await it.files.archive(path, file);
      assert.match(location, it.location);
      assert.deepEqual(await it.stored(path), bytes, "the store holds exactly the file's bytes");
      assert.equal(await it.files.size(path), bytes.length);
      const opened = await it.files.open(path);
      assert.ok(opened);
      assert.equal(opened.size, bytes.length);
      assert.deepEqual(await readAll(opened.stream), bytes);
    });

    test("a range reads exactly bytes start..end, and tells the whole size", async () => {
      const it = await setup();
      const path = nextPath();
      const bytes = patternedWav(10_000, 5);
      await it.files.archive(path, writeWorkingCopy(it.directory, path, bytes));
      for (const [start, end] of [
        [0, 43],
        [100, 1099],
        [bytes.length - 1, bytes.length - 1],
        [44, bytes.length - 1],
      ] as const) {
        const opened = await it.files.open(path, { start, end });
        assert.ok(opened, `${start}-${end}`);
        assert.equal(opened.size, bytes.length, `size with ${start}-${end}`);
        assert.deepEqual(await readAll(opened.stream), bytes.subarray(start, end + 1), `${start}-${end}`);
      }
    });

    test("archiving twice is harmless and reports the same location", async () => {
      const it = await setup();
      const path = nextPath();
      const bytes = patternedWav(2_000);
      const file = writeWorkingCopy(it.directory, path, bytes);
      const first = await it.files.archive(path, file);
      const second = await it.files.archive(path, file);
      assert.equal(second.location, first.location);
      assert.deepEqual(await it.stored(path), bytes);
    });

    test("a working copy not archived yet (a recording in progress) is read like any other", async () => {
      const it = await setup();
      const path = nextPath();
      const bytes = patternedWav(3_000, 9);
      writeWorkingCopy(it.directory, path, bytes);
      assert.equal(await it.files.size(path), bytes.length);
      const opened = await it.files.open(path, { start: 10, end: 19 });
      assert.ok(opened);
      assert.equal(opened.size, bytes.length);
      assert.deepEqual(await readAll(opened.stream), bytes.subarray(10, 20));
    });

    test("remove deletes the recording, working copy and stored copy alike, and removing again is harmless", async () => {
      const it = await setup();
      const path = nextPath();
      const file = writeWorkingCopy(it.directory, path, patternedWav(1_000));
      await it.files.archive(path, file);
      await it.files.remove(path);
      assert.equal(await it.files.size(path), undefined);
      assert.equal(await it.files.open(path), undefined);
      assert.equal(await it.stored(path), undefined);
      assert.equal(existsSync(file), false);
      await it.files.remove(path);

      const unarchived = nextPath();
      const working = writeWorkingCopy(it.directory, unarchived, patternedWav(1_000));
      await it.files.remove(unarchived);
      assert.equal(existsSync(working), false, "a working copy is removed too");
    });

    test("unknown paths and paths leaving the store are no recording", async () => {
      const it = await setup();
      for (const path of ["2026/01/01/nothing.wav", "../outside.wav", "/etc/passwd", "2026/../../x.wav"]) {
        assert.equal(await it.files.size(path), undefined, path);
        assert.equal(await it.files.open(path), undefined, path);
      }
      writeFileSync(join(dirname(it.directory), "outside.wav"), "secret");
      assert.equal(await it.files.open("../outside.wav"), undefined);
    });
  });
}
