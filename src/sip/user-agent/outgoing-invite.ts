import { randomHex } from "../../kernel/ids.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import type { DigestClient } from "../auth/index.ts";
import { Dialog } from "../dialogs/index.ts";
import {
  createResponse,
  type NameAddr,
  newTag,
  SipRequest,
  type SipResponse,
  type Uri,
} from "../messages/index.ts";
import type { RemoteAddress } from "../transports/index.ts";
import { InviteSession, type SipBody } from "./invite-session.ts";
import { type SessionContext, sendInTransaction } from "./session-context.ts";

export interface OutgoingInviteOptions {
  /** Request-URI: the contact (or trunk URI) to call. */
  uri: Uri;
  /** Where to send it: a registered phone's flow, or a trunk's address. */
  target: RemoteAddress;
  from: NameAddr;
  to: NameAddr;
  /** The SDP offer. */
  body?: SipBody;
  headers?: Array<[string, string]>;
  /** Answers one 401/407 challenge (trunks). */
  credentials?: DigestClient;
  /** Path or outbound proxy Route values (RFC 3327), in order. */
  route?: readonly string[];
}

export interface OutgoingInviteEvents extends Record<string, unknown[]> {
  /** A 1xx other than 100 (180, 183 with early media in its body). */
  progress: [SipResponse];
  /** A 2xx: the session is confirmed and ACKed. */
  answered: [InviteSession, SipResponse];
  /** A final failure (3xx–6xx; 408 on timeout, 503 when unreachable; 487 after our CANCEL). */
  failed: [SipResponse];
}

export type OutgoingInviteState = "Calling" | "Proceeding" | "Answered" | "Failed" | "Cancelling";

/**
 * An INVITE Parley sends (RFC 3261 §13.2): provisional responses are reported, the first 2xx
 * becomes an `InviteSession` (ACKed at once, §13.2.2.4) and any later 2xx from another fork is
 * ACKed and sent BYE ("the UAC core … MUST … generate an ACK … and then a BYE"); `cancel()` sends
 * CANCEL once a provisional response has arrived (§9.1: "a CANCEL request SHOULD NOT be sent to
 * cancel a request … until … a provisional response"). One digest challenge is answered when
 * credentials are given.
 * https://www.rfc-editor.org/rfc/rfc3261#section-13.2
 */
export class OutgoingInvite extends TypedEmitter<OutgoingInviteEvents> {
  readonly #context: SessionContext;
  readonly #options: OutgoingInviteOptions;
  readonly callId: string;
  readonly localTag = newTag();
  #request: SipRequest;
  #state: OutgoingInviteState = "Calling";
  #provisional = false;
  #cancelWanted: Array<[string, string]> | undefined;
  #authenticated = false;
  #session: InviteSession | undefined;

  constructor(context: SessionContext, options: OutgoingInviteOptions, callId = `${randomHex(12)}@parley`) {
    super();
    this.#context = context;
    this.#options = options;
    this.callId = callId;
    this.#request = this.#build(1, []);
    this.onListenerError = (error, event) =>
      context.logger.error({ err: error, callId, event }, "outgoing INVITE listener failed");
  }

  get state(): OutgoingInviteState {
    return this.#state;
  }

  get request(): SipRequest {
    return this.#request;
  }

  get target(): RemoteAddress {
    return this.#options.target;
  }

