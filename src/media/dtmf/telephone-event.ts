/**
 * RFC 4733 telephone-events for DTMF: the 4-octet payload (§2.3), the packet sequence a sender
 * emits for one digit (§2.5.1), and a receiver that turns a packet stream back into digits, once
 * each, whatever the loss, duplication or reordering (§2.5.2).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { DtmfParseError } from "../errors.ts";
import { timestampDiff } from "../rtp/rtp-packet.ts";

/** The sixteen DTMF digits, in RFC 4733 §3.2 event-code order (0–9, *, #, A–D). */
export const DTMF_DIGITS = [
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
  "*",
  "#",
  "A",
  "B",
  "C",
  "D",
] as const;

export type DtmfDigit = (typeof DTMF_DIGITS)[number];

/** Octets of one telephone-event payload. */
export const TELEPHONE_EVENT_PAYLOAD_LENGTH = 4;
/** The largest value of the 16-bit duration field, in RTP timestamp units. */
export const TELEPHONE_EVENT_MAX_DURATION = 0xffff;

/** True for one of the sixteen digits (upper-case A–D only; see `normalizeDtmfDigit`). */
export function isDtmfDigit(value: string): value is DtmfDigit {
  return (DTMF_DIGITS as readonly string[]).includes(value);
}

/** The digit for a one-character string, accepting lower-case a–d; undefined otherwise. */
export function normalizeDtmfDigit(value: string): DtmfDigit | undefined {
  const upper = value.toUpperCase();
  return isDtmfDigit(upper) ? upper : undefined;
}

/** Event code 0–15 for a digit (§3.2). Throws a RangeError for anything else (a programming error). */
export function digitToEvent(digit: string): number {
  const normalized = normalizeDtmfDigit(digit);
  if (normalized === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return DTMF_DIGITS.indexOf(normalized);
}

/** The digit for event code 0–15; undefined for other events (flash 16, tones …). */
export function eventToDigit(event: number): DtmfDigit | undefined {
  return Number.isInteger(event) ? DTMF_DIGITS[event] : undefined;
}

/** One decoded telephone-event payload. */
export interface TelephoneEvent {
  /** Event code 0–255 (0–15 are the DTMF digits). */
  readonly event: number;
  /** The E bit: this packet ends the event. */
  readonly end: boolean;
  /** Power level as -dBm0, 0–63 (larger is quieter). */
  readonly volume: number;
  /** Duration so far, in RTP timestamp units, 0–65535. */
  readonly duration: number;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`telephone-event ${name} must be an integer 0..${max}, got ${value}`);
  }
}

/** Writes the 4-octet payload. The R bit is always sent as zero. Out-of-range fields throw RangeError. */
export function encodeTelephoneEvent(event: TelephoneEvent): Buffer {
  checkField("event", event.event, 0xff);
  checkField("volume", event.volume, 0x3f);
  checkField("duration", event.duration, TELEPHONE_EVENT_MAX_DURATION);
  const out = Buffer.allocUnsafe(TELEPHONE_EVENT_PAYLOAD_LENGTH);
  out[0] = event.event;
  out[1] = (event.end ? 0x80 : 0) | event.volume;
  out.writeUInt16BE(event.duration, 2);
  return out;
}

/**
 * Reads the first 4 octets of a payload; the R bit is ignored as §2.3 requires. Octets after the
 * first event are ignored (RFC 2198 redundancy is not unpacked here). Throws `DtmfParseError` when
 * the payload is shorter than 4 octets.
 */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < TELEPHONE_EVENT_PAYLOAD_LENGTH) {
    throw new DtmfParseError(
      `telephone-event payload needs ${TELEPHONE_EVENT_PAYLOAD_LENGTH} octets, got ${payload.length}`,
    );
  }
  const flags = payload[1] ?? 0;
  return {
    event: payload[0] ?? 0,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0),
  };
}

