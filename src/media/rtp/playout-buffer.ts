import type { RtpPacket } from "./rtp-packet.ts";
import { seqDiff } from "./rtp-packet.ts";

/**
 * A small jitter buffer for mixing and recording: packets are held by sequence number and taken
 * out one 20 ms frame per tick. A frame that has not arrived when its turn comes is reported as
 * missing (the caller plays silence), so every consumer stays in step with the wall clock. Late
 * packets (behind the playout point) and duplicates are dropped; a jump of more than `depth * 50`
 * sequence numbers resynchronises. So does a stream that has fallen behind the playout point:
 * when `depth` packets in a row arrive late while nothing is buffered (the consumer ticked on
 * while packets waited, e.g. timers that caught up after the event loop stalled), playout starts
 * over from the stream instead of dropping every packet from then on.
 */
export class PlayoutBuffer {
  readonly #depth: number;
  /**
   * Packets by sequence number modulo the ring size. Everything held after playout starts lies
   * within `depth * 50` of the playout point (further ahead resynchronises), so the ring is at
   * least that big and slots never collide; a ring instead of a Map means no hashing and no
   * table rebuilt as packets come and go, 100 times a second per stream.
   */
  readonly #slots: Array<RtpPacket | undefined>;
  readonly #mask: number;
  #count = 0;
  #next: number | undefined;
  /** Late packets in a row that found the buffer empty. */
  #lateRun = 0;
  readonly stats = { late: 0, missing: 0, played: 0, resyncs: 0 };

  /** `depth`: frames held before playout starts (2 = 40 ms of jitter absorbed). */
  constructor(depth = 2) {
    this.#depth = depth;
    let size = 64;
    while (size < depth * 50 + 1) size *= 2;
    this.#slots = new Array<RtpPacket | undefined>(size).fill(undefined);
    this.#mask = size - 1;
  }

  push(packet: RtpPacket): void {
    const seq = packet.sequenceNumber;
    if (this.#next !== undefined) {
      const ahead = seqDiff(seq, this.#next);
      if (ahead < 0) {
        this.#lateRun = this.#count === 0 ? this.#lateRun + 1 : 0;
        if (this.#lateRun < this.#depth) {
          this.stats.late += 1;
          return;
        }
        // Behind for good: start playout again from this packet.
        this.stats.resyncs += 1;
        this.#next = undefined;
      } else if (ahead > this.#depth * 50) {
        this.#slots.fill(undefined);
        this.#count = 0;
        this.#next = undefined;
      }
    }
    this.#lateRun = 0;
    const slot = seq & this.#mask;
    if (this.#slots[slot] === undefined) this.#count += 1;
    this.#slots[slot] = packet;
    if (this.#next === undefined && this.#count >= this.#depth) this.#next = this.#oldest();
  }

  /** The packet for this tick, or undefined when it is missing (or playout has not started). */
  pop(): RtpPacket | undefined {
    const next = this.#next;
    if (next === undefined) return undefined;
    this.#next = (next + 1) & 0xffff;
    const slot = next & this.#mask;
    const packet = this.#slots[slot];
    if (packet === undefined || packet.sequenceNumber !== next) {
      this.stats.missing += 1;
      return undefined;
    }
    this.#slots[slot] = undefined;
    this.#count -= 1;
    this.stats.played += 1;
    return packet;
  }

  /** The earliest sequence number held, in wrapping order (playout starts there). */
  #oldest(): number | undefined {
    let oldest: number | undefined;
    for (const packet of this.#slots) {
      if (packet && (oldest === undefined || seqDiff(packet.sequenceNumber, oldest) < 0))
        oldest = packet.sequenceNumber;
    }
    return oldest;
  }
}
