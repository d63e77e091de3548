import type { Clock, TimerHandle } from "../kernel/clock.ts";
import { randomHex } from "../kernel/ids.ts";
import type { Logger } from "../kernel/log.ts";
import {
  type DigestClient,
  NameAddr,
  newTag,
  type RemoteAddress,
  SipParseError,
  SipRequest,
  type SipResponse,
  type SipStack,
} from "../sip/index.ts";
import { PhoneRegistrationError, PhoneStateError } from "./errors.ts";

export interface PhoneRegistrationOptions {
  stack: SipStack;
  /** The registrar (Parley's SIP listener). */
  server: RemoteAddress;
  extension: string;
  domain: string;
  credentials: DigestClient;
  clock: Clock;
  logger: Logger;
  /** The expiry asked for, seconds. */
  expires?: number;
}

/**
 * The phone's binding at its registrar (RFC 3261 §10.2, the UAC side): REGISTER with its Contact,
 * one digest challenge answered (§22.2), a 423 answered once with the registrar's Min-Expires
 * (§10.2.8), refreshed on the injected clock at 80% of the granted time, and removed with
 * `Expires: 0` (§10.2.2). One Call-ID and an increasing CSeq for all of it (§10.2: "A UA MUST
 * increment the CSeq value by one for each REGISTER request with the same Call-ID").
 * https://www.rfc-editor.org/rfc/rfc3261#section-10.2
 */
export class PhoneRegistration {
  readonly aor: string;
  readonly #o: PhoneRegistrationOptions;
  readonly #callId = `${randomHex(12)}@parley-phone`;
  readonly #fromTag = newTag();
  #cseq = 0;
  #asked: number;
  #refresh: TimerHandle | undefined;
  #registered = false;
  #closed = false;

  constructor(options: PhoneRegistrationOptions) {
    this.#o = options;
    this.#asked = options.expires ?? 3600;
    this.aor = `sip:${options.extension}@${options.domain}`;
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** Registers (or refreshes) and resolves with the granted expiry, seconds; throws PhoneRegistrationError. */
  async register(): Promise<number> {
    if (this.#closed) throw new PhoneStateError("register() after close()");
    let response = await this.#send(this.#asked);
    // §10.2.8: "If a UA receives a 423 (Interval Too Brief) response, it MAY retry the
    // registration after making the expiration interval of all contact addresses in the REGISTER
    // request equal to or greater than the expiration interval within the Min-Expires header field".
    const minimum = Number(response.headers.get("min-expires"));
    if (response.status === 423 && Number.isInteger(minimum) && minimum > this.#asked) {
      this.#asked = minimum;
      response = await this.#send(this.#asked);
    }
    if (response.status < 200 || response.status >= 300) {
      this.#registered = false;
      throw new PhoneRegistrationError(response.status, response.reason);
    }
    const granted = this.#granted(response);
    this.#registered = granted > 0;
    this.#refresh?.cancel();
    if (!this.#closed && granted > 0) {
      this.#refresh = this.#o.clock.setTimer(Math.max(granted * 800, 1000), () => {
        this.register().catch((error: unknown) =>
          this.#o.logger.warn({ err: error, aor: this.aor }, "registration refresh failed"),
        );
      });
    }
    return granted;
  }

  /** Removes the binding (Expires: 0) if there is one, and stops refreshing. */
  async unregister(): Promise<void> {
    this.#refresh?.cancel();
    this.#refresh = undefined;
    if (!this.#registered) return;
    this.#registered = false;
    const response = await this.#send(0);
    if (response.status >= 300)
      this.#o.logger.warn({ status: response.status, aor: this.aor }, "unregister refused");
  }

  /** Stops refreshing (without unregistering); a second call does nothing. */
  close(): void {
    this.#closed = true;
    this.#refresh?.cancel();
    this.#refresh = undefined;
  }

  /** One REGISTER; a 401/407 is answered once with the credentials (§22.2), with CSeq + 1. */
  async #send(expires: number): Promise<SipResponse> {
    const first = await this.#o.stack.request(this.#build(expires), this.#o.server);
    if (first.status !== 401 && first.status !== 407) return first;
    const proxy = first.status === 407;
    const challenges = first.headers.values(proxy ? "proxy-authenticate" : "www-authenticate");
    const retry = this.#build(expires);
    const authorization = this.#o.credentials.authorize(retry, challenges);
    if (!authorization) return first;
    retry.headers.append(proxy ? "Proxy-Authorization" : "Authorization", authorization);
    return this.#o.stack.request(retry, this.#o.server);
  }

  #build(expires: number): SipRequest {
    const request = new SipRequest({ method: "REGISTER", uri: `sip:${this.#o.domain}` });
    const headers: Array<[string, string]> = [
      ["Max-Forwards", "70"],
      ["From", `<${this.aor}>;tag=${this.#fromTag}`],
      ["To", `<${this.aor}>`],
      ["Call-ID", this.#callId],
      ["CSeq", `${++this.#cseq} REGISTER`],
      ["Contact", this.#contact()],
      ["Expires", String(expires)],
    ];
    for (const [name, value] of headers) request.headers.append(name, value);
    return request;
  }

  #contact(): string {
    return this.#o.stack.local.contact(this.#o.server.protocol, this.#o.extension);
  }

  /**
   * §10.2.4: "The UA compares each contact address to see if it created the contact address,
   * using comparison rules in Section 19.1.4. If so, it updates the expiration time interval according to the expires parameter or, if
   * absent, the Expires field value."
   */
  #granted(response: SipResponse): number {
    const ours = NameAddr.parse(this.#contact(), "Contact").uri.toString().toLowerCase();
    for (const value of response.headers.values("contact")) {
      try {
        const contact = NameAddr.parse(value, "Contact");
        const expires = Number(contact.params.get("expires"));
        if (contact.uri.toString().toLowerCase() === ours && Number.isInteger(expires)) return expires;
      } catch (error) {
        if (!(error instanceof SipParseError)) throw error;
      }
    }
    return response.expires ?? this.#asked;
  }
}
