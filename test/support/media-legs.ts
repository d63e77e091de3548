import assert from "node:assert/strict";
import { type Clock, SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import {
  decodeG711,
  type G711Encoding,
  type MediaEndpoint,
  PortAllocator,
  type RtpPacket,
  RtpSession,
  RtpSocket,
} from "../../src/media/index.ts";
import { sineFrame } from "./tone-probe.ts";

/** Each test process takes its own slice of ports, so parallel test files rarely collide. */
const allocator = new PortAllocator({ min: 30000 + Math.floor(Math.random() * 9000) * 2, max: 59999 });
export const PAYLOAD_TYPES: Record<G711Encoding, number> = { PCMU: 0, PCMA: 8 };

export async function rtpSession(clock: Clock = new SystemClock()): Promise<RtpSession> {
  const socket = await RtpSocket.open({ address: "127.0.0.1", allocator, logger: silentLogger() });
  return new RtpSession({ socket, clock, logger: silentLogger() });
}

/** A phone (`peer`) and the Parley leg facing it, pointed at each other; `heard` is what the phone receives. */
export async function mediaLeg(codec: G711Encoding, clock?: Clock) {
  const peer = await rtpSession();
  const session = await rtpSession(clock);
  peer.setRemote({ address: "127.0.0.1", port: session.port });
  session.setRemote({ address: "127.0.0.1", port: peer.port });
  const endpoint: MediaEndpoint = { session, codec, payloadType: PAYLOAD_TYPES[codec] };
  const heard: RtpPacket[] = [];
  peer.on("packet", (p) => heard.push(p));
  return {
    peer,
    endpoint,
    heard,
    codec,
    close: () => {
      peer.close();
      session.close();
    },
  };
}

/** Frame `frame` of a continuous sine at 30% of full scale. */
export function toneFrame(frequency: number, frame: number): Int16Array {
  return sineFrame(frequency, 8000, 160, 0.3, (frame * 160 * 2 * Math.PI * frequency) / 8000);
}

/** Polls until `condition` holds (bounded: a lost packet fails the test instead of hanging it). */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

/** Everything a phone heard, decoded and joined. */
export function heardAudio(packets: RtpPacket[], codec: G711Encoding): Int16Array {
  const out = new Int16Array(packets.length * 160);
  packets.forEach((p, i) => {
    out.set(decodeG711(codec, p.payload), i * 160);
  });
  return out;
}
