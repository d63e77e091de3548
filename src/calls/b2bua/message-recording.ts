import type { Clock } from "../../kernel/clock.ts";
import type { MediaEngine, Recorder } from "../../media/index.ts";
import type { Leg } from "../legs/leg.ts";
import type { MessageRecording, MessageRecordingOptions } from "../service-api/call-session.ts";

/** Frames per second at 20 ms a frame. */
const FRAMES_PER_SECOND = 50;

/**
 * Records one party alone into a mono WAV until a terminating digit, a stretch of silence, the
 * maximum length or the party's hang-up (FreeSWITCH's `record` application: terminators,
 * silence threshold and hits, time limit). Silence is a frame whose RMS stays under the
 * threshold; the count starts over on every louder frame. The WAV is valid at every flush, so a
 * crash leaves a playable message up to the last second.
 */
export function recordMessage(
  engine: MediaEngine,
  leg: Leg,
  options: MessageRecordingOptions & { clock: Clock },
  track: (recorder: Recorder) => () => void,
): Promise<MessageRecording> {
  const media = leg.media;
  if (!media) throw new Error("recordMessage() needs the party's media");
  const terminators = options.terminators ?? "#";
  const maxFrames = Math.max(1, Math.round(options.maxSeconds * FRAMES_PER_SECOND));
  const silenceFrames =
    options.silenceSeconds && options.silenceSeconds > 0
      ? Math.round(options.silenceSeconds * FRAMES_PER_SECOND)
      : Number.POSITIVE_INFINITY;
  const threshold = options.silenceThreshold ?? 300;
  return new Promise((resolve) => {
    let quiet = 0;
    let frames = 0;
    let finished = false;
    const finish = (reason: MessageRecording["reason"], digit?: string) => {
      if (finished) return;
      finished = true;
      leg.off("dtmf", onDigit);
      leg.off("hungup", onHangup);
      recorder.close();
      untrack();
      resolve({ reason, durationMs: frames * 20, ...(digit ? { digit } : {}) });
    };
    const onDigit = ({ digit }: { digit: string }) => {
      if (terminators.includes(digit)) finish("terminator", digit);
    };
    const onHangup = () => finish("hangup");
    const recorder = engine.record({
      path: options.path,
      left: media,
      onFrame: (pcm) => {
        frames += 1;
        let sum = 0;
        for (let i = 0; i < pcm.length; i++) sum += (pcm[i] as number) * (pcm[i] as number);
        quiet = Math.sqrt(sum / pcm.length) < threshold ? quiet + 1 : 0;
        // Stopped from the ticker's own callback: close after this frame is written.
        if (frames >= maxFrames) options.clock.setTimer(0, () => finish("max"));
        else if (quiet >= silenceFrames) options.clock.setTimer(0, () => finish("silence"));
      },
    });
    const untrack = track(recorder);
    leg.on("dtmf", onDigit);
    leg.on("hungup", onHangup);
    if (leg.state === "Ended") finish("hangup");
  });
}
