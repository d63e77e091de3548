/**
 * Call detail records: the store port call control writes to, the in-memory store, and the CSV
 * form. Imported from here (not from the files) by storage/, http/ and cli/.
 */
export type {
  CallRecord,
  CdrDisposition,
  CdrQuery,
  CdrStore,
  LegRecord,
} from "./call-detail-record.ts";
export { cdrCsvHeader, cdrCsvRow } from "./cdr-csv.ts";
export { CDR_DISPOSITIONS } from "./cdr-dispositions.ts";
export type { CallRecordWithLegs, CdrFeed, EndedCdrQuery } from "./cdr-feed.ts";
export { cdrPageSize, MemoryCdrStore } from "./memory-cdr-store.ts";
