import type { CallRecordWithLegs } from "./cdr-feed.ts";

const iso = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString());

/** The columns of a CDR export, one row per call, in this order. Times are ISO 8601 UTC. */
const COLUMNS: ReadonlyArray<readonly [name: string, value: (r: CallRecordWithLegs) => string]> = [
  ["id", (r) => r.id],
  ["kind", (r) => r.kind],
  ["from", (r) => r.from],
  ["to", (r) => r.to],
  ["caller", (r) => r.caller ?? ""],
  ["callee", (r) => r.callee ?? ""],
  ["service", (r) => r.service],
  ["startedAt", (r) => iso(r.startedAt)],
  ["answeredAt", (r) => iso(r.answeredAt)],
  ["endedAt", (r) => iso(r.endedAt)],
  ["disposition", (r) => r.disposition ?? ""],
  ["sipStatus", (r) => (r.sipStatus === undefined ? "" : String(r.sipStatus))],
  ["cause", (r) => r.cause ?? ""],
  ["reason", (r) => r.reason ?? ""],
  ["legs", (r) => String(r.legs.length)],
  ["payer", (r) => r.payer ?? ""],
  ["cost", (r) => (r.cost === undefined ? "" : String(r.cost))],
  ["currency", (r) => r.currency ?? ""],
  ["priority", (r) => (r.priority === undefined ? "" : String(r.priority))],
  ["node", (r) => r.node ?? ""],
];

/** The header line of a CDR export, with its CRLF (RFC 4180 §2). */
export function cdrCsvHeader(): string {
  return `${COLUMNS.map(([name]) => name).join(",")}\r\n`;
}

/** One call as a CSV line with its CRLF; fields holding a comma, quote, CR or LF are quoted. */
export function cdrCsvRow(record: CallRecordWithLegs): string {
  return `${COLUMNS.map(([, value]) => csvField(value(record))).join(",")}\r\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
