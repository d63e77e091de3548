/**
 * G.711 µ-law (PCMU) and A-law (PCMA) between 16-bit linear PCM at 8 kHz and 8-bit RTP payloads,
 * one octet per sample, RFC 3551 §4.5.14: https://www.rfc-editor.org/rfc/rfc3551#section-4.5.14
 *
 * The companding itself comes from the npm package `alawmulaw`; this module wraps it in strict types,
 * decodes through 256-entry tables and can write into caller-provided arrays, so the 20 ms media path
 * need not allocate.
 */
import alawmulaw from "alawmulaw";

/** The RFC 3551 encoding names, as they appear in SDP `a=rtpmap`. */
export type G711Encoding = "PCMU" | "PCMA";

/** RFC 3551 Table 4: the static payload types of the two laws. */
export const G711_PAYLOAD_TYPES: Readonly<Record<G711Encoding, number>> = Object.freeze({ PCMU: 0, PCMA: 8 });

/** The part of alawmulaw's per-law API that Parley uses, typed for strict TS. */
interface CompandingLaw {
  encodeSample(sample: number): number;
  decodeSample(sample: number): number;
}

const LAWS: Readonly<Record<G711Encoding, CompandingLaw>> = {
  PCMU: alawmulaw.mulaw,
  PCMA: alawmulaw.alaw,
};

function decodeTable(law: CompandingLaw): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = law.decodeSample(code);
  return table;
}

const DECODE_TABLES: Readonly<Record<G711Encoding, Int16Array>> = {
  PCMU: decodeTable(LAWS.PCMU),
  PCMA: decodeTable(LAWS.PCMA),
};

/**
 * Encoding through 65,536-entry tables (one octet per 16-bit sample, 64 KiB per law), filled from
 * alawmulaw on first use: the conference mixer encodes every participant's frame every 20 ms.
 */
const ENCODE_TABLES: Partial<Record<G711Encoding, Uint8Array>> = {};

function encodeTable(encoding: G711Encoding): Uint8Array {
  let table = ENCODE_TABLES[encoding];
  if (!table) {
    const law = LAWS[encoding];
    table = new Uint8Array(65536);
    for (let sample = -32768; sample < 32768; sample++)
      table[sample + 32768] = law.encodeSample(sample) & 0xff;
    ENCODE_TABLES[encoding] = table;
  }
  return table;
}

/** True for the two encoding names this module handles (case as in RFC 3551). */
export function isG711Encoding(name: string): name is G711Encoding {
  return name === "PCMU" || name === "PCMA";
}

/** The linear value of one G.711 code in `encoding` (for tables and tests). */
export function decodeG711Sample(encoding: G711Encoding, code: number): number {
  return DECODE_TABLES[encoding][code & 0xff] ?? 0;
}

/** The G.711 code of one 16-bit linear sample in `encoding`. */
export function encodeG711Sample(encoding: G711Encoding, sample: number): number {
  // alawmulaw's µ-law encoder returns the code as a negative 32-bit number; keep the low octet.
  return LAWS[encoding].encodeSample(sample) & 0xff;
}

/**
 * Encodes linear PCM (normally one 20 ms frame of 160 samples) into a G.711 payload, one octet per
 * sample. Writes into `into` when given (it must be exactly `pcm.length` octets long) and returns it.
 */
export function encodeG711(encoding: G711Encoding, pcm: Int16Array, into?: Uint8Array): Uint8Array {
  const out = into ?? Buffer.allocUnsafe(pcm.length);
  if (out.length !== pcm.length) {
    throw new RangeError(`encodeG711: output holds ${out.length} octets for ${pcm.length} samples`);
  }
  const table = encodeTable(encoding);
  // Every 16-bit sample indexes the 65,536-entry table, so neither lookup can miss.
  const length = pcm.length;
  for (let i = 0; i < length; i++) out[i] = table[(pcm[i] as number) + 32768] as number;
  return out;
}

/**
 * Decodes a G.711 payload (normally 160 octets, one 20 ms frame) into linear PCM. Writes into `into`
 * when given (it must be exactly `payload.length` samples long) and returns it.
 */
export function decodeG711(encoding: G711Encoding, payload: Uint8Array, into?: Int16Array): Int16Array {
  const out = into ?? new Int16Array(payload.length);
  if (out.length !== payload.length) {
    throw new RangeError(`decodeG711: output holds ${out.length} samples for ${payload.length} octets`);
  }
  const table = DECODE_TABLES[encoding];
  for (let i = 0; i < payload.length; i++) out[i] = table[payload[i] ?? 0] ?? 0;
  return out;
}

/** µ-law (PCMU) encode; see `encodeG711`. */
export function encodeMulaw(pcm: Int16Array, into?: Uint8Array): Uint8Array {
  return encodeG711("PCMU", pcm, into);
}

/** µ-law (PCMU) decode; see `decodeG711`. */
export function decodeMulaw(payload: Uint8Array, into?: Int16Array): Int16Array {
  return decodeG711("PCMU", payload, into);
}

/** A-law (PCMA) encode; see `encodeG711`. */
export function encodeAlaw(pcm: Int16Array, into?: Uint8Array): Uint8Array {
  return encodeG711("PCMA", pcm, into);
}

/** A-law (PCMA) decode; see `decodeG711`. */
export function decodeAlaw(payload: Uint8Array, into?: Int16Array): Int16Array {
  return decodeG711("PCMA", payload, into);
}
