import type { TimerHandle } from "../../kernel/clock.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import type { Dialog } from "../dialogs/index.ts";
import type { SipRequest, SipResponse } from "../messages/index.ts";
import type { ServerTransaction } from "../transactions/index.ts";
import type { RemoteAddress } from "../transports/index.ts";
import { type SessionContext, sendInTransaction, sendStateless } from "./session-context.ts";
import type { DialogUser } from "./user-agent-core.ts";

/** A body with its type, as sessions carry SDP, dtmf-relay and sipfrag. */
export interface SipBody {
  contentType: string;
  data: Buffer;
}

/** Why a session ended. */
export interface SessionEnd {
  /** `remote`: the peer sent BYE; `local`: we did; `failure`: no ACK, or the peer is unreachable. */
  by: "remote" | "local" | "failure";
  /** The peer's BYE, when it sent one (for its Reason header). */
  request?: SipRequest;
  detail?: string;
}

export interface InviteSessionEvents extends Record<string, unknown[]> {
  /** The ACK for our 2xx arrived (with its body, for an offerless INVITE). */
  acked: [SipRequest];
  terminated: [SessionEnd];
}

/** The answer to a request inside the session: a status, optional headers and body. */
export interface SessionReply {
  status: number;
  reason?: string;
  headers?: Array<[string, string]>;
  body?: SipBody;
}

/**
 * The owner of a session answers what the peer asks inside it (one owner, so a delegate rather
 * than events). A missing method gets a sensible refusal: re-INVITE 488, REFER 603, INFO 415.
 */
export interface InviteSessionDelegate {
  /** A re-INVITE or UPDATE (RFC 3311) with an offer, or a re-INVITE without one (offer in our 2xx). */
  onReoffer?(request: SipRequest): Promise<SessionReply> | SessionReply;
  /** INFO (RFC 6086), e.g. application/dtmf-relay. */
  onInfo?(request: SipRequest): SessionReply;
  /** REFER (RFC 3515): 202 to accept, then `notifyReferProgress`. */
  onRefer?(request: SipRequest): SessionReply;
}

/**
 * One INVITE dialog usage once answered (RFC 3261 §13–§15): it keeps re-sending its 2xx until the
 * ACK arrives (§13.3.1.4), answers and sends requests inside the dialog (re-INVITE, UPDATE, INFO,
 * REFER, NOTIFY, BYE) and ends on BYE either way. Requests go to `peer`, the address the dialog was
 * set up with (the registered flow, or where the INVITE came from), so NATed phones are reached.
 * https://www.rfc-editor.org/rfc/rfc3261#section-13
 */
export class InviteSession extends TypedEmitter<InviteSessionEvents> implements DialogUser {
  readonly dialog: Dialog;
  readonly peer: RemoteAddress;
  delegate: InviteSessionDelegate = {};
  readonly #context: SessionContext;
  #terminated = false;
  /** Our 2xx to the INVITE (or re-INVITE) awaiting its ACK, re-sent on a doubling timer. */
  #unacked:
    | { response: SipResponse; transaction: ServerTransaction; timer?: TimerHandle; since: number }
    | undefined;
  /** ACK we sent for the peer's 2xx, re-sent when that 2xx is retransmitted. */
  #lastAck: { cseq: number; ack: SipRequest } | undefined;
  #reinviting = false;
  /** A re-INVITE from the peer is with the delegate and has no final response yet (§14.2). */
  #answeringInvite = false;

  constructor(context: SessionContext, dialog: Dialog, peer: RemoteAddress) {
    super();
    this.#context = context;
    this.dialog = dialog;
    this.peer = peer;
    context.core.registerDialog(dialog.key, this);
    this.onListenerError = (error, event) =>
      context.logger.error({ err: error, callId: dialog.id.callId, event }, "session listener failed");
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  get callId(): string {
    return this.dialog.id.callId;
  }

  /** Whether our 2xx is still waiting for its ACK (§13.3.1.4). */
  get awaitingAck(): boolean {
    return this.#unacked !== undefined;
  }

  // ---- UAS: our 2xx until its ACK ----------------------------------------------------------

  /**
   * §13.3.1.4: "The 2xx response is passed to the transport with an interval that starts at T1
   * seconds and doubles for each retransmission until it reaches T2 seconds … If the server
   * retransmits the 2xx response for 64*T1 seconds without receiving an ACK, the dialog is
   * confirmed, but the session SHOULD be terminated. This is accomplished with a BYE".
   */
  awaitAck(response: SipResponse, transaction: ServerTransaction): void {
    this.#unacked = { response, transaction, since: this.#context.clock.monotonic() };
    if (!transaction.reliable) this.#retransmit2xx(this.#context.timers.t1);
    else
      this.#unacked.timer = this.#context.clock.setTimer(64 * this.#context.timers.t1, () =>
        this.#ackTimeout(),
      );
  }

