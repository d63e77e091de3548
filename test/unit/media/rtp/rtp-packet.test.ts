import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ParleyError } from "../../../../src/kernel/parley-error.ts";
import {
  RtpPacket,
  type RtpPacketOptions,
  RtpParseError,
  seqAdd,
  seqDiff,
  seqNewer,
  timestampAdd,
  timestampDiff,
} from "../../../../src/media/index.ts";

/** The packet as plain data, byte arrays as Buffers, for deepEqual. */
function fields(packet: RtpPacket): unknown {
  return {
    payloadType: packet.payloadType,
    sequenceNumber: packet.sequenceNumber,
    timestamp: packet.timestamp,
    ssrc: packet.ssrc,
    marker: packet.marker,
    csrcs: [...packet.csrcs],
    extension:
      packet.extension === null
        ? null
        : { profile: packet.extension.profile, data: Buffer.from(packet.extension.data) },
    paddingLength: packet.paddingLength,
    payload: Buffer.from(packet.payload),
  };
}

function parseError(bytes: Uint8Array): RtpParseError {
  try {
    RtpPacket.parse(bytes);
  } catch (error) {
    assert.ok(error instanceof RtpParseError, `expected an RtpParseError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected RtpPacket.parse to throw");
}

// V=2 P=0 X=0 CC=0 | M=1 PT=0 | seq 0x1234 | ts 0xDEADBEEF | SSRC 0x01020304 | payload ff 7f 00
const HAND_BUILT = Buffer.from("80801234deadbeef01020304ff7f00", "hex");

describe("RtpPacket", () => {
  test("parses a hand-built packet field by field", () => {
    const packet = RtpPacket.parse(HAND_BUILT);
    assert.equal(packet.marker, true);
    assert.equal(packet.payloadType, 0);
    assert.equal(packet.sequenceNumber, 0x1234);
    assert.equal(packet.timestamp, 0xdeadbeef);
    assert.equal(packet.ssrc, 0x01020304);
    assert.deepEqual([...packet.csrcs], []);
    assert.equal(packet.extension, null);
    assert.equal(packet.paddingLength, 0);
    assert.deepEqual(Buffer.from(packet.payload), Buffer.from([0xff, 0x7f, 0x00]));
  });

  test("serializes to the same bytes it was parsed from", () => {
    assert.deepEqual(RtpPacket.parse(HAND_BUILT).serialize(), HAND_BUILT);
  });

  test("builds the exact header bytes from its fields", () => {
    const packet = new RtpPacket({
      payloadType: 8,
      sequenceNumber: 65535,
      timestamp: 160,
      ssrc: 0xcafebabe,
      payload: Buffer.from([1, 2]),
    });
    assert.equal(packet.serialize().toString("hex"), "8008ffff000000a0cafebabe0102");
    assert.equal(packet.byteLength, 14);
  });

  test("returns the payload as a view of the datagram, not a copy", () => {
    const datagram = Buffer.from(HAND_BUILT);
    const packet = RtpPacket.parse(datagram);
    datagram[12] = 0x42;
    assert.equal(packet.payload[0], 0x42);
    assert.equal(packet.payload.buffer, datagram.buffer);
  });

  test("accepts a plain Uint8Array and still returns a Buffer view", () => {
    const bytes = new Uint8Array(HAND_BUILT);
    const packet = RtpPacket.parse(bytes);
    assert.ok(Buffer.isBuffer(packet.payload));
    assert.equal(packet.payload.buffer, bytes.buffer);
  });

  test("parses and preserves CSRCs, the header extension and padding", () => {
    const bytes = Buffer.from(
      [
        "b2", // V=2 P=1 X=1 CC=2
        "e1", // M=1 PT=97
        "0007",
        "00000140",
        "11111111",
        "aaaaaaaa", // CSRC 1
        "bbbbbbbb", // CSRC 2
        "bede0001", // extension profile 0xBEDE, 1 word
        "10ff0000", // extension body
        "0102030405",
        "000003", // 3 octets of padding
      ].join(""),
      "hex",
    );
    const packet = RtpPacket.parse(bytes);
    assert.deepEqual([...packet.csrcs], [0xaaaaaaaa, 0xbbbbbbbb]);
    assert.equal(packet.extension?.profile, 0xbede);
    assert.deepEqual(Buffer.from(packet.extension?.data ?? []), Buffer.from("10ff0000", "hex"));
    assert.equal(packet.paddingLength, 3);
    assert.equal(packet.payloadType, 97);
    assert.deepEqual(Buffer.from(packet.payload), Buffer.from("0102030405", "hex"));
    assert.deepEqual(packet.serialize(), bytes);
  });

  test("serializeInto writes into a caller buffer at an offset and reports the length", () => {
    const packet = RtpPacket.parse(HAND_BUILT);
    const target = Buffer.alloc(64, 0xee);
    const written = packet.serializeInto(target, 10);
    assert.equal(written, HAND_BUILT.length);
    assert.deepEqual(target.subarray(10, 10 + written), HAND_BUILT);
    assert.equal(target[9], 0xee);
    assert.equal(target[10 + written], 0xee);
    assert.throws(() => packet.serializeInto(Buffer.alloc(HAND_BUILT.length - 1)), RangeError);
  });

  test("rejects header fields that do not fit with a RangeError", () => {
    const base: RtpPacketOptions = {
      payloadType: 0,
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: 0,
      payload: Buffer.alloc(0),
    };
    assert.throws(() => new RtpPacket({ ...base, payloadType: 128 }), RangeError);
    assert.throws(() => new RtpPacket({ ...base, sequenceNumber: 65536 }), RangeError);
    assert.throws(() => new RtpPacket({ ...base, csrcs: new Array(16).fill(1) }), RangeError);
    assert.throws(
      () => new RtpPacket({ ...base, extension: { profile: 1, data: new Uint8Array(3) } }),
      RangeError,
    );
  });

  test("throws RtpParseError MEDIA_RTP_PARSE for a version other than 2", () => {
    const bytes = Buffer.from(HAND_BUILT);
    bytes[0] = 0x40; // V=1
    const error = parseError(bytes);
    assert.ok(error instanceof ParleyError);
    assert.equal(error.code, "MEDIA_RTP_PARSE");
    assert.match(error.message, /version/);
  });

  test("throws RtpParseError for a buffer shorter than the fixed header", () => {
    parseError(HAND_BUILT.subarray(0, 11));
    parseError(new Uint8Array(0));
  });

  test("throws RtpParseError when the CSRC list, extension or padding overruns the packet", () => {
    // P=1 with a count equal to the octets after the header is valid: an empty payload.
    assert.equal(RtpPacket.parse(Buffer.from("a000000100000000000000000102", "hex")).payload.length, 0);
    parseError(Buffer.from("81000001000000000000000000", "hex")); // CC=1, 1 octet after header
    parseError(Buffer.from("900000010000000000000000bede00020000", "hex")); // X=1, 2 words declared
    parseError(Buffer.from("a00000010000000000000000010200", "hex")); // P=1, count 0
    parseError(Buffer.from("a000000100000000000000000109", "hex")); // P=1, count 9 > 2
  });
});

describe("sequence and timestamp arithmetic", () => {
  test("seqDiff takes the short way round the 16-bit circle", () => {
    assert.equal(seqDiff(5, 3), 2);
    assert.equal(seqDiff(3, 5), -2);
    assert.equal(seqDiff(0, 65535), 1);
    assert.equal(seqDiff(65535, 0), -1);
    assert.equal(seqDiff(10, 65530), 16);
    assert.equal(seqDiff(32767, 0), 32767);
    assert.equal(seqDiff(32768, 0), -32768);
    assert.equal(seqAdd(65535, 1), 0);
    assert.equal(seqAdd(0, -1), 65535);
    assert.ok(seqNewer(2, 65534));
    assert.ok(!seqNewer(65534, 2));
  });

  test("seqDiff inverts seqAdd for every step within half the circle", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: -32768, max: 32767 }),
        (seq, step) => {
          assert.equal(seqDiff(seqAdd(seq, step), seq), step);
        },
      ),
    );
  });

  test("timestamp arithmetic wraps at 2^32", () => {
    assert.equal(timestampAdd(0xffffff00, 0x200), 0x100);
    assert.equal(timestampAdd(0, -160), 0xffffff60);
    assert.equal(timestampDiff(0x100, 0xffffff00), 0x200);
    assert.equal(timestampDiff(0xffffff00, 0x100), -0x200);
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        (ts, step) => {
          assert.equal(timestampDiff(timestampAdd(ts, step), ts), step);
        },
      ),
    );
  });
});

describe("RtpPacket properties", () => {
  const word = fc.nat({ max: 0xffffffff });
  const packetOptions: fc.Arbitrary<RtpPacketOptions> = fc.record({
    payloadType: fc.integer({ min: 0, max: 127 }),
    sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
    timestamp: word,
    ssrc: word,
    marker: fc.boolean(),
    csrcs: fc.array(word, { maxLength: 15 }),
    extension: fc.option(
      fc.record({
        profile: fc.integer({ min: 0, max: 0xffff }),
        data: fc
          .integer({ min: 0, max: 8 })
          .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
      }),
      { nil: null },
    ),
    paddingLength: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 300 }),
  });

  test("serialize then parse is the identity for any header and payload", () => {
    fc.assert(
      fc.property(packetOptions, (options) => {
        const packet = new RtpPacket(options);
        const bytes = packet.serialize();
        assert.equal(bytes.length, packet.byteLength);
        const parsed = RtpPacket.parse(bytes);
        assert.deepEqual(fields(parsed), fields(packet));
        assert.deepEqual(parsed.serialize(), bytes);
      }),
      { numRuns: 500 },
    );
  });

  test("parse of arbitrary bytes either succeeds or throws RtpParseError, never anything else", () => {
    const datagram = fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 120 })).map(([version2, bytes]) => {
      // Half the inputs claim version 2 so that parsing gets past the first check.
      if (version2 && bytes.length > 0) bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x80;
      return bytes;
    });
    fc.assert(
      fc.property(datagram, (bytes) => {
        try {
          const packet = RtpPacket.parse(bytes);
          assert.equal(packet.byteLength, bytes.length);
        } catch (error) {
          if (!(error instanceof RtpParseError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
