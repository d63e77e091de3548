// Makes the ring-back tones shipped in assets/ringback/ (8 kHz mono 16-bit WAV, a few seconds
// each, played in a loop while a user's phones ring). Run: npx tsx scripts/generate-ringback-library.ts
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WavWriter } from "../src/media/index.ts";

const DIR = fileURLToPath(new URL("../assets/ringback/", import.meta.url));
const RATE = 8000;

/** Notes as [frequencies (Hz, summed), milliseconds]; an empty list is a rest. */
type Note = [number[], number];

function write(name: string, notes: Note[]): void {
  const wav = new WavWriter(join(DIR, `${name}.wav`), { sampleRate: RATE, channels: 1 });
  let n = 0;
  for (const [frequencies, ms] of notes) {
    const samples = new Int16Array((RATE * ms) / 1000);
    const fade = Math.min(80, samples.length / 4);
    for (let i = 0; i < samples.length; i++, n++) {
      const envelope = Math.min(1, i / fade, (samples.length - i) / fade);
      let value = 0;
      for (const f of frequencies) value += Math.sin((2 * Math.PI * f * n) / RATE);
      samples[i] = Math.round((6000 / Math.max(1, frequencies.length)) * envelope * value);
    }
    wav.write(samples);
  }
  wav.close();
}

mkdirSync(DIR, { recursive: true });
// The North American ring-back (440 + 480 Hz, 2 s on, 4 s off), for users who want it whatever the plan.
write("classic", [
  [[440, 480], 2000],
  [[], 4000],
]);
// A short rising chime, then a pause.
write("chime", [
  [[523], 300],
  [[659], 300],
  [[784], 300],
  [[1047], 600],
  [[], 2500],
]);
// A calm two-note figure.
write("calm", [
  [[392], 700],
  [[], 200],
  [[330], 900],
  [[], 2200],
]);
