/**
 * Parley's unit of audio inside the media engine: one 20 ms frame of 16-bit linear PCM at 8 kHz,
 * 160 samples in an `Int16Array`, and the transcoder between the G.711 laws.
 * RFC 3551 §4.5.14 (G.711: 8000 Hz, one octet per sample) and §4.2 (default packetization 20 ms):
 * https://www.rfc-editor.org/rfc/rfc3551#section-4.2
 */
import { decodeG711Sample, encodeG711Sample, type G711Encoding } from "./g711.ts";

/** The frame constants every source, sink and bridge agrees on. */
export const PcmFrame = Object.freeze({
  /** Samples per second. */
  SAMPLE_RATE: 8000,
  /** Frame duration in milliseconds. */
  DURATION_MS: 20,
  /** Samples per frame: 8000 Hz × 20 ms. */
  SAMPLES: 160,
  /** RTP timestamp increment per frame (the G.711 RTP clock is the sample rate). */
  TIMESTAMP_STEP: 160,
  /** Octets of one G.711 frame payload. */
  G711_PAYLOAD_BYTES: 160,
  /** A new, silent frame. */
  create(): Int16Array {
    return new Int16Array(160);
  },
});

/** One 256-entry table per direction: code in one law → code in the other, through linear PCM. */
function crossTable(from: G711Encoding, to: G711Encoding): Uint8Array {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code++) table[code] = encodeG711Sample(to, decodeG711Sample(from, code));
  return table;
}

const CROSS_TABLES: Readonly<Record<`${G711Encoding}>${G711Encoding}`, Uint8Array | null>> = {
  "PCMU>PCMA": crossTable("PCMU", "PCMA"),
  "PCMA>PCMU": crossTable("PCMA", "PCMU"),
  "PCMU>PCMU": null,
  "PCMA>PCMA": null,
};

/**
 * Converts a G.711 payload from one law to the other octet by octet (decode to linear, re-encode).
 * Always returns a new Buffer, a plain copy when `from === to`.
 */
export function transcode(payload: Uint8Array, from: G711Encoding, to: G711Encoding): Buffer {
  const table = CROSS_TABLES[`${from}>${to}`];
  const out = Buffer.allocUnsafe(payload.length);
  if (table === null) {
    out.set(payload);
    return out;
  }
  for (let i = 0; i < payload.length; i++) out[i] = table[payload[i] ?? 0] ?? 0;
  return out;
}
