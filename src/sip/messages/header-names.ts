/**
 * Header names: RFC 3261 §7.3.3 compact forms, the canonical spelling Parley writes, and which
 * headers may carry several comma-separated values (§7.3.1: "it MUST be possible to combine the
 * multiple header field rows into one … by appending each subsequent field-value to the first,
 * each separated by a comma" — true only for headers whose grammar is a comma list).
 */

/** Compact form → long form, lower case (RFC 3261 §7.3.3 and later registrations). */
const COMPACT: Readonly<Record<string, string>> = {
  i: "call-id",
  m: "contact",
  e: "content-encoding",
  l: "content-length",
  c: "content-type",
  f: "from",
  s: "subject",
  k: "supported",
  t: "to",
  v: "via",
  o: "event",
  u: "allow-events",
  r: "refer-to",
  b: "referred-by",
  x: "session-expires",
  y: "identity",
  a: "accept-contact",
  j: "reject-contact",
  d: "request-disposition",
};

const CANONICAL: Readonly<Record<string, string>> = {
  "call-id": "Call-ID",
  cseq: "CSeq",
  "www-authenticate": "WWW-Authenticate",
  "mime-version": "MIME-Version",
  "p-asserted-identity": "P-Asserted-Identity",
  "p-preferred-identity": "P-Preferred-Identity",
  rack: "RAck",
  rseq: "RSeq",
};

/** Headers whose value is a comma-separated list (RFC 3261 §20 grammar uses `*(COMMA …)`). */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "alert-info",
  "allow",
  "allow-events",
  "call-info",
  "contact",
  "content-encoding",
  "content-language",
  "error-info",
  "in-reply-to",
  "p-asserted-identity",
  "path",
  "proxy-require",
  "reason",
  "record-route",
  "require",
  "resource-priority",
  "accept-resource-priority",
  "route",
  "service-route",
  "supported",
  "unsupported",
  "via",
  "warning",
]);

/** The lower-case long form used as the lookup key: "v" → "via", "Call-Id" → "call-id". */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** How Parley writes a header name: "call-id" → "Call-ID", "content-length" → "Content-Length". */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  return (
    CANONICAL[key] ?? key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
  );
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
