import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ParleyError } from "../../../../src/kernel/parley-error.ts";
import {
  DTMF_DIGITS,
  DtmfParseError,
  decodeTelephoneEvent,
  digitToEvent,
  encodeTelephoneEvent,
  eventToDigit,
  type ReceivedDigit,
  type TelephoneEventPacket,
  TelephoneEventReceiver,
  TelephoneEventSender,
  timestampAdd,
} from "../../../../src/media/index.ts";

/** Feeds packets (with absolute timestamps) to a receiver and collects every reported digit, flush included. */
function receiveAll(
  packets: readonly { timestamp: number; packet: TelephoneEventPacket }[],
): ReceivedDigit[] {
  const receiver = new TelephoneEventReceiver();
  const out: ReceivedDigit[] = [];
  for (const { timestamp, packet } of packets) {
    out.push(...receiver.receive(timestamp, packet.marker, packet.payload));
  }
  const last = receiver.flush();
  if (last !== undefined) out.push(last);
  return out;
}

function at(timestamp: number, packets: readonly TelephoneEventPacket[]) {
  return packets.map((packet) => ({ timestamp: timestamp + packet.timestampOffset, packet }));
}

describe("telephone-event payload (RFC 4733 §2.3)", () => {
  test("encodeTelephoneEvent writes event, E bit, volume and duration as known bytes", () => {
    assert.deepEqual(
      encodeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 160 }),
      Buffer.from([0x05, 0x0a, 0x00, 0xa0]),
    );
    assert.deepEqual(
      encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 1000 }),
      Buffer.from([0x0b, 0x8a, 0x03, 0xe8]),
    );
    assert.deepEqual(
      encodeTelephoneEvent({ event: 15, end: true, volume: 63, duration: 0xffff }),
      Buffer.from([0x0f, 0xbf, 0xff, 0xff]),
    );
  });

  test("decodeTelephoneEvent reads the fields and ignores the R bit", () => {
    assert.deepEqual(decodeTelephoneEvent(Buffer.from([0x0b, 0x8a, 0x03, 0xe8])), {
      event: 11,
      end: true,
      volume: 10,
      duration: 1000,
    });
    assert.deepEqual(decodeTelephoneEvent(Buffer.from([0x01, 0x4a, 0x00, 0xa0])), {
      event: 1,
      end: false,
      volume: 10,
      duration: 160,
    });
  });

  test("decodeTelephoneEvent rejects a payload shorter than 4 octets with a DtmfParseError", () => {
    const error = (() => {
      try {
        decodeTelephoneEvent(Buffer.from([1, 2, 3]));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof DtmfParseError);
    assert.ok(error instanceof ParleyError);
    assert.equal(error.code, "MEDIA_DTMF_PARSE");
  });

  test("encodeTelephoneEvent refuses out-of-range fields", () => {
    assert.throws(() => encodeTelephoneEvent({ event: 256, end: false, volume: 0, duration: 0 }), RangeError);
    assert.throws(() => encodeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 }), RangeError);
    assert.throws(
      () => encodeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 0x10000 }),
      RangeError,
    );
  });

  test("encode and decode round-trip every field combination", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 0xffff }),
        (event, end, volume, duration) => {
          const value = { event, end, volume, duration };
          assert.deepEqual(decodeTelephoneEvent(encodeTelephoneEvent(value)), value);
        },
      ),
    );
  });

  test("digits map to event codes 0-15 in RFC 4733 §3.2 order, a-d accepted in lower case", () => {
    assert.deepEqual(
      DTMF_DIGITS.map((d) => digitToEvent(d)),
      Array.from({ length: 16 }, (_, i) => i),
    );
    assert.equal(digitToEvent("*"), 10);
    assert.equal(digitToEvent("#"), 11);
    assert.equal(digitToEvent("d"), 15);
    assert.equal(eventToDigit(12), "A");
    assert.equal(eventToDigit(16), undefined);
    assert.throws(() => digitToEvent("E"), RangeError);
  });
});

