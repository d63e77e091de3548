import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { newTag, SipRequest, type SipResponse, type SipStack } from "../../sip/index.ts";
import type { Trunk } from "./trunk.ts";

export type TrunkRegistrationState = "Unregistered" | "Registering" | "Registered" | "Failed";

/**
 * Keeps Parley registered with a provider (RFC 3261 §10.2, as a UAC): REGISTER with our Contact,
 * the digest challenge answered (§22.2), refreshed at 80% of the granted time, retried after a
 * failure with back-off (30 s, doubling to 10 min). One Call-ID for the life of the
 * registration, CSeq increasing (§10.2.4).
 */
export class TrunkRegistration {
  readonly #trunk: Trunk;
  readonly #stack: SipStack;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #callId = `${randomHex(12)}@parley`;
  readonly #fromTag = newTag();
  #cseq = 0;
  #timer: TimerHandle | undefined;
  #state: TrunkRegistrationState = "Unregistered";
  #retryMs = 30_000;
  #stopped = false;
  /** Granted expiry, seconds, of the last successful REGISTER. */
  expires = 0;

  constructor(options: { trunk: Trunk; stack: SipStack; clock: Clock; logger: Logger }) {
    this.#trunk = options.trunk;
    this.#stack = options.stack;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ trunk: options.trunk.name });
  }

  get state(): TrunkRegistrationState {
    return this.#state;
  }

  /** Registers and keeps the registration fresh; after `stop`, starts again (a cluster's new leader). */
  start(): void {
    this.#stopped = false;
    void this.#register(this.#trunk.settings.registerExpires);
  }

  /**
   * Stops refreshing and sends an unregister (Expires: 0) without waiting for its answer: a node
   * that is shutting down must not wait 32 s for a provider that does not reply.
   */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    if (this.#state === "Registered") void this.#send(0).catch(() => undefined);
    this.#state = "Unregistered";
  }

  async #register(expires: number): Promise<void> {
    if (this.#stopped) return;
    this.#state = "Registering";
    let response: SipResponse;
    try {
      response = await this.#send(expires);
    } catch (error) {
      this.#logger.warn({ err: error }, "trunk REGISTER failed to send");
      this.#retry();
      return;
    }
    if (response.status >= 200 && response.status < 300) {
      const granted = grantedExpires(response, expires);
      this.expires = granted;
      this.#state = "Registered";
      this.#retryMs = 30_000;
      this.#logger.info({ expires: granted }, "registered with trunk");
      this.#timer = this.#clock.setTimer(Math.max(granted * 800, 5_000), () => void this.#register(expires));
      return;
    }
    this.#logger.warn({ status: response.status, reason: response.reason }, "trunk refused the registration");
    this.#retry();
  }

  #retry(): void {
    this.#state = "Failed";
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimer(
      this.#retryMs,
      () => void this.#register(this.#trunk.settings.registerExpires),
    );
    this.#retryMs = Math.min(this.#retryMs * 2, 600_000);
  }

  /** One REGISTER, and its repeat with credentials when challenged. */
  async #send(expires: number): Promise<SipResponse> {
    const first = await this.#stack.request(this.#build(expires), this.#trunk.target);
    if ((first.status !== 401 && first.status !== 407) || !this.#trunk.credentials) return first;
    const retry = this.#build(expires);
    const header = first.status === 401 ? "www-authenticate" : "proxy-authenticate";
    const value = this.#trunk.credentials.authorize(retry, first.headers.values(header));
    if (!value) return first;
    retry.headers.append(first.status === 401 ? "Authorization" : "Proxy-Authorization", value);
    return this.#stack.request(retry, this.#trunk.target);
  }

  #build(expires: number): SipRequest {
    const s = this.#trunk.settings;
    const user = s.username || "parley";
    const domain = s.fromDomain || s.host;
    const request = new SipRequest({ method: "REGISTER", uri: `sip:${domain}` });
    const h = request.headers;
    h.append("Via", this.#stack.local.via(this.#trunk.target));
    h.append("Max-Forwards", "70");
    h.append("From", `<sip:${user}@${domain}>;tag=${this.#fromTag}`);
    h.append("To", `<sip:${user}@${domain}>`);
    h.append("Call-ID", this.#callId);
    h.append("CSeq", `${++this.#cseq} REGISTER`);
    h.append("Contact", this.#stack.local.contact(s.transport, user));
    h.append("Expires", String(expires));
    return request;
  }
}

/** §10.2.4: the expiry the registrar granted our Contact (its `expires` param, else Expires). */
function grantedExpires(response: SipResponse, asked: number): number {
  const contact = response.headers.get("contact");
  const param = contact ? /;\s*expires\s*=\s*(\d+)/i.exec(contact)?.[1] : undefined;
  if (param !== undefined) return Number(param);
  return response.expires ?? asked;
}
