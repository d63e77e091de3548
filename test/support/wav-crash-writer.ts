/**
 * Child process for the WavWriter crash test: writes a continuous 1 kHz mono tone to the WAV at
 * argv[2], one 20 ms frame at a time, flushes every 10 frames and prints "flushed N" (N = samples per
 * channel the header now declares) after each flush. It never closes the file: the test kills it
 * with SIGKILL. It stops writing after a cap so a missed kill cannot fill the disk, then lingers at
 * most 30 s (so a slow test still sees it alive) and exits; it also exits if its stdout pipe breaks.
 */
import { WavWriter } from "../../src/media/index.ts";
import { sineFrame } from "./tone-probe.ts";

const path = process.argv[2];
if (path === undefined) {
  console.error("usage: wav-crash-writer <file.wav>");
  process.exit(2);
}

const RATE = 8000;
const SAMPLES = 160;
const FREQUENCY = 1000;
const MAX_FRAMES = 3000; // 60 s of audio
// 1 kHz is a whole number of cycles per 160-sample frame, so one frame repeats seamlessly.
const frame = sineFrame(FREQUENCY, RATE, SAMPLES, 0.5);
const writer = new WavWriter(path, { sampleRate: RATE, channels: 1 });
let frames = 0;

function batch(): void {
  for (let i = 0; i < 10; i++) writer.write(frame);
  frames += 10;
  writer.flush();
  process.stdout.write(`flushed ${writer.samplesWritten}\n`);
  if (frames < MAX_FRAMES) setTimeout(batch, 5);
  else setTimeout(() => process.exit(0), 30_000);
}

process.stdout.on("error", () => process.exit(1));
batch();
