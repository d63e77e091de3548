import type { Logger } from "../../kernel/log.ts";
import type { SipParseError } from "../errors.ts";
import { createResponse, type SipRequest, type SipResponse } from "../messages/index.ts";
import type {
  ServerInviteTransaction,
  ServerTransaction,
  TransactionLayer,
  TransactionLayerUser,
  TransactionTransport,
} from "../transactions/index.ts";
import type { ReplyPath } from "../transports/index.ts";

/** Handles one method's requests once §8.2's checks have passed; answers through the transaction. */
export type RequestHandler = (request: SipRequest, transaction: ServerTransaction) => void | Promise<void>;

/**
 * What owns a dialog at this UA (an INVITE session): requests inside the dialog, the ACK for a
 * 2xx (which travels outside any transaction, §13.2.2.4) and 2xx retransmissions that outlived
 * their client transaction come to it.
 */
export interface DialogUser {
  receiveRequest(request: SipRequest, transaction: ServerTransaction): void;
  receiveAck(ack: SipRequest): void;
  receiveStrayResponse(response: SipResponse): void;
}

/** The owner of an INVITE server transaction hears of a CANCEL for it and answers the INVITE itself. */
export type CancelListener = (cancel: SipRequest) => void;

export interface UserAgentCoreOptions {
  logger: Logger;
  /** Option tags Parley supports (Supported, and the §8.2.2.3 Require check). */
  supported: readonly string[];
  /** Value of the Server / User-Agent header. */
  product: string;
}

const SCHEMES = new Set(["sip", "sips", "tel"]);

/** The dialog a received request belongs to: Call-ID, local tag (To), remote tag (From). */
function requestDialogKey(request: SipRequest): string {
  return `${request.callId}|${request.to.tag ?? ""}|${request.from.tag ?? ""}`;
}

/**
 * The transaction user of RFC 3261 §8.2: every new request passes the UAS checks in the RFC's
 * order (each a small method named after its section), then goes to the handler registered for
 * its method. Malformed requests get a stateless 400 when they can be answered at all.
 * https://www.rfc-editor.org/rfc/rfc3261#section-8.2
 */
export class UserAgentCore implements TransactionLayerUser {
  readonly #options: UserAgentCoreOptions;
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #dialogs = new Map<string, DialogUser>();
  readonly #cancelListeners = new WeakMap<
    ServerInviteTransaction,
    { cancelled: CancelListener; toTag: string }
  >();
  #transactions: TransactionLayer | undefined;

  constructor(options: UserAgentCoreOptions) {
    this.#options = options;
    this.#handlers.set("OPTIONS", (request, transaction) => this.#answerOptions(request, transaction));
  }

  /** Connects the transaction layer (built after the core, since it calls back into it). */
  attach(transactions: TransactionLayer): void {
    this.#transactions = transactions;
  }

  /** Registers the handler for a method (REGISTER → Registrar, INVITE → call control …). */
  handle(method: string, handler: RequestHandler): void {
    this.#handlers.set(method, handler);
  }

  /** Routes requests of the dialog `key` (Call-ID|local tag|remote tag) to `user` until `forgetDialog`. */
  registerDialog(key: string, user: DialogUser): void {
    this.#dialogs.set(key, user);
  }

  forgetDialog(key: string): void {
    this.#dialogs.delete(key);
  }

  get dialogCount(): number {
    return this.#dialogs.size;
  }

  /**
   * Tells the owner of `invite` about a CANCEL instead of the core answering 487 on its own;
   * `toTag` is the tag the owner answers the INVITE with (the CANCEL's 200 carries it too).
   */
  onCancel(invite: ServerInviteTransaction, listener: CancelListener, toTag: string): void {
    this.#cancelListeners.set(invite, { cancelled: listener, toTag });
  }

