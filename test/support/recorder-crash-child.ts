// Child process for the recorder crash test: records a call (1 kHz from the caller, 2 kHz from
// the callee, real time) and prints "frames N" every 10 recorded frames until it is killed.
// Usage: node --import tsx test/support/recorder-crash-child.ts <wav-path>
import { SystemClock } from "../../src/kernel/clock.ts";
import { encodeG711, Recorder } from "../../src/media/index.ts";
import { mediaLeg, toneFrame } from "./media-legs.ts";

const [path] = process.argv.slice(2);
if (!path) throw new Error("usage: recorder-crash-child.ts <wav-path>");
const clock = new SystemClock();
const caller = await mediaLeg("PCMU", clock);
const callee = await mediaLeg("PCMA", clock);
const recorder = new Recorder({
  path,
  clock,
  left: caller.endpoint,
  right: callee.endpoint,
  flushEveryFrames: 10,
});
let frame = 0;
let reported = 0;
const timer = setInterval(() => {
  caller.peer.send(encodeG711("PCMU", toneFrame(1000, frame)), { payloadType: 0 });
  callee.peer.send(encodeG711("PCMA", toneFrame(2000, frame)), { payloadType: 8 });
  frame += 1;
  const flushed = Math.floor(recorder.framesWritten / 10) * 10;
  if (flushed > reported) {
    reported = flushed;
    process.stdout.write(`frames ${flushed}\n`);
  }
  // Never outlive a test that forgot to kill us.
  if (frame > 3000) {
    clearInterval(timer);
    process.exit(1);
  }
}, 20);
