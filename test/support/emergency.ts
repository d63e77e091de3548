import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goertzel } from "./tone-probe.ts";
import { toneWav } from "./voicemail.ts";

/** The preemption announcement of these tests: 1.5 s of 2450 Hz, so the party cut off can be checked by ear, in code. */
export const ANNOUNCEMENT_HZ = 2450;

export function announcementFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "parley-preempt-")), "preempted.wav");
  writeFileSync(file, toneWav(ANNOUNCEMENT_HZ, 1.5));
  return file;
}

/**
 * Whether `hz` stands out in `samples`: louder than about -36 dBFS and 20 times the power at a
 * frequency nobody sends (3300 Hz).
 */
export function hears(samples: Int16Array | undefined, hz: number): boolean {
  if (!samples || samples.length < 4000) return false;
  const power = goertzel(samples, 8000, hz);
  return power > 2.5e-4 && power > 20 * goertzel(samples, 8000, 3300);
}

/** 1 s of audio, `offset` samples after the start or before the end. */
export function audioWindow(
  samples: Int16Array | undefined,
  from: "start" | "end",
  offset = 1600,
): Int16Array | undefined {
  if (!samples || samples.length < offset + 8000) return undefined;
  return from === "start"
    ? samples.subarray(offset, offset + 8000)
    : samples.subarray(samples.length - offset - 8000, samples.length - offset);
}
