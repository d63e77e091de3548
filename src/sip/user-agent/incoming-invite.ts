import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import { Dialog } from "../dialogs/index.ts";
import { newTag, type SipRequest, type SipResponse } from "../messages/index.ts";
import type { ServerInviteTransaction } from "../transactions/index.ts";
import type { RemoteAddress } from "../transports/index.ts";
import { InviteSession, type SipBody } from "./invite-session.ts";
import type { SessionContext } from "./session-context.ts";

export interface IncomingInviteEvents extends Record<string, unknown[]> {
  /** The caller sent CANCEL (§9.2); the INVITE has been answered 487. */
  cancelled: [SipRequest];
}

export type IncomingInviteState = "Proceeding" | "Accepted" | "Rejected" | "Cancelled";

/**
 * A new INVITE on the UAS side (RFC 3261 §13.3) until its final response: provisional responses
 * (180, 183 with early media) all carry one To tag, so the caller sees one early dialog;
 * `accept` sends the 2xx and returns the `InviteSession`; `reject` sends a failure; a CANCEL
 * answers 487 and emits `cancelled`.
 * https://www.rfc-editor.org/rfc/rfc3261#section-13.3
 */
export class IncomingInvite extends TypedEmitter<IncomingInviteEvents> {
  readonly request: SipRequest;
  readonly transaction: ServerInviteTransaction;
  /** Where the INVITE came from; requests inside the dialog go back there. */
  readonly source: RemoteAddress;
  readonly localTag = newTag();
  readonly #context: SessionContext;
  #state: IncomingInviteState = "Proceeding";

  constructor(context: SessionContext, request: SipRequest, transaction: ServerInviteTransaction) {
    super();
    this.#context = context;
    this.request = request;
    this.transaction = transaction;
    const source = transaction.options.transport.source;
    this.source = source
      ? {
          protocol: source.protocol as RemoteAddress["protocol"],
          address: source.address,
          port: source.port,
          ...(source.flowId ? { flowId: source.flowId } : {}),
        }
      : { protocol: "udp", address: "127.0.0.1", port: 5060 };
    this.onListenerError = (error, event) =>
      context.logger.error({ err: error, callId: request.callId, event }, "incoming INVITE listener failed");
    context.core.onCancel(
      transaction,
      (cancel) => {
        if (this.#state !== "Proceeding") return;
        this.#state = "Cancelled";
        // §9.2: "the UAS … SHOULD respond to the INVITE with a 487 (Request Terminated)".
        this.#respond(487, {});
        this.safeEmit("cancelled", cancel);
      },
      this.localTag,
    );
  }

  get state(): IncomingInviteState {
    return this.#state;
  }

  get callId(): string {
    return this.request.callId;
  }

  /** The offer in the INVITE, when it carried SDP. */
  get offer(): SipBody | undefined {
    const type = this.request.contentType;
    if (!type || this.request.body.length === 0) return undefined;
    return { contentType: type, data: this.request.body };
  }

  /** 180 Ringing, or 183 Session Progress with early media (`body` is the SDP answer). */
  progress(status = 180, options: { body?: SipBody; headers?: Array<[string, string]> } = {}): void {
    if (this.#state !== "Proceeding") return;
    if (status <= 100 || status >= 200) throw new Error(`progress(${status}) is not a provisional status`);
    this.#respond(status, { ...options, contact: true });
  }

  /**
   * Sends the 2xx with our Contact and `body` (the SDP answer) and returns the session, which
   * re-sends the 2xx until the ACK arrives (§13.3.1.4).
   */
  accept(options: { body?: SipBody; headers?: Array<[string, string]> } = {}): InviteSession {
    if (this.#state !== "Proceeding") throw new Error(`accept() on an INVITE that is ${this.#state}`);
    this.#state = "Accepted";
    const response = this.#respond(200, { ...options, contact: true });
    const session = new InviteSession(this.#context, Dialog.forUas(this.request, response), this.source);
    session.awaitAck(response, this.transaction);
    return session;
  }

  /** A final failure (3xx–6xx), with extra headers such as Reason or Retry-After. */
  reject(status: number, options: { reason?: string; headers?: Array<[string, string]> } = {}): void {
    if (this.#state !== "Proceeding") return;
    if (status < 300) throw new Error(`reject(${status}) needs a failure status`);
    this.#state = "Rejected";
    this.#respond(status, options);
  }

  #respond(
    status: number,
    options: { reason?: string; body?: SipBody; headers?: Array<[string, string]>; contact?: boolean },
  ): SipResponse {
    const headers = [...(options.headers ?? [])];
    if (options.contact) headers.push(["Contact", this.#context.local.contact(this.source.protocol)]);
    if (options.body) headers.push(["Content-Type", options.body.contentType]);
    if (status >= 200 && status < 300) headers.push(["Allow", ALLOW], ["Supported", "replaces"]);
    const response = this.#context.core.response(this.request, status, {
      reason: options.reason,
      toTag: this.localTag,
      headers,
      body: options.body?.data,
    });
    this.transaction.respond(response);
    return response;
  }
}

export const ALLOW = "INVITE, ACK, CANCEL, BYE, UPDATE, INFO, REFER, NOTIFY, OPTIONS";
