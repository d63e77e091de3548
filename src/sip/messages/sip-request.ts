import { SipHeaders } from "./sip-headers.ts";
import { SipMessage } from "./sip-message.ts";
import { parseUri, type Uri } from "./sip-uri.ts";

/** A SIP request (RFC 3261 §7.1): `METHOD Request-URI SIP/2.0`. */
export class SipRequest extends SipMessage {
  readonly kind = "request" as const;
  method: string;
  #uriText: string;
  #uri: Uri | undefined;
  version: string;

  constructor(init: {
    method: string;
    uri: string | Uri;
    version?: string;
    headers?: SipHeaders;
    body?: Buffer;
  }) {
    super(init.headers ?? new SipHeaders(), init.body);
    this.method = init.method;
    this.version = init.version ?? "SIP/2.0";
    if (typeof init.uri === "string") {
      this.#uriText = init.uri;
    } else {
      this.#uriText = init.uri.toString();
      this.#uri = init.uri;
    }
  }

  /** The Request-URI, parsed on first use (throws SipParseError "Bad URI"). */
  get uri(): Uri {
    this.#uri ??= parseUri(this.#uriText);
    return this.#uri;
  }

  set uri(uri: Uri) {
    this.#uri = uri;
    this.#uriText = uri.toString();
  }

  get uriText(): string {
    return this.#uri ? this.#uri.toString() : this.#uriText;
  }

  startLine(): string {
    return `${this.method} ${this.uriText} ${this.version}`;
  }
}