  async start(): Promise<void> {
    await sendInTransaction(this.#context, this.#request, this.#options.target, {
      provisional: (response) => this.#receiveProvisional(response),
      final: (response) => this.#receiveFinal(response),
    });
  }

  /**
   * Gives up on the call: CANCEL now if a provisional response came, else as soon as one does
   * (§9.1). A final response that crosses the CANCEL still arrives: a 2xx is ACKed and ended with
   * BYE, and `failed` is emitted with a 487.
   */
  cancel(headers: Array<[string, string]> = []): void {
    if (this.#state !== "Calling" && this.#state !== "Proceeding") return;
    this.#cancelWanted = headers;
    this.#state = "Cancelling";
    if (this.#provisional) this.#sendCancel();
  }

  #receiveProvisional(response: SipResponse): void {
    // §9.1: any provisional response, 100 Trying included, lets the CANCEL go.
    const first = !this.#provisional;
    this.#provisional = true;
    if (this.#state === "Cancelling") {
      if (first) this.#sendCancel();
      return;
    }
    if (response.status === 100) return;
    this.#state = "Proceeding";
    this.safeEmit("progress", response);
  }

  #receiveFinal(response: SipResponse): void {
    const status = response.status;
    if (status >= 200 && status < 300) {
      this.#receive2xx(response);
      return;
    }
    if (this.#session || this.#state === "Answered" || this.#state === "Failed") return;
    if ((status === 401 || status === 407) && this.#options.credentials && !this.#authenticated) {
      if (this.#retryWithCredentials(response)) return;
    }
    this.#state = "Failed";
    this.safeEmit("failed", response);
  }

  /** §13.2.2.4: every 2xx gets an ACK; only the first becomes the session. */
  #receive2xx(response: SipResponse): void {
    const dialog = Dialog.forUac(this.#request, response);
    if (this.#session && this.#session.dialog.key === dialog.key) {
      this.#session.receiveStrayResponse(response);
      return;
    }
    const session = new InviteSession(this.#context, dialog, this.#options.target);
    session.ack(response);
    if (this.#session || (this.#state !== "Calling" && this.#state !== "Proceeding")) {
      // A second fork answered, or the answer crossed our CANCEL: end that dialog at once.
      void session.bye([["Reason", 'SIP;cause=200;text="Call completed elsewhere"']]);
      if (!this.#session && this.#state === "Cancelling") {
        this.#state = "Failed";
        // `failed` carries a failure: the 487 our CANCEL asked for, not the 2xx we just ended.
        this.safeEmit("failed", createResponse(this.#request, 487));
      }
      return;
    }
    this.#session = session;
    this.#state = "Answered";
    this.safeEmit("answered", session, response);
  }

  /** RFC 3261 §22.2: the same request again with credentials, a new branch and CSeq + 1. */
  #retryWithCredentials(challenge: SipResponse): boolean {
    const header = challenge.status === 401 ? "www-authenticate" : "proxy-authenticate";
    const retry = this.#build(this.#request.cseq.seq + 1, []);
    const value = this.#options.credentials?.authorize(retry, challenge.headers.values(header));
    if (!value) return false;
    retry.headers.append(challenge.status === 401 ? "Authorization" : "Proxy-Authorization", value);
    this.#authenticated = true;
    this.#request = retry;
    this.#provisional = false;
    void this.start();
    return true;
  }

  /**
   * §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in the
   * CANCEL request MUST be identical to those in the request being cancelled, including tags. A
   * CANCEL constructed by a client MUST have only a single Via header field value matching the top
   * Via value in the request being cancelled."
   */
  #sendCancel(): void {
    const invite = this.#request;
    const cancel = new SipRequest({ method: "CANCEL", uri: invite.uriText });
    const h = invite.headers;
    cancel.headers.append("Via", h.lines("via")[0] ?? "");
    for (const route of h.lines("route")) cancel.headers.append("Route", route);
    cancel.headers.append("Max-Forwards", "70");
    cancel.headers.append("From", h.get("from") ?? "");
    cancel.headers.append("To", h.get("to") ?? "");
    cancel.headers.append("Call-ID", this.callId);
    cancel.headers.append("CSeq", `${invite.cseq.seq} CANCEL`);
    for (const [name, value] of this.#cancelWanted ?? []) cancel.headers.append(name, value);
    void sendInTransaction(this.#context, cancel, this.#options.target, { final: () => {} });
  }

  #build(seq: number, extra: Array<[string, string]>): SipRequest {
    const o = this.#options;
    const request = new SipRequest({ method: "INVITE", uri: o.uri });
    const h = request.headers;
    h.append("Via", this.#context.local.via(o.target));
    for (const route of o.route ?? []) h.append("Route", route);
    h.append("Max-Forwards", "70");
    const from = o.from.clone();
    from.tag = this.localTag;
    h.append("From", from.toString());
    h.append("To", o.to.toString());
    h.append("Call-ID", this.callId);
    h.append("CSeq", `${seq} INVITE`);
    h.append("Contact", this.#context.local.contact(o.target.protocol));
    h.append("Allow", "INVITE, ACK, CANCEL, BYE, UPDATE, INFO, REFER, NOTIFY, OPTIONS");
    h.append("Supported", "replaces");
    for (const [name, value] of [...(o.headers ?? []), ...extra]) h.append(name, value);
    if (o.body) {
      h.append("Content-Type", o.body.contentType);
      request.body = o.body.data;
    }
    return request;
  }
}
