import type { SipRequest, SipResponse } from "../messages/index.ts";
import type { ServerTransactionUser } from "./server-invite-transaction.ts";
import type { TimerName } from "./timers.ts";
import { Transaction, type TransactionOptions } from "./transaction.ts";

/** RFC 3261 §17.2.2. */
export type ServerNonInviteState = "Trying" | "Proceeding" | "Completed" | "Terminated";

/**
 * Server non-INVITE transaction, RFC 3261 §17.2.2 (Figure 8).
 * https://www.rfc-editor.org/rfc/rfc3261#section-17.2.2
 */
export class ServerNonInviteTransaction extends Transaction<ServerNonInviteState> {
  readonly request: SipRequest;
  readonly user: ServerTransactionUser;
  #lastResponse: SipResponse | undefined;

  protected readonly transitions = {
    Trying: ["Proceeding", "Completed", "Terminated"],
    Proceeding: ["Completed", "Terminated"],
    Completed: ["Terminated"],
    Terminated: [],
  } as const satisfies Record<ServerNonInviteState, readonly ServerNonInviteState[]>;

  protected readonly timersIn = {
    Trying: [],
    Proceeding: [],
    Completed: ["J"],
    Terminated: [],
  } as const satisfies Record<ServerNonInviteState, readonly TimerName[]>;

  constructor(key: string, request: SipRequest, user: ServerTransactionUser, options: TransactionOptions) {
    super(key, "Trying", options);
    this.request = request;
    this.user = user;
  }

  start(): void {}

  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  respond(response: SipResponse): void {
    if (this.state === "Completed" || this.state === "Terminated") {
      throw new Error(`ServerNonInviteTransaction ${this.key}: response ${response.status} in ${this.state}`);
    }
    this.#lastResponse = response;
    this.send(response);
    if (response.status < 200) {
      if (this.state === "Trying") this.transition("Proceeding");
      return;
    }
    // §17.2.2: "the server transaction MUST enter the Completed state … it MUST set Timer J to
    // fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    this.transition("Completed");
    this.startTimer("J");
  }

  /**
   * A retransmission of the request. Trying: "any retransmissions of the request received while
   * in this state MUST be discarded". Proceeding and Completed: the last response is resent.
   */
  receiveRequest(_request: SipRequest): void {
    if ((this.state === "Proceeding" || this.state === "Completed") && this.#lastResponse) {
      this.send(this.#lastResponse);
    }
  }

  protected onTimer(name: TimerName): void {
    if (name === "J" && this.state === "Completed") this.transition("Terminated");
  }

  transportError(): void {
    if (this.terminated) return;
    this.transition("Terminated");
    this.user.serverTransportFailed?.(this);
  }
}
