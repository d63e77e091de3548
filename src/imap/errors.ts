import { ParleyError } from "../kernel/parley-error.ts";

/**
 * The IMAP module's error catalogue (ARCHITECTURE §3, one errors.ts per module). None of these
 * leaves a socket handler: the connection turns them into tagged or untagged BAD/NO answers
 * (https://www.rfc-editor.org/rfc/rfc3501#section-7.1).
 */

/** A command line that does not follow the RFC 3501 §9 grammar; answered with BAD. */
export class ImapParseError extends ParleyError {
  /** The command's tag when it could be read, so the BAD can be tagged. */
  readonly tag: string | undefined;

  constructor(message: string, tag?: string) {
    super("IMAP_PARSE", message);
    this.tag = tag;
  }
}

/** A command that parsed but cannot be carried out; `status` and `responseCode` shape the answer. */
export class ImapCommandError extends ParleyError {
  readonly status: "NO" | "BAD";
  /** An RFC 5530 response code such as `CANNOT`, `NONEXISTENT`, `TRYCREATE`, without brackets. */
  readonly responseCode: string | undefined;

  constructor(status: "NO" | "BAD", message: string, responseCode?: string) {
    super(status === "BAD" ? "IMAP_BAD_COMMAND" : "IMAP_COMMAND_REFUSED", message);
    this.status = status;
    this.responseCode = responseCode;
  }
}

/** ImapServerOptions that cannot work together (requireTls or implicitTlsPort without tls). */
export class ImapOptionsError extends ParleyError {
  constructor(message: string) {
    super("IMAP_OPTIONS", message);
  }
}
