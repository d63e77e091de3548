/**
 * DTMF carried in SIP INFO bodies (the out-of-band alternative to RFC 4733):
 *
 * - `application/dtmf-relay` (Cisco style, the de facto standard): `Signal=5\r\nDuration=160\r\n`,
 *   Duration in milliseconds. Keys are case-insensitive, whitespace around `=` is allowed, and lines
 *   may end in CRLF or LF. Some phones send `Signal=10`/`11` for `*`/`#` (the RFC 4733 event codes);
 *   those are accepted as event codes 10–15. Unknown keys are ignored.
 * - `application/dtmf`: the bare digit (optionally followed by a line break).
 *
 * Only the body is handled here; the SIP side (Content-Type, INFO) stays in sip/ and calls/.
 */
import { DtmfParseError } from "../errors.ts";
import { DTMF_DIGITS, type DtmfDigit, normalizeDtmfDigit } from "./telephone-event.ts";

export const DTMF_RELAY_CONTENT_TYPE = "application/dtmf-relay";
export const DTMF_CONTENT_TYPE = "application/dtmf";

/** Duration assumed when a dtmf-relay body has no Duration line. */
export const DTMF_RELAY_DEFAULT_DURATION_MS = 250;
/** Largest Duration accepted, in milliseconds (a minute; anything longer is garbage). */
export const DTMF_RELAY_MAX_DURATION_MS = 60_000;

export interface DtmfRelay {
  readonly digit: DtmfDigit;
  readonly durationMs: number;
}

function parseSignal(value: string): DtmfDigit {
  if (/^\d{2}$/.test(value)) {
    const digit = DTMF_DIGITS[Number(value)];
    if (digit !== undefined) return digit;
  }
  const digit = value.length === 1 ? normalizeDtmfDigit(value) : undefined;
  if (digit === undefined)
    throw new DtmfParseError(`dtmf-relay Signal is not a DTMF digit: ${JSON.stringify(value)}`);
  return digit;
}

function parseDuration(value: string): number {
  if (!/^\d{1,6}$/.test(value)) {
    throw new DtmfParseError(`dtmf-relay Duration is not a whole number of ms: ${JSON.stringify(value)}`);
  }
  const ms = Number(value);
  if (ms < 1 || ms > DTMF_RELAY_MAX_DURATION_MS) {
    throw new DtmfParseError(`dtmf-relay Duration ${ms} ms is outside 1..${DTMF_RELAY_MAX_DURATION_MS}`);
  }
  return ms;
}

/** Parses an `application/dtmf-relay` body. Throws `DtmfParseError` on a malformed body. */
export function parseDtmfRelay(body: string | Uint8Array): DtmfRelay {
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  let digit: DtmfDigit | undefined;
  let durationMs: number | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new DtmfParseError(`dtmf-relay line is not key=value: ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === "signal") {
      if (digit !== undefined) throw new DtmfParseError("dtmf-relay body has two Signal lines");
      digit = parseSignal(value);
    } else if (key === "duration") {
      if (durationMs !== undefined) throw new DtmfParseError("dtmf-relay body has two Duration lines");
      durationMs = parseDuration(value);
    }
  }
  if (digit === undefined) throw new DtmfParseError("dtmf-relay body has no Signal line");
  return { digit, durationMs: durationMs ?? DTMF_RELAY_DEFAULT_DURATION_MS };
}

/** Builds `Signal=<digit>\r\nDuration=<ms>\r\n`. Invalid input is a programming error (RangeError). */
export function buildDtmfRelay({ digit, durationMs }: { digit: string; durationMs: number }): string {
  const normalized = normalizeDtmfDigit(digit);
  if (normalized === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  if (!Number.isInteger(durationMs) || durationMs < 1 || durationMs > DTMF_RELAY_MAX_DURATION_MS) {
    throw new RangeError(
      `DTMF duration must be an integer 1..${DTMF_RELAY_MAX_DURATION_MS} ms, got ${durationMs}`,
    );
  }
  return `Signal=${normalized}\r\nDuration=${durationMs}\r\n`;
}

/** Parses an `application/dtmf` body: one digit, surrounding whitespace allowed. */
export function parseDtmfBody(body: string | Uint8Array): DtmfDigit {
  const text = (typeof body === "string" ? body : Buffer.from(body).toString("utf8")).trim();
  const digit = text.length === 1 ? normalizeDtmfDigit(text) : undefined;
  if (digit === undefined)
    throw new DtmfParseError(`application/dtmf body is not one digit: ${JSON.stringify(text)}`);
  return digit;
}

/** Builds an `application/dtmf` body: the bare digit. */
export function buildDtmfBody(digit: string): string {
  const normalized = normalizeDtmfDigit(digit);
  if (normalized === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return normalized;
}
