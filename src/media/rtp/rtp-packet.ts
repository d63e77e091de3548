/**
 * The RTP fixed header, CSRC list, header extension and padding of RFC 3550 §5.1 / §5.3.1:
 * https://www.rfc-editor.org/rfc/rfc3550#section-5.1
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Also the wraparound arithmetic that every RTP receiver needs for 16-bit sequence numbers and 32-bit
 * timestamps (RFC 3550 Appendix A.1).
 */
import { RtpParseError } from "../errors.ts";

/** §5.1: "The version defined by this specification is two (2)." */
export const RTP_VERSION = 2;
/** The fixed part of the header: 12 octets before the CSRC list. */
export const RTP_HEADER_LENGTH = 12;
/** §5.1: the CC field is 4 bits, so at most 15 CSRC identifiers. */
export const RTP_MAX_CSRC_COUNT = 15;

/**
 * An RTP header extension (§5.3.1), kept opaque: a 16-bit profile-defined value and the extension body,
 * whose length is a whole number of 32-bit words.
 */
export interface RtpHeaderExtension {
  readonly profile: number;
  /** The extension body without its four-octet header; a view into the packet when parsed. */
  readonly data: Uint8Array;
}

/** Everything that makes an RTP packet; what `new RtpPacket(...)` takes. */
export interface RtpPacketOptions {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
  readonly marker?: boolean;
  readonly csrcs?: readonly number[];
  readonly extension?: RtpHeaderExtension | null;
  /** Number of padding octets, the count octet included (0 = no padding, else 1..255). */
  readonly paddingLength?: number;
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`RtpPacket: ${name} must be an integer in 0..${max}, got ${value}`);
  }
}

/** A view of a Uint8Array as a Buffer over the same memory (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * One RTP data packet. Immutable; `parse` keeps views into the datagram (payload and extension body
 * are subarrays, not copies), so a caller that reuses its receive buffer must copy what it keeps.
 * RFC 3550 §5.1: https://www.rfc-editor.org/rfc/rfc3550#section-5.1
 */
/** Set while parse() builds a packet from fields it has already checked. */
let trustedFields = false;
const NO_CSRCS: readonly number[] = Object.freeze([]);

export class RtpPacket {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtension | null;
  readonly paddingLength: number;
  readonly payload: Buffer;

