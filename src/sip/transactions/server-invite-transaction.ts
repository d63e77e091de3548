import { createResponse, type SipRequest, type SipResponse } from "../messages/index.ts";
import type { TimerName } from "./timers.ts";
import { Transaction, type TransactionOptions } from "./transaction.ts";

/** RFC 3261 §17.2.1 with RFC 6026's Accepted state. */
export type ServerInviteState = "Proceeding" | "Completed" | "Confirmed" | "Accepted" | "Terminated";

/** What a server transaction tells the UAS core; one user serves every server transaction. */
export interface ServerTransactionUser {
  /** RFC 6026 §7.1: an ACK for a 2xx that matched the transaction in Accepted goes to the TU. */
  receiveAcceptedAck?(ack: SipRequest, transaction: ServerInviteTransaction): void;
  /** Timer H fired: no ACK came for a non-2xx final response (§17.2.1). */
  ackTimedOut?(transaction: ServerInviteTransaction): void;
  /** The transport failed while sending a response (§17.2.4). */
  serverTransportFailed?(transaction: ServerInviteTransaction | { readonly key: string }): void;
}

/**
 * Server INVITE transaction, RFC 3261 §17.2.1 (Figure 7) as amended by RFC 6026 §7.1 (Figure 5).
 * https://www.rfc-editor.org/rfc/rfc3261#section-17.2.1
 *
 * Parley sends 100 Trying as soon as the transaction exists rather than waiting 200 ms: §17.2.1
 * lets a server skip the 100 only when it knows a response will follow within 200 ms, which a
 * B2BUA that forks to phones cannot know.
 */
export class ServerInviteTransaction extends Transaction<ServerInviteState> {
  readonly request: SipRequest;
  readonly user: ServerTransactionUser;
  #lastResponse: SipResponse | undefined;

  protected readonly transitions = {
    Proceeding: ["Completed", "Accepted", "Terminated"],
    Completed: ["Confirmed", "Terminated"],
    Confirmed: ["Terminated"],
    Accepted: ["Terminated"],
    Terminated: [],
  } as const satisfies Record<ServerInviteState, readonly ServerInviteState[]>;

  protected readonly timersIn = {
    Proceeding: [],
    Completed: ["G", "H"],
    Confirmed: ["I"],
    Accepted: ["L"],
    Terminated: [],
  } as const satisfies Record<ServerInviteState, readonly TimerName[]>;

  constructor(key: string, request: SipRequest, user: ServerTransactionUser, options: TransactionOptions) {
    super(key, "Proceeding", options);
    this.request = request;
    this.user = user;
  }

  /** §17.2.1: "the server transaction MUST generate a 100 (Trying) response". */
  start(): void {
    this.respond(createResponse(this.request, 100));
  }

  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** A response from the TU. */
  respond(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case "Proceeding":
        this.#lastResponse = response;
        this.send(response);
        if (status >= 200 && status < 300) {
          // RFC 6026 §7.1: "If, while in the Proceeding state, the TU passes a 2xx response to
          // the server transaction, the server transaction MUST pass this response to the
          // transport layer for transmission … and MUST move to the Accepted state."
          this.transition("Accepted");
          this.startTimer("L");
        } else if (status >= 300) {
          // §17.2.1: "the response MUST be passed to the transport layer … the state machine
          // MUST enter the Completed state. For unreliable transports, timer G is set to fire in
          // T1 seconds … When the Completed state is entered, timer H MUST be set to fire in 64*T1".
          this.transition("Completed");
          if (!this.reliable) this.startTimer("G");
          this.startTimer("H");
        }
        return;
      case "Accepted":
        // RFC 6026 §7.1: "2xx responses … passed by the TU … MUST be passed to the transport layer".
        if (status >= 200 && status < 300) {
          this.#lastResponse = response;
          this.send(response);
        }
        return;
      default:
        throw new Error(`ServerInviteTransaction ${this.key}: response ${status} in ${this.state}`);
    }
  }

  /** A request that matched this transaction: an INVITE retransmission or an ACK. */
  receiveRequest(request: SipRequest): void {
    if (request.method === "INVITE") {
      // §17.2.1: "If a request retransmission is received while in the Proceeding state, the
      // most recent provisional response … MUST be passed to the transport layer". In Completed
      // the final response is resent. In Accepted (RFC 6026) it is absorbed: the TU retransmits 2xx.
      if ((this.state === "Proceeding" || this.state === "Completed") && this.#lastResponse) {
        this.send(this.#lastResponse);
      }
      return;
    }
    if (request.method !== "ACK") return;
    if (this.state === "Completed") {
      // "If an ACK is received while the server transaction is in the Completed state, the
      // server transaction MUST transition to the Confirmed state … timer I is set to fire in T4
      // seconds for unreliable transports, and zero seconds for reliable transports."
      this.transition("Confirmed");
      this.startTimer("I");
    } else if (this.state === "Accepted") {
      this.user.receiveAcceptedAck?.(request, this);
    }
  }

  protected onTimer(name: TimerName): void {
    if (name === "G" && this.state === "Completed" && this.#lastResponse) {
      // "If timer G fires, the response is passed to the transport layer once more for
      // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds."
      this.send(this.#lastResponse);
      this.startTimer("G", Math.min(2 * (this.intervals.get("G") ?? 0), this.options.timers.t2));
    } else if (name === "H" && this.state === "Completed") {
      // "If timer H fires while in the Completed state, it implies that the ACK was never
      // received. In this case, the server transaction MUST transition to the Terminated state,
      // and MUST indicate to the TU that a transaction failure has occurred."
      this.transition("Terminated");
      this.user.ackTimedOut?.(this);
    } else if ((name === "I" && this.state === "Confirmed") || (name === "L" && this.state === "Accepted")) {
      this.transition("Terminated");
    }
  }

  transportError(): void {
    if (this.terminated) return;
    this.transition("Terminated");
    this.user.serverTransportFailed?.(this);
  }
}
