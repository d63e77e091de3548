import { randomHex } from "../../kernel/ids.ts";
import { NameAddr } from "./headers/name-addr.ts";
import type { SipRequest } from "./sip-request.ts";
import { SipResponse } from "./sip-response.ts";

export interface ResponseOptions {
  reason?: string;
  /** To tag for a response above 100 whose request had none (§8.2.6.2). */
  toTag?: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
}

/** A new random tag (§19.3: "at least 32 bits of randomness"). */
export function newTag(): string {
  return randomHex(6);
}

/**
 * Builds a response to `request` as RFC 3261 §8.2.6.2 says: "The From field of the response
 * MUST equal the From header field of the request. The Call-ID … MUST equal … The CSeq … MUST
 * equal … The Via header field values in the response MUST equal the Via header field values in
 * the request and MUST maintain the same ordering." A To tag is added to every response above
 * 100 when the request had none. Header values are copied as written, so a request with other
 * broken headers can still be answered.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  options: ResponseOptions = {},
): SipResponse {
  const response = new SipResponse({ status, reason: options.reason });
  const h = request.headers;
  for (const via of h.lines("via")) response.headers.append("Via", via);
  // A header the request lacks stays out of the response (a 400 that answers "Missing From").
  const from = h.get("from");
  const to = h.get("to");
  const callId = h.get("call-id");
  const cseq = h.get("cseq");
  if (from !== undefined) response.headers.append("From", from);
  if (to !== undefined) response.headers.append("To", toWithTag(to, status, options.toTag));
  if (callId !== undefined) response.headers.append("Call-ID", callId);
  if (cseq !== undefined) response.headers.append("CSeq", cseq);
  // §12.1.1: "When a UAS responds to a request with a response that establishes a dialog (such as
  // a 2xx to INVITE), the UAS MUST copy all Record-Route header field values from the request into
  // the response … and MUST maintain the order of those values." Early dialogs (101–199) too.
  if (status > 100 && status < 300 && establishesDialog(request)) {
    for (const rr of h.lines("record-route")) response.headers.append("Record-Route", rr);
  }
  // §8.2.6.1: a 100 Trying copies Timestamp.
  const timestamp = h.get("timestamp");
  if (status === 100 && timestamp !== undefined) response.headers.append("Timestamp", timestamp);
  for (const [name, value] of options.headers ?? []) response.headers.append(name, value);
  if (options.body) response.body = options.body;
  return response;
}

function toWithTag(to: string, status: number, tag: string | undefined): string {
  if (status === 100) return to;
  // Fast path: no "tag" anywhere, so a header parameter can simply be appended (it lands after
  // the ">" of a name-addr, or after an addr-spec, where §20.10 makes it a header parameter).
  if (!/tag/i.test(to) && !/[?,]/.test(to)) return `${to};tag=${tag ?? newTag()}`;
  try {
    const parsed = NameAddr.parse(to, "To");
    if (parsed.tag !== undefined) return to;
    parsed.tag = tag ?? newTag();
    return parsed.toString();
  } catch {
    return to;
  }
}

/** A request outside a dialog (no To tag) of a method that creates one (RFC 3261 §12, RFC 6665 §4.1, RFC 3515). */
function establishesDialog(request: SipRequest): boolean {
  if (!["INVITE", "SUBSCRIBE", "REFER"].includes(request.method)) return false;
  const to = request.headers.get("to") ?? "";
  return !/;\s*tag\s*=/i.test(to);
}
