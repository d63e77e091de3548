import type { RtpPacket } from "./rtp-packet.ts";
import { seqDiff } from "./rtp-packet.ts";

/**
 * A small jitter buffer for mixing and recording: packets are held by sequence number and taken
 * out one 20 ms frame per tick. A frame that has not arrived when its turn comes is reported as
 * missing (the caller plays silence), so every consumer stays in step with the wall clock. Late
 * packets (behind the playout point) and duplicates are dropped; a jump of more than `depth * 50`
 * sequence numbers resynchronises.
 */
export class PlayoutBuffer {
  readonly #depth: number;
  readonly #frames = new Map<number, RtpPacket>();
  #next: number | undefined;
  readonly stats = { late: 0, missing: 0, played: 0 };

  /** `depth`: frames held before playout starts (2 = 40 ms of jitter absorbed). */
  constructor(depth = 2) {
    this.#depth = depth;
  }

  push(packet: RtpPacket): void {
    const seq = packet.sequenceNumber;
    if (this.#next !== undefined) {
      const ahead = seqDiff(seq, this.#next);
      if (ahead < 0) {
        this.stats.late += 1;
        return;
      }
      if (ahead > this.#depth * 50) {
        this.#frames.clear();
        this.#next = undefined;
      }
    }
    this.#frames.set(seq, packet);
    if (this.#next === undefined && this.#frames.size >= this.#depth) {
      this.#next = [...this.#frames.keys()].reduce((a, b) => (seqDiff(b, a) < 0 ? b : a));
    }
  }

  /** The packet for this tick, or undefined when it is missing (or playout has not started). */
  pop(): RtpPacket | undefined {
    if (this.#next === undefined) return undefined;
    const packet = this.#frames.get(this.#next);
    this.#frames.delete(this.#next);
    this.#next = (this.#next + 1) & 0xffff;
    if (packet) this.stats.played += 1;
    else this.stats.missing += 1;
    return packet;
  }
}
