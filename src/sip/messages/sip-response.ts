import { SipHeaders } from "./sip-headers.ts";
import { SipMessage } from "./sip-message.ts";

/** Reason phrases of RFC 3261 §21 and the extensions Parley answers with. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: "Trying",
  180: "Ringing",
  181: "Call Is Being Forwarded",
  182: "Queued",
  183: "Session Progress",
  200: "OK",
  202: "Accepted",
  301: "Moved Permanently",
  302: "Moved Temporarily",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  410: "Gone",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  416: "Unsupported URI Scheme",
  417: "Unknown Resource-Priority",
  420: "Bad Extension",
  421: "Extension Required",
  423: "Interval Too Brief",
  480: "Temporarily Unavailable",
  481: "Call/Transaction Does Not Exist",
  482: "Loop Detected",
  483: "Too Many Hops",
  484: "Address Incomplete",
  486: "Busy Here",
  487: "Request Terminated",
  488: "Not Acceptable Here",
  491: "Request Pending",
  500: "Server Internal Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Server Time-out",
  505: "Version Not Supported",
  513: "Message Too Large",
  600: "Busy Everywhere",
  603: "Decline",
  604: "Does Not Exist Anywhere",
  606: "Not Acceptable",
};

/** A SIP response (RFC 3261 §7.2): `SIP/2.0 Status-Code Reason-Phrase`. */
export class SipResponse extends SipMessage {
  readonly kind = "response" as const;
  status: number;
  reason: string;
  version: string;

  constructor(init: {
    status: number;
    reason?: string;
    version?: string;
    headers?: SipHeaders;
    body?: Buffer;
  }) {
    super(init.headers ?? new SipHeaders(), init.body);
    this.status = init.status;
    this.reason = init.reason ?? REASON_PHRASES[init.status] ?? "Unknown";
    this.version = init.version ?? "SIP/2.0";
  }

  get provisional(): boolean {
    return this.status < 200;
  }

  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }
}