  #retransmit2xx(interval: number): void {
    const pending = this.#unacked;
    if (!pending) return;
    pending.timer = this.#context.clock.setTimer(interval, () => {
      if (this.#unacked !== pending) return;
      if (this.#context.clock.monotonic() - pending.since >= 64 * this.#context.timers.t1) {
        this.#ackTimeout();
        return;
      }
      // After Timer L the transaction is gone and so is the path to resend on.
      if (pending.transaction.state === "Accepted") pending.transaction.respond(pending.response);
      this.#retransmit2xx(Math.min(2 * interval, this.#context.timers.t2));
    });
  }

  #ackTimeout(): void {
    this.#unacked = undefined;
    this.#context.logger.warn({ callId: this.callId }, "no ACK for our 2xx: ending the session");
    void this.bye([], "failure", "no ACK for the 2xx");
  }

  receiveAck(ack: SipRequest): void {
    const pending = this.#unacked;
    if (!pending || ack.cseq.seq !== pending.response.cseq.seq) return;
    pending.timer?.cancel();
    this.#unacked = undefined;
    this.dialog.confirm();
    this.safeEmit("acked", ack);
  }

  // ---- UAC: the ACK for the peer's 2xx -------------------------------------------------------

  /** §13.2.2.4: ACKs the peer's 2xx (the INVITE's CSeq, a new branch), remembering it for retransmitted 2xx. */
  ack(invite: SipResponse, body?: SipBody): void {
    const ack = this.dialog.createRequest("ACK", {
      via: this.#context.local.via(this.peer),
      cseq: invite.cseq.seq,
      headers: body ? [["Content-Type", body.contentType]] : [],
      body: body?.data,
    });
    this.#lastAck = { cseq: invite.cseq.seq, ack };
    void sendStateless(this.#context, ack, this.peer);
  }

  /** A retransmitted 2xx: the ACK again (§13.2.2.4 "MUST … pass it to the transport"). */
  receiveStrayResponse(response: SipResponse): void {
    if (response.status < 200 || response.status >= 300 || response.cseq.method !== "INVITE") return;
    if (this.#lastAck && this.#lastAck.cseq === response.cseq.seq)
      void sendStateless(this.#context, this.#lastAck.ack, this.peer);
  }

  // ---- requests from the peer ----------------------------------------------------------------

  receiveRequest(request: SipRequest, transaction: ServerTransaction): void {
    const respond = (reply: SessionReply) => {
      const headers = [...(reply.headers ?? [])];
      if (reply.body) headers.push(["Content-Type", reply.body.contentType]);
      if (request.method === "INVITE" && reply.status < 300) headers.push(["Contact", this.#contact()]);
      const response = this.#context.core.response(request, reply.status, {
        reason: reply.reason,
        headers,
        body: reply.body?.data,
      });
      transaction.respond(response);
      return response;
    };
    // §12.2.2: a lower CSeq than the last one is out of order.
    if (!this.dialog.receiveRequest(request)) {
      respond({ status: 500, reason: "Out of Order" });
      return;
    }
    switch (request.method) {
      case "BYE":
        respond({ status: 200 });
        this.#end({ by: "remote", request });
        return;
      case "INVITE":
      case "UPDATE":
        this.#reoffer(request, transaction, respond);
        return;
      case "INFO":
        respond(
          this.delegate.onInfo?.(request) ?? { status: 415, headers: [["Accept", "application/dtmf-relay"]] },
        );
        return;
      case "REFER":
        respond(this.delegate.onRefer?.(request) ?? { status: 603, reason: "Decline" });
        return;
      case "OPTIONS":
      case "NOTIFY":
        respond({ status: 200 });
        return;
      default:
        respond({
          status: 405,
          headers: [["Allow", "INVITE, ACK, CANCEL, BYE, UPDATE, INFO, REFER, NOTIFY, OPTIONS"]],
        });
    }
  }

  /**
   * §14.2: "A UAS that receives a second INVITE before it sends the final response to a first
   * INVITE with a lower CSeq sequence number on the same dialog MUST return a 500 … A UAS that
   * receives an INVITE on a dialog while an INVITE it had sent on that dialog is in progress MUST
   * return a 491 (Request Pending)".
   */
  #reoffer(
    request: SipRequest,
    transaction: ServerTransaction,
    respond: (r: SessionReply) => SipResponse,
  ): void {
    if (request.method === "INVITE" && this.#reinviting) {
      respond({ status: 491 });
      return;
    }
    if (request.method === "INVITE" && (this.#unacked || this.#answeringInvite)) {
      respond({ status: 500, headers: [["Retry-After", "1"]] });
      return;
    }
    const handler = this.delegate.onReoffer;
    if (!handler) {
      respond({ status: 488 });
      return;
    }
    if (request.method === "INVITE") this.#answeringInvite = true;
    Promise.resolve(handler(request)).then(
      (reply) => {
        if (request.method === "INVITE") this.#answeringInvite = false;
        if (this.#terminated) return;
        const response = respond(reply);
        if (request.method === "INVITE" && reply.status >= 200 && reply.status < 300)
          this.awaitAck(response, transaction);
      },
      (error: unknown) => {
        if (request.method === "INVITE") this.#answeringInvite = false;
        this.#context.logger.error({ err: error, callId: this.callId }, "re-offer failed");
        respond({ status: 500 });
      },
    );
  }

  // ---- requests we send ----------------------------------------------------------------------

  /**
   * Sends a request inside the dialog (§12.2.1.1) and resolves with the final response (408 on
   * timeout). Target refresh requests carry our Contact.
   */
  request(
    method: string,
    options: { headers?: Array<[string, string]>; body?: SipBody } = {},
  ): Promise<SipResponse> {
    const headers = [...(options.headers ?? [])];
    if (method === "INVITE" || method === "UPDATE" || method === "REFER")
      headers.push(["Contact", this.#contact()]);
    if (options.body) headers.push(["Content-Type", options.body.contentType]);
    const request = this.dialog.createRequest(method, {
      via: this.#context.local.via(this.peer),
      headers,
      body: options.body?.data,
    });
    return new Promise((resolve) => {
      let answered = false;
      void sendInTransaction(this.#context, request, this.peer, {
        final: (response) => {
          // A 2xx to our re-INVITE again (the transaction is in Accepted): the same ACK (§13.2.2.4).
          if (answered) {
            this.receiveStrayResponse(response);
            return;
          }
          answered = true;
          this.dialog.receiveResponse(request, response);
          resolve(response);
        },
      });
    });
  }

  /**
   * RFC 3515 §2.4.4: progress of an accepted REFER as a NOTIFY in its implicit subscription, the
   * body a message/sipfrag status line ("SIP/2.0 200 OK"); `final` ends the subscription.
   */
  notifyReferProgress(status: number, reason: string, final: boolean): Promise<SipResponse> {
    return this.request("NOTIFY", {
      headers: [
        ["Event", "refer"],
        ["Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"],
      ],
      body: {
        contentType: "message/sipfrag;version=2.0",
        data: Buffer.from(`SIP/2.0 ${status} ${reason}\r\n`),
      },
    });
  }

  /** A re-INVITE with `offer` (hold, resume, a new media address); ACKs a 2xx and resolves with it. */
  async reinvite(offer: SipBody, headers: Array<[string, string]> = []): Promise<SipResponse> {
    if (this.#reinviting) throw new Error("a re-INVITE is already in progress");
    this.#reinviting = true;
    try {
      const response = await this.request("INVITE", { body: offer, headers });
      if (response.status >= 200 && response.status < 300 && !this.#terminated) this.ack(response);
      return response;
    } finally {
      this.#reinviting = false;
    }
  }

  /**
   * Ends the session with BYE (§15.1.1: "the caller's UA MUST NOT send a BYE on a confirmed
   * dialog until it has received an ACK for its 2xx response or until the server transaction
   * times out" — Parley sends it anyway when told to hang up, since the caller wants the call
   * gone; the peer answers 200 or 481). Resolves when the BYE is answered.
   */
  async bye(
    headers: Array<[string, string]> = [],
    by: SessionEnd["by"] = "local",
    detail?: string,
  ): Promise<void> {
    if (this.#terminated) return;
    this.#unacked?.timer?.cancel();
    this.#unacked = undefined;
    const done = this.request("BYE", { headers });
    this.#end({ by, ...(detail === undefined ? {} : { detail }) });
    await done;
  }

  /** Forgets the session without sending anything (shutdown, or the peer's transport is gone). */
  close(detail = "closed"): void {
    this.#end({ by: "failure", detail });
  }

  #end(end: SessionEnd): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#unacked?.timer?.cancel();
    this.#unacked = undefined;
    this.dialog.terminate();
    this.#context.core.forgetDialog(this.dialog.key);
    this.safeEmit("terminated", end);
  }

  #contact(): string {
    return this.#context.local.contact(this.peer.protocol);
  }
}
