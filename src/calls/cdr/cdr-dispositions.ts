import type { CdrDisposition } from "./call-detail-record.ts";

/** Every {@link CdrDisposition}, for schemas and command-line choices. */
export const CDR_DISPOSITIONS = [
  "answered",
  "no-answer",
  "busy",
  "failed",
  "cancelled",
  "interrupted",
] as const satisfies readonly CdrDisposition[];

// A disposition added to the type and not to the list fails to compile here.
const complete: Exclude<CdrDisposition, (typeof CDR_DISPOSITIONS)[number]> extends never ? true : never =
  true;
void complete;