  /** Throws `RangeError` for field values that do not fit the header: that is a caller bug. */
  constructor({
    payloadType,
    sequenceNumber,
    timestamp,
    ssrc,
    payload,
    marker = false,
    csrcs = [],
    extension = null,
    paddingLength = 0,
  }: RtpPacketOptions) {
    if (!trustedFields)
      RtpPacket.#check({
        payloadType,
        sequenceNumber,
        timestamp,
        ssrc,
        payload,
        csrcs,
        extension,
        paddingLength,
      });
    this.payloadType = payloadType;
    this.sequenceNumber = sequenceNumber;
    this.timestamp = timestamp;
    this.ssrc = ssrc;
    this.marker = marker;
    this.csrcs = csrcs.length === 0 ? NO_CSRCS : Object.freeze([...csrcs]);
    this.extension =
      extension === null ? null : Object.freeze({ profile: extension.profile, data: extension.data });
    this.paddingLength = paddingLength;
    this.payload = asBuffer(payload);
  }

  static #check({
    payloadType,
    sequenceNumber,
    timestamp,
    ssrc,
    csrcs = [],
    extension = null,
    paddingLength = 0,
  }: RtpPacketOptions): void {
    checkUint("payloadType", payloadType, 0x7f);
    checkUint("sequenceNumber", sequenceNumber, 0xffff);
    checkUint("timestamp", timestamp, 0xffffffff);
    checkUint("ssrc", ssrc, 0xffffffff);
    checkUint("paddingLength", paddingLength, 0xff);
    if (csrcs.length > RTP_MAX_CSRC_COUNT) {
      throw new RangeError(`RtpPacket: at most ${RTP_MAX_CSRC_COUNT} CSRCs, got ${csrcs.length}`);
    }
    for (const csrc of csrcs) checkUint("csrc", csrc, 0xffffffff);
    if (extension !== null) {
      checkUint("extension.profile", extension.profile, 0xffff);
      // §5.3.1: the length field "counts the number of 32-bit words in the extension".
      if (extension.data.byteLength % 4 !== 0 || extension.data.byteLength > 0xffff * 4) {
        throw new RangeError(
          `RtpPacket: extension data must be a whole number of 32-bit words (at most 65535), got ${extension.data.byteLength} octets`,
        );
      }
    }
  }

  /**
   * Parses one datagram. Throws `RtpParseError` for anything that fails the RFC 3550 Appendix A.1
   * validity checks that apply to a single packet.
   */
  static parse(datagram: Uint8Array): RtpPacket {
    const bytes = asBuffer(datagram);
    const length = bytes.byteLength;
    if (length < RTP_HEADER_LENGTH) {
      throw new RtpParseError(`RTP packet too short: ${length} octets, the fixed header needs 12`);
    }
    const first = bytes[0] ?? 0;
    const second = bytes[1] ?? 0;
    // §5.1 version (V): "The version defined by this specification is two (2)." A.1: "RTP version
    // field must equal 2."
    const version = first >>> 6;
    if (version !== RTP_VERSION) {
      throw new RtpParseError(`RTP version must be 2, got ${version}`);
    }
    const hasPadding = (first & 0x20) !== 0;
    const hasExtension = (first & 0x10) !== 0;
    const csrcCount = first & 0x0f;

    let offset = RTP_HEADER_LENGTH;
    // §5.1 CSRC list: "0 to 15 items, 32 bits each. ... The number of identifiers is given by the CC field."
    if (length < offset + csrcCount * 4) {
      throw new RtpParseError(`RTP packet too short for ${csrcCount} CSRCs: ${length} octets`);
    }
    let csrcs: readonly number[] = NO_CSRCS;
    if (csrcCount > 0) {
      const list: number[] = [];
      for (let i = 0; i < csrcCount; i++, offset += 4) list.push(bytes.readUInt32BE(offset));
      csrcs = list;
    }

    // §5.3.1: "If the X bit in the RTP header is one, a variable-length header extension MUST be
    // appended to the RTP header, following the CSRC list if present." Its 16-bit length "counts the
    // number of 32-bit words in the extension, excluding the four-octet extension header".
    let extension: RtpHeaderExtension | null = null;
    if (hasExtension) {
      if (length < offset + 4) {
        throw new RtpParseError(`RTP packet too short for its header extension: ${length} octets`);
      }
      const profile = bytes.readUInt16BE(offset);
      const words = bytes.readUInt16BE(offset + 2);
      offset += 4;
      if (length < offset + words * 4) {
        throw new RtpParseError(`RTP header extension of ${words} words overruns the ${length}-octet packet`);
      }
      extension = { profile, data: bytes.subarray(offset, offset + words * 4) };
      offset += words * 4;
    }

    // §5.1 padding (P): "The last octet of the padding contains a count of how many padding octets
    // should be ignored, including itself." A.1: "the last octet of the packet must contain a valid
    // octet count, in particular, less than the total packet length minus the header size."
    let paddingLength = 0;
    if (hasPadding) {
      paddingLength = bytes[length - 1] ?? 0;
      if (paddingLength === 0 || paddingLength > length - offset) {
        throw new RtpParseError(
          `RTP padding count ${paddingLength} is invalid for ${length - offset} octets after the header`,
        );
      }
    }

    trustedFields = true;
    try {
      return new RtpPacket({
        payloadType: second & 0x7f,
        sequenceNumber: bytes.readUInt16BE(2),
        timestamp: bytes.readUInt32BE(4),
        ssrc: bytes.readUInt32BE(8),
        marker: (second & 0x80) !== 0,
        csrcs,
        extension,
        paddingLength,
        payload: bytes.subarray(offset, length - paddingLength),
      });
    } finally {
      trustedFields = false;
    }
  }

  /** The serialized size in octets. */
  get byteLength(): number {
    const extensionLength = this.extension === null ? 0 : 4 + this.extension.data.byteLength;
    return (
      RTP_HEADER_LENGTH +
      this.csrcs.length * 4 +
      extensionLength +
      this.payload.byteLength +
      this.paddingLength
    );
  }

  /** Serializes into a newly allocated Buffer. */
  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }

  /**
   * Serializes into `target` at `offset` without allocating and returns the number of octets written.
   * Throws `RangeError` if the packet does not fit.
   */
  serializeInto(target: Uint8Array, offset = 0): number {
    const size = this.byteLength;
    if (!Number.isInteger(offset) || offset < 0 || offset + size > target.byteLength) {
      throw new RangeError(
        `RtpPacket: ${size} octets do not fit at offset ${offset} of a ${target.byteLength}-octet buffer`,
      );
    }
    const out = asBuffer(target);
    let pos = offset;
    out[pos++] =
      (RTP_VERSION << 6) |
      (this.paddingLength > 0 ? 0x20 : 0) |
      (this.extension !== null ? 0x10 : 0) |
      this.csrcs.length;
    out[pos++] = (this.marker ? 0x80 : 0) | this.payloadType;
    pos = out.writeUInt16BE(this.sequenceNumber, pos);
    pos = out.writeUInt32BE(this.timestamp, pos);
    pos = out.writeUInt32BE(this.ssrc, pos);
    for (const csrc of this.csrcs) pos = out.writeUInt32BE(csrc, pos);
    if (this.extension !== null) {
      pos = out.writeUInt16BE(this.extension.profile, pos);
      pos = out.writeUInt16BE(this.extension.data.byteLength / 4, pos);
      out.set(this.extension.data, pos);
      pos += this.extension.data.byteLength;
    }
    out.set(this.payload, pos);
    pos += this.payload.byteLength;
    if (this.paddingLength > 0) {
      // §5.1: the padding octets are zero here; the last one holds the count, "including itself".
      out.fill(0, pos, pos + this.paddingLength - 1);
      pos += this.paddingLength - 1;
      out[pos++] = this.paddingLength;
    }
    return pos - offset;
  }
}

/**
 * Signed distance `a - b` between two 16-bit RTP sequence numbers, taking wraparound into account:
 * the result lies in -32768..32767, so `seqDiff(0, 65535) === 1` and `seqDiff(65535, 0) === -1`.
 * RFC 3550 §5.1: the sequence number "increments by one for each RTP data packet sent" and wraps at
 * 2^16; Appendix A.1 counts a wrap as a new cycle. Receivers order packets by this difference.
 */
export function seqDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** `seq + n` modulo 2^16 (n may be negative). */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) & 0xffff;
}

/** True when sequence number `a` comes after `b` in the wrapping order. */
export function seqNewer(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/**
 * Signed distance `a - b` between two 32-bit RTP timestamps with wraparound, in -2^31..2^31-1.
 * §5.1: the timestamp "MUST be derived from a clock that increments monotonically and linearly in
 * time", so it wraps modulo 2^32 and differences are taken modulo 2^32.
 */
export function timestampDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `timestamp + n` modulo 2^32, as an unsigned number (n may be negative). */
export function timestampAdd(timestamp: number, n: number): number {
  return (timestamp + n) >>> 0;
}
