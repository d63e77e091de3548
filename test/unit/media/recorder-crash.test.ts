import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readWav } from "../../../src/media/index.ts";
import { dominantTone } from "../../support/tone-probe.ts";

const CHILD = fileURLToPath(new URL("../../support/recorder-crash-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

test("a recorder killed with SIGKILL mid-call leaves a WAV that opens, with every flushed frame and both tones", async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), "parley-rec-crash-")), "call.wav");
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, path], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let flushed = 0;
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/frames (\d+)/g)) flushed = Number(match[1]);
      if (flushed >= 30) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the recorder exited on its own (${code}): ${stderr}`)));
  });
  child.kill("SIGKILL");
  const [, signal] = await once(child, "exit");
  assert.equal(signal, "SIGKILL");

  const wav = readWav(path);
  assert.equal(wav.channels, 2);
  const [left = new Int16Array(), right = new Int16Array()] = wav.samples;
  assert.ok(left.length >= flushed * 160, `${left.length / 160} frames on disk, ${flushed} reported flushed`);
  const middle = (pcm: Int16Array) => pcm.subarray(10 * 160, 20 * 160);
  assert.equal(dominantTone(middle(left), 8000, [1000, 2000]).frequency, 1000);
  assert.equal(dominantTone(middle(right), 8000, [1000, 2000]).frequency, 2000);
});