describe("TelephoneEventSender (RFC 4733 §2.5.1)", () => {
  test("TelephoneEventSender emits a marked start, 20 ms updates and three end packets with one timestamp", () => {
    const packets = new TelephoneEventSender().packets("5", 100);
    assert.deepEqual(
      packets.map((p) => [p.marker, p.end, p.duration, p.sendOffset, p.timestampOffset]),
      [
        [true, false, 160, 160, 0],
        [false, false, 320, 320, 0],
        [false, false, 480, 480, 0],
        [false, false, 640, 640, 0],
        [false, true, 800, 800, 0],
        [false, true, 800, 960, 0],
        [false, true, 800, 1120, 0],
      ],
    );
    assert.deepEqual(packets[0]?.payload, Buffer.from([0x05, 0x0a, 0x00, 0xa0]));
    assert.deepEqual(packets[4]?.payload, Buffer.from([0x05, 0x8a, 0x03, 0x20]));
    assert.equal(packets[6]?.sendOffsetMs, 140);
  });

  test("TelephoneEventSender marks the first end packet when the event lasts one interval or less", () => {
    const packets = new TelephoneEventSender().packets("#", 20);
    assert.deepEqual(
      packets.map((p) => [p.marker, p.end, p.duration]),
      [
        [true, true, 160],
        [false, true, 160],
        [false, true, 160],
      ],
    );
  });

  test("TelephoneEventSender ends on the exact duration when it is not a whole number of intervals", () => {
    const packets = new TelephoneEventSender({ volume: 20 }).packets("a", 70);
    assert.deepEqual(
      packets.map((p) => p.duration),
      [160, 320, 480, 560, 560, 560],
    );
    assert.equal(decodeTelephoneEvent(packets[0]?.payload ?? Buffer.alloc(0)).event, 12);
    assert.equal(decodeTelephoneEvent(packets[0]?.payload ?? Buffer.alloc(0)).volume, 20);
  });

  test("TelephoneEventSender refuses bad digits and durations beyond the 16-bit field", () => {
    const sender = new TelephoneEventSender();
    assert.throws(() => sender.packets("x", 100), RangeError);
    assert.throws(() => sender.packets("1", 0), RangeError);
    assert.throws(() => sender.packets("1", 9000), RangeError);
  });
});