/** One packet a sender emits; the caller wraps it in RTP (payload type, SSRC, sequence number). */
export interface TelephoneEventPacket {
  readonly payload: Buffer;
  /** RTP marker bit: set on the first packet of the event only (§2.5.1.1). */
  readonly marker: boolean;
  /** Add to the event's start timestamp for the RTP timestamp; 0 for every packet of one event (§2.5.1.2). */
  readonly timestampOffset: number;
  /** When to send it, in timestamp units after the start of the event. */
  readonly sendOffset: number;
  /** The same, in milliseconds. */
  readonly sendOffsetMs: number;
  /** The E bit of the payload. */
  readonly end: boolean;
  /** The duration field of the payload, in timestamp units. */
  readonly duration: number;
}

export interface TelephoneEventSenderOptions {
  /** RTP clock rate of the telephone-event payload type (default 8000). */
  readonly clockRate?: number;
  /** Milliseconds between updates (default 20, matching the audio packetisation). */
  readonly intervalMs?: number;
  /** Power level as -dBm0, 0–63 (default 10). */
  readonly volume?: number;
  /** How many times the end packet is sent (default 3, §2.5.1.4). */
  readonly endPackets?: number;
}

/**
 * Turns a digit into the packets an RFC 4733 sender emits (§2.5.1): the first carries the marker
 * bit, then one update per interval with the growing duration and the same RTP timestamp, then the
 * end packet (E set, final duration) `endPackets` times, one interval apart. It sends nothing
 * itself, so it needs no clock: the caller schedules each packet at `sendOffset`.
 *
 * Events longer than 65535 timestamp units (8.19 s at 8 kHz) would need §2.5.1.3 segments, which DTMF
 * never needs, so they are refused with a RangeError.
 */
export class TelephoneEventSender {
  readonly clockRate: number;
  readonly intervalMs: number;
  readonly volume: number;
  readonly endPackets: number;
  /** The update interval in timestamp units. */
  readonly interval: number;

  constructor({
    clockRate = 8000,
    intervalMs = 20,
    volume = 10,
    endPackets = 3,
  }: TelephoneEventSenderOptions = {}) {
    if (!Number.isInteger(clockRate) || clockRate <= 0) throw new RangeError(`bad clockRate ${clockRate}`);
    checkField("volume", volume, 0x3f);
    if (!Number.isInteger(endPackets) || endPackets < 1) throw new RangeError(`bad endPackets ${endPackets}`);
    const interval = Math.round((intervalMs * clockRate) / 1000);
    if (!(interval > 0)) throw new RangeError(`bad intervalMs ${intervalMs}`);
    this.clockRate = clockRate;
    this.intervalMs = intervalMs;
    this.volume = volume;
    this.endPackets = endPackets;
    this.interval = interval;
  }

  /** Milliseconds to timestamp units at this clock rate. */
  toTimestampUnits(ms: number): number {
    return Math.round((ms * this.clockRate) / 1000);
  }

  /** The packets for one key press of `durationMs` milliseconds (a digit 0-9 * # A-D, or a–d). */
  packets(digit: string, durationMs: number): TelephoneEventPacket[] {
    const event = digitToEvent(digit);
    const total = this.toTimestampUnits(durationMs);
    if (total < 1 || total > TELEPHONE_EVENT_MAX_DURATION) {
      throw new RangeError(
        `DTMF duration ${durationMs} ms is outside 1..${TELEPHONE_EVENT_MAX_DURATION} units`,
      );
    }
    const out: TelephoneEventPacket[] = [];
    const push = (duration: number, end: boolean, sendOffset: number): void => {
      out.push({
        payload: encodeTelephoneEvent({ event, end, volume: this.volume, duration }),
        marker: out.length === 0,
        timestampOffset: 0,
        sendOffset,
        sendOffsetMs: (sendOffset * 1000) / this.clockRate,
        end,
        duration,
      });
    };
    for (let duration = this.interval; duration < total; duration += this.interval) {
      push(duration, false, duration);
    }
    for (let i = 0; i < this.endPackets; i++) push(total, true, total + i * this.interval);
    return out;
  }
}

/** A digit as the receiver reports it, once per event. */
export interface ReceivedDigit {
  readonly digit: DtmfDigit;
  readonly event: number;
  /** The RTP timestamp of the event (its start). */
  readonly timestamp: number;
  /** Longest duration seen, in timestamp units (the final duration when `complete`). */
  readonly duration: number;
  readonly durationMs: number;
  readonly volume: number;
  /** True when an end packet was seen; false when the digit was closed by a later event or `flush()`. */
  readonly complete: boolean;
}

