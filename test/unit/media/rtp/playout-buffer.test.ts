import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PlayoutBuffer, RtpPacket } from "../../../../src/media/index.ts";

const packet = (sequenceNumber: number) =>
  new RtpPacket({
    payloadType: 0,
    sequenceNumber,
    timestamp: (sequenceNumber * 160) >>> 0,
    ssrc: 1,
    payload: new Uint8Array(160),
  });

describe("PlayoutBuffer", () => {
  test("plays in sequence order from depth frames on; a missing frame is reported, a late one dropped", () => {
    const buffer = new PlayoutBuffer(2);
    buffer.push(packet(11));
    assert.equal(buffer.pop(), undefined, "not started before two frames");
    buffer.push(packet(10));
    assert.equal(buffer.pop()?.sequenceNumber, 10);
    assert.equal(buffer.pop()?.sequenceNumber, 11);
    buffer.push(packet(13));
    assert.equal(buffer.pop(), undefined, "12 is missing");
    buffer.push(packet(12));
    assert.equal(buffer.stats.late, 1, "12 came after its turn: dropped, while 13 waits (no resync)");
    assert.equal(buffer.pop()?.sequenceNumber, 13);
    assert.deepEqual(buffer.stats, { late: 1, missing: 1, played: 3, resyncs: 0 });
  });

  test("a stream that fell behind the playout point (ticks that caught up after a stall) is picked up again", () => {
    const buffer = new PlayoutBuffer(2);
    let seq = 100;
    buffer.push(packet(seq++));
    buffer.push(packet(seq++));
    for (let i = 0; i < 10; i++) {
      assert.ok(buffer.pop(), `frame ${i}`);
      buffer.push(packet(seq++));
    }
    // The consumer ticks three times while the packets for those ticks are still queued.
    for (let i = 0; i < 3; i++) buffer.pop();
    // They arrive now, all behind the playout point, and so does the rest of the stream.
    const heard: number[] = [];
    for (let i = 0; i < 12; i++) {
      buffer.push(packet(seq - 2 + i));
      const frame = buffer.pop();
      if (frame) heard.push(frame.sequenceNumber);
    }
    assert.equal(buffer.stats.resyncs, 1);
    assert.ok(heard.length >= 8, `playout resumed: ${heard}`);
    for (let i = 1; i < heard.length; i++) assert.equal(heard[i], (heard[i - 1] as number) + 1);
  });
});