describe("TelephoneEventReceiver (RFC 4733 §2.5.2)", () => {
  test("a sender→receiver round trip reports every digit once, in order, with its duration", () => {
    const sender = new TelephoneEventSender();
    const base = 0xfffff000; // crosses the 32-bit timestamp wrap
    const stream = DTMF_DIGITS.flatMap((digit, i) =>
      at(timestampAdd(base, i * 2400), sender.packets(digit, 80 + 20 * (i % 4))),
    );
    const got = receiveAll(stream);
    assert.deepEqual(
      got.map((d) => [d.digit, d.durationMs, d.complete]),
      DTMF_DIGITS.map((digit, i) => [digit, 80 + 20 * (i % 4), true]),
    );
    assert.equal(got[0]?.timestamp, base);
    assert.equal(got[2]?.timestamp, timestampAdd(base, 4800));
  });

  test("TelephoneEventReceiver reports the digit at its first end packet and ignores the retransmissions", () => {
    const receiver = new TelephoneEventReceiver();
    const packets = new TelephoneEventSender().packets("7", 60);
    const results = packets.map((p) => receiver.receive(1000, p.marker, p.payload));
    assert.deepEqual(
      results.map((r) => r.length),
      [0, 0, 1, 0, 0],
    );
    assert.deepEqual(results[2]?.[0], {
      digit: "7",
      event: 7,
      timestamp: 1000,
      duration: 480,
      durationMs: 60,
      volume: 10,
      complete: true,
    });
    assert.equal(receiver.flush(), undefined);
  });

  test("TelephoneEventReceiver still reports a digit whose start packet was lost", () => {
    const packets = new TelephoneEventSender().packets("9", 100).slice(1);
    const got = receiveAll(at(5000, packets));
    assert.deepEqual(
      got.map((d) => [d.digit, d.duration, d.complete]),
      [["9", 800, true]],
    );
  });

  test("TelephoneEventReceiver reports a digit seen only in an end packet", () => {
    const packets = new TelephoneEventSender().packets("B", 100);
    const got = receiveAll(at(5000, packets.slice(-1)));
    assert.deepEqual(
      got.map((d) => [d.digit, d.duration, d.complete]),
      [["B", 800, true]],
    );
  });

  test("TelephoneEventReceiver ignores a whole duplicated packet stream", () => {
    const packets = at(42, new TelephoneEventSender().packets("0", 100));
    const got = receiveAll([...packets, ...packets, ...packets]);
    assert.equal(got.length, 1);
  });

  test("TelephoneEventReceiver closes a digit whose end packets were lost when the next one starts", () => {
    const sender = new TelephoneEventSender();
    const first = sender.packets("1", 100).filter((p) => !p.end);
    const second = sender.packets("2", 100);
    const receiver = new TelephoneEventReceiver();
    for (const p of first) assert.deepEqual(receiver.receive(0, p.marker, p.payload), []);
    const [start] = second;
    assert.ok(start);
    const closed = receiver.receive(2000, start.marker, start.payload);
    assert.deepEqual(
      closed.map((d) => [d.digit, d.duration, d.complete]),
      [["1", 640, false]],
    );
  });

  test("TelephoneEventReceiver flush() reports an unfinished digit once", () => {
    const receiver = new TelephoneEventReceiver();
    const [start] = new TelephoneEventSender().packets("*", 100);
    assert.ok(start);
    receiver.receive(0, true, start.payload);
    assert.equal(receiver.flush()?.digit, "*");
    assert.equal(receiver.flush(), undefined);
    assert.deepEqual(receiver.receive(0, true, start.payload), []);
  });

  test("TelephoneEventReceiver ignores late packets of an older event, non-DTMF events and short payloads", () => {
    const sender = new TelephoneEventSender();
    const receiver = new TelephoneEventReceiver();
    const one = sender.packets("1", 40);
    const two = sender.packets("2", 40);
    const reported: string[] = [];
    for (const p of two) reported.push(...receiver.receive(800, p.marker, p.payload).map((d) => d.digit));
    for (const p of one) reported.push(...receiver.receive(0, p.marker, p.payload).map((d) => d.digit));
    assert.deepEqual(receiver.receive(2000, true, Buffer.from([16, 0x0a, 0, 160])), []);
    assert.deepEqual(receiver.receive(2000, true, Buffer.from([1, 2])), []);
    assert.deepEqual(reported, ["2"]);
    assert.equal(receiver.ignored, 2);
    assert.equal(receiver.flush(), undefined);
  });

  test("random loss, duplication and reordering of a digit's packets never reports it twice or wrongly", () => {
    const sender = new TelephoneEventSender();
    fc.assert(
      fc.property(
        fc.constantFrom(...DTMF_DIGITS),
        fc.integer({ min: 1, max: 20 }).map((n) => n * 10),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (digit, durationMs, timestamp, picks, keys) => {
          const packets = sender.packets(digit, durationMs);
          // Each pick chooses one packet (with repetition: duplicates; omissions: loss); keys shuffle.
          const chosen = picks.map((p, i) => ({ packet: packets[p % packets.length], key: keys[i] ?? i }));
          chosen.sort((a, b) => a.key - b.key);
          const stream = chosen.flatMap(({ packet }) => (packet ? [{ timestamp, packet }] : []));
          const got = receiveAll(stream);
          assert.ok(got.length <= 1, `reported ${got.length} digits`);
          assert.equal(got.length, stream.length > 0 ? 1 : 0);
          for (const d of got) {
            assert.equal(d.digit, digit);
            assert.equal(d.timestamp, timestamp);
            const expected = Math.max(...stream.map((s) => s.packet.duration));
            assert.equal(d.duration, expected);
            if (stream.some((s) => s.packet.end)) assert.equal(d.durationMs, durationMs);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("random disorder across a run of digits never reports a timestamp twice nor a digit at the wrong timestamp", () => {
    const sender = new TelephoneEventSender();
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...DTMF_DIGITS), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 80 }),
        (digits, picks) => {
          const all = digits.flatMap((digit, i) => at(i * 2000, sender.packets(digit, 100)));
          const chosen = picks
            .map(([p, key]) => ({ item: all[p % all.length], key: (p % all.length) + (key % 12) - 6 }))
            .sort((a, b) => a.key - b.key);
          const got = receiveAll(chosen.flatMap(({ item }) => (item ? [item] : [])));
          const timestamps = got.map((d) => d.timestamp);
          assert.equal(new Set(timestamps).size, timestamps.length);
          for (const d of got) assert.equal(d.digit, digits[d.timestamp / 2000]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