  /** The Allow header value: every method with a handler, plus ACK and CANCEL which the core serves. */
  get allow(): string {
    const dialogMethods = this.#handlers.has("INVITE") ? ["BYE", "UPDATE", "INFO", "REFER", "NOTIFY"] : [];
    return [...new Set([...this.#handlers.keys(), "ACK", "CANCEL", ...dialogMethods])].join(", ");
  }

  // ---- from the transport layer -------------------------------------------------------------

  /**
   * §8.2 cannot run on a request that did not parse; it gets a stateless error response naming
   * the problem (e.g. 400 "Missing Call-ID"), copying what it has of Via, From, To, Call-ID and
   * CSeq. Without a Via there is nowhere to send a response, so it is dropped, and an ACK is never
   * answered (§17.2.3).
   */
  receiveInvalidRequest(partial: SipRequest, error: SipParseError, reply: ReplyPath): void {
    if (!partial.headers.has("via") || partial.method === "ACK") return;
    reply.send(this.#stamp(createResponse(partial, error.status, { reason: error.reason })));
  }

  // ---- from the transaction layer -----------------------------------------------------------

  /** A new server transaction: the §8.2 steps in order, then the method's handler. */
  receiveRequest(request: SipRequest, transaction: ServerTransaction): void {
    const refusal =
      this.#checkVersion(request) ??
      this.#checkMaxForwards(request) ??
      this.#inspectMethod(request) ??
      this.#inspectUriScheme(request) ??
      this.#checkMergedRequest(request) ??
      this.#checkRequire(request) ??
      this.#checkContentEncoding(request);
    if (refusal) {
      transaction.respond(this.#stamp(refusal));
      return;
    }
    if (request.method === "CANCEL") {
      this.#cancel(request, transaction);
      return;
    }
    if (request.to.tag !== undefined && request.method !== "REGISTER") {
      this.#inDialog(request, transaction);
      return;
    }
    const handler = this.#handlers.get(request.method) as RequestHandler;
    try {
      const done = handler(request, transaction);
      if (done instanceof Promise)
        done.catch((error: unknown) => this.#handlerFailed(request, transaction, error));
    } catch (error) {
      this.#handlerFailed(request, transaction, error);
    }
  }

  /** The ACK for a 2xx (§13.2.2.4): to the dialog it confirms; otherwise dropped (§17.2.3). */
  receiveAck(ack: SipRequest, _transport?: TransactionTransport): void {
    const user = this.#dialogs.get(requestDialogKey(ack));
    if (user) user.receiveAck(ack);
    else this.#options.logger.debug({ callId: ack.callId }, "ACK for no dialog");
  }

  /** RFC 6026 §7.1: an ACK that matched a server transaction in Accepted is the TU's. */
  receiveAcceptedAck(ack: SipRequest): void {
    this.receiveAck(ack);
  }

  /** A 2xx retransmitted after its transaction ended: the dialog re-sends its ACK (§13.2.2.4). */
  receiveStrayResponse(response: SipResponse): void {
    const localTag = response.from.tag;
    const remoteTag = response.to.tag;
    const user =
      localTag === undefined || remoteTag === undefined
        ? undefined
        : this.#dialogs.get(`${response.callId}|${localTag}|${remoteTag}`);
    if (user) {
      user.receiveStrayResponse(response);
      return;
    }
    this.#options.logger.debug(
      { callId: response.callId, status: response.status },
      "response matched no transaction",
    );
  }

  /** Builds a response to `request` with the Server header set. */
  response(
    request: SipRequest,
    status: number,
    options: Parameters<typeof createResponse>[2] = {},
  ): SipResponse {
    return this.#stamp(createResponse(request, status, options));
  }

  // ---- §8.2 steps ---------------------------------------------------------------------------

  /** §8.1.1 / §21.5.6: Parley speaks SIP/2.0 only ("SIP" is case-insensitive in the ABNF). */
  #checkVersion(request: SipRequest): SipResponse | undefined {
    if (request.version.toUpperCase() !== "SIP/2.0") return createResponse(request, 505);
    return undefined;
  }

  /**
   * §8.2.1: "If the UAS recognizes but does not support the method of a request, it MUST
   * generate a 405 (Method Not Allowed) response … The UAS MUST also add an Allow header field".
   */
  #inspectMethod(request: SipRequest): SipResponse | undefined {
    if (this.#handlers.has(request.method) || request.method === "CANCEL") return undefined;
    // Methods that only live inside a dialog (BYE, INFO, REFER …) are the dialog's to judge; when
    // the dialog is unknown, #inDialog answers 481 (§12.2.2), since the method itself is supported.
    if (request.to.tag !== undefined && this.#dialogs.has(requestDialogKey(request))) return undefined;
    if (request.to.tag !== undefined && this.allow.split(", ").includes(request.method)) return undefined;
    return createResponse(request, 405, { headers: [["Allow", this.allow]] });
  }

  /** §8.2.2.1: "If the Request-URI uses a scheme not supported by the UAS, it SHOULD reject the request with a 416". */
  #inspectUriScheme(request: SipRequest): SipResponse | undefined {
    return SCHEMES.has(request.uri.scheme) ? undefined : createResponse(request, 416);
  }

  /**
   * §16.3 step 3 (Parley forwards requests as a B2BUA, so it applies the proxy rule): Max-Forwards
   * 0 gets 483, except OPTIONS, which "the element MAY act as a UAS for" — useful for monitoring.
   */
  #checkMaxForwards(request: SipRequest): SipResponse | undefined {
    if (request.maxForwards !== 0 || request.method === "OPTIONS") return undefined;
    return createResponse(request, 483);
  }

  /** §8.2.2.2: a merged request (same From tag, Call-ID and CSeq as another transaction) gets 482. */
  #checkMergedRequest(request: SipRequest): SipResponse | undefined {
    return this.#layer().isMergedRequest(request) ? createResponse(request, 482) : undefined;
  }

  /**
   * §8.2.2.3: "If a UAS does not understand an option-tag listed in a Require header field, it
   * MUST respond by generating a response with status code 420 (Bad Extension). The UAS MUST add
   * an Unsupported header field". Not applied to CANCEL and ACK.
   */
  #checkRequire(request: SipRequest): SipResponse | undefined {
    if (request.method === "CANCEL" || request.method === "ACK") return undefined;
    const unknown = request.optionTags("require").filter((tag) => !this.#options.supported.includes(tag));
    if (unknown.length === 0) return undefined;
    return createResponse(request, 420, { headers: [["Unsupported", unknown.join(", ")]] });
  }

  /** §8.2.3: a Content-Encoding the UAS does not understand gets 415 with Accept-Encoding. */
  #checkContentEncoding(request: SipRequest): SipResponse | undefined {
    const encodings = request.headers.values("content-encoding").map((e) => e.toLowerCase());
    if (encodings.every((e) => e === "identity")) return undefined;
    return createResponse(request, 415, { headers: [["Accept-Encoding", "identity"]] });
  }

  // ---- built-in methods ---------------------------------------------------------------------

  /** §11.2: OPTIONS is answered as an INVITE would be, with Allow, Accept and Supported. */
  #answerOptions(request: SipRequest, transaction: ServerTransaction): void {
    transaction.respond(
      this.response(request, 200, {
        headers: [
          ["Allow", this.allow],
          ["Accept", "application/sdp"],
          ["Accept-Encoding", "identity"],
          ["Supported", this.#options.supported.join(", ")],
        ],
      }),
    );
  }

  /**
   * §9.2: "If the UAS did not find a matching transaction for the CANCEL … it SHOULD respond to
   * the CANCEL with a 481 … the UAS … SHOULD respond to the INVITE with a 487", and the CANCEL
   * itself gets 200.
   */
  #cancel(cancel: SipRequest, transaction: ServerTransaction): void {
    const invite: ServerInviteTransaction | undefined = this.#layer().findInviteFor(cancel);
    if (!invite) {
      transaction.respond(this.response(cancel, 481));
      return;
    }
    // §9.2: "the To tag of the response to the CANCEL and the To tag in the response to the
    // original request SHOULD be the same", so the 200 carries the tag the INVITE is answered with.
    const toTag = this.#cancelListeners.get(invite)?.toTag ?? invite.lastResponse?.to.tag;
    transaction.respond(this.response(cancel, 200, toTag ? { toTag } : {}));
    if (invite.state !== "Proceeding") return;
    const listener = this.#cancelListeners.get(invite);
    if (listener) listener.cancelled(cancel);
    else invite.respond(this.response(invite.request, 487));
  }

  /**
   * §12.2.2: a request with a To tag belongs to a dialog. "If the UAS wishes to reject the
   * request because it does not wish to recreate the dialog, it MUST respond to the request with
   * a 481 (Call/Transaction Does Not Exist) status code".
   */
  #inDialog(request: SipRequest, transaction: ServerTransaction): void {
    const user = this.#dialogs.get(requestDialogKey(request));
    if (user) {
      try {
        user.receiveRequest(request, transaction);
      } catch (error) {
        this.#handlerFailed(request, transaction, error);
      }
      return;
    }
    transaction.respond(this.response(request, 481));
  }

  #handlerFailed(request: SipRequest, transaction: ServerTransaction, error: unknown): void {
    this.#options.logger.error(
      { err: error, callId: request.callId, method: request.method },
      "request handler failed",
    );
    if (transaction.state === "Trying" || transaction.state === "Proceeding") {
      transaction.respond(this.response(request, 500));
    }
  }

  #stamp(response: SipResponse): SipResponse {
    if (!response.headers.has("server")) response.headers.append("Server", this.#options.product);
    return response;
  }

  #layer(): TransactionLayer {
    if (!this.#transactions) throw new Error("UserAgentCore.attach() was not called");
    return this.#transactions;
  }
}
