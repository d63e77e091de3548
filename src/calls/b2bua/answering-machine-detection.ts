import type { Clock } from "../../kernel/clock.ts";
import {
  type AmdOptions,
  type AmdVerdict,
  AnsweringMachineDetector,
  AudioTap,
  PcmFrame,
} from "../../media/index.ts";
import type { Leg } from "../legs/leg.ts";

/**
 * Answering-machine detection on an answered party (Asterisk's AMD application): listens to
 * what the party's phone sends, one 20 ms frame per tick of the clock (a missing packet is a
 * silent frame), and feeds an AnsweringMachineDetector until it decides, at the latest after
 * `totalAnalysisTimeMs`. The party's media is not changed: a player or bridge on it goes on.
 * Resolves `unknown` with reason `hangup` when the party hangs up first (or already has).
 */
export function detectAnsweringMachine(
  leg: Leg,
  options: Partial<AmdOptions> & { clock: Clock },
): Promise<AmdVerdict> {
  const { clock, ...amd } = options;
  const detector = new AnsweringMachineDetector(amd);
  const media = leg.media;
  if (leg.ended) return Promise.resolve({ result: "unknown", reason: "hangup", afterMs: 0 });
  if (!media) throw new Error("detectAnsweringMachine() needs the party's media (answer it first)");
  return new Promise((resolve) => {
    const finish = (verdict: AmdVerdict) => {
      tap.close();
      leg.off("hungup", onHangup);
      leg.logger.info({ amd: verdict, words: detector.words }, "answering-machine detection");
      resolve(verdict);
    };
    const onHangup = () =>
      finish({ result: "unknown", reason: "hangup", afterMs: tap.frames * PcmFrame.DURATION_MS });
    const tap = new AudioTap({
      endpoint: media,
      clock,
      onFrame: (pcm) => {
        const verdict = detector.push(pcm);
        if (verdict) finish(verdict);
      },
    });
    leg.on("hungup", onHangup);
  });
}