export interface TelephoneEventReceiverOptions {
  /** RTP clock rate of the telephone-event payload type (default 8000). */
  readonly clockRate?: number;
}

interface PendingEvent {
  readonly timestamp: number;
  readonly event: number;
  duration: number;
  volume: number;
}

const NONE: readonly ReceivedDigit[] = Object.freeze([]);

/**
 * Reassembles digits from telephone-event packets (§2.5.2). An event is identified by its RTP
 * timestamp, so the marker bit is not needed: an event first seen at an update or end packet (its
 * start packet lost) is still reported. A digit is reported once, at its first end packet; later
 * packets with that timestamp (retransmitted ends, late updates) and packets older than the newest
 * event are ignored. If no end packet arrives, the digit is reported, incomplete, when the next event
 * starts or on `flush()` (the owner calls it when the stream goes quiet; this class keeps no timers).
 * Events 16–255 and malformed payloads are ignored (counted in `ignored`).
 */
export class TelephoneEventReceiver {
  readonly clockRate: number;
  #pending: PendingEvent | undefined;
  /** Timestamp of the newest event seen (reported or pending). */
  #newest: number | undefined;
  #ignored = 0;

  constructor({ clockRate = 8000 }: TelephoneEventReceiverOptions = {}) {
    this.clockRate = clockRate;
  }

  /** Packets dropped as malformed or as non-DTMF events. */
  get ignored(): number {
    return this.#ignored;
  }

  /**
   * Takes one packet's RTP timestamp, marker bit and payload; returns the digits it completes (none,
   * one, or two when it also closes an earlier event whose end packets were all lost).
   */
  receive(timestamp: number, _marker: boolean, payload: Uint8Array): readonly ReceivedDigit[] {
    if (payload.length < TELEPHONE_EVENT_PAYLOAD_LENGTH) {
      this.#ignored++;
      return NONE;
    }
    const packet = decodeTelephoneEvent(payload);
    if (eventToDigit(packet.event) === undefined) {
      this.#ignored++;
      return NONE;
    }
    const ts = timestamp >>> 0;
    if (this.#newest !== undefined) {
      const age = timestampDiff(ts, this.#newest);
      if (age < 0) return NONE; // a late packet of an older event
      if (age === 0) {
        const pending = this.#pending;
        // Same timestamp: already reported, or a different event code (garbled), or an update.
        if (pending === undefined || pending.event !== packet.event) return NONE;
        if (packet.duration > pending.duration) pending.duration = packet.duration;
        pending.volume = packet.volume;
        if (!packet.end) return NONE;
        this.#pending = undefined;
        return [this.#report(pending, true)];
      }
    }
    // A new event: close the previous one if its end never came.
    const closed = this.#pending === undefined ? undefined : this.#report(this.#pending, false);
    this.#newest = ts;
    const started: PendingEvent = {
      timestamp: ts,
      event: packet.event,
      duration: packet.duration,
      volume: packet.volume,
    };
    if (packet.end) {
      this.#pending = undefined;
      const done = this.#report(started, true);
      return closed === undefined ? [done] : [closed, done];
    }
    this.#pending = started;
    return closed === undefined ? NONE : [closed];
  }

  /** Reports the event in progress, if any, as incomplete (its end packets were lost). */
  flush(): ReceivedDigit | undefined {
    const pending = this.#pending;
    if (pending === undefined) return undefined;
    this.#pending = undefined;
    return this.#report(pending, false);
  }

  /** Forgets all state, e.g. after an SSRC change. */
  reset(): void {
    this.#pending = undefined;
    this.#newest = undefined;
  }

  #report(event: PendingEvent, complete: boolean): ReceivedDigit {
    return {
      digit: DTMF_DIGITS[event.event] ?? "0",
      event: event.event,
      timestamp: event.timestamp,
      duration: event.duration,
      durationMs: (event.duration * 1000) / this.clockRate,
      volume: event.volume,
      complete,
    };
  }
}
