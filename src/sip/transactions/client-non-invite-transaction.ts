import type { SipRequest, SipResponse } from "../messages/index.ts";
import type { ClientTransactionUser } from "./client-invite-transaction.ts";
import type { TimerName } from "./timers.ts";
import { Transaction, type TransactionOptions } from "./transaction.ts";

/** RFC 3261 §17.1.2. */
export type ClientNonInviteState = "Trying" | "Proceeding" | "Completed" | "Terminated";

/**
 * Client non-INVITE transaction, RFC 3261 §17.1.2 (Figure 6).
 * https://www.rfc-editor.org/rfc/rfc3261#section-17.1.2
 */
export class ClientNonInviteTransaction extends Transaction<ClientNonInviteState> {
  readonly request: SipRequest;
  readonly user: ClientTransactionUser;

  protected readonly transitions = {
    Trying: ["Proceeding", "Completed", "Terminated"],
    Proceeding: ["Completed", "Terminated"],
    Completed: ["Terminated"],
    Terminated: [],
  } as const satisfies Record<ClientNonInviteState, readonly ClientNonInviteState[]>;

  protected readonly timersIn = {
    Trying: ["E", "F"],
    Proceeding: ["E", "F"],
    Completed: ["K"],
    Terminated: [],
  } as const satisfies Record<ClientNonInviteState, readonly TimerName[]>;

  constructor(key: string, request: SipRequest, user: ClientTransactionUser, options: TransactionOptions) {
    super(key, "Trying", options);
    this.request = request;
    this.user = user;
  }

  /**
   * §17.1.2.2: "the request is passed to the transport layer … timer F MUST be set to fire in
   * 64*T1 seconds … If an unreliable transport is in use, the client transaction MUST set timer E
   * to fire in T1 seconds."
   */
  start(): void {
    this.send(this.request);
    this.startTimer("F");
    if (!this.reliable) this.startTimer("E");
  }

  receiveResponse(response: SipResponse): void {
    if (this.state === "Completed" || this.state === "Terminated") return; // absorbed (Timer K)
    if (response.status < 200) {
      // §17.1.2.2: a provisional response moves Trying to Proceeding; E and F keep running.
      if (this.state === "Trying") this.transition("Proceeding");
      this.user.receiveResponse(response);
      return;
    }
    // "If a final response (status codes 200-699) is received while in the Trying or Proceeding
    // state, the response MUST be passed to the TU, and the client transaction MUST transition to
    // the Completed state … set Timer K to fire in T4 seconds for unreliable transports, and zero
    // seconds for reliable transports."
    this.transition("Completed");
    this.user.receiveResponse(response);
    this.startTimer("K");
  }

  protected onTimer(name: TimerName): void {
    if (name === "E" && (this.state === "Trying" || this.state === "Proceeding")) {
      // Trying: "reset the timer with a value of MIN(2*T1, T2)" (doubling, capped at T2).
      // Proceeding: "… MUST reset the timer with a value of T2 seconds".
      this.send(this.request);
      const t2 = this.options.timers.t2;
      const next = this.state === "Trying" ? Math.min(2 * (this.intervals.get("E") ?? 0), t2) : t2;
      this.startTimer("E", next);
    } else if (name === "F" && (this.state === "Trying" || this.state === "Proceeding")) {
      // "If Timer F fires while the client transaction is still in the Trying state, the client
      // transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
      // Terminated state." (likewise in Proceeding)
      this.transition("Terminated");
      this.user.requestTimeout();
    } else if (name === "K" && this.state === "Completed") {
      this.transition("Terminated");
    }
  }

  transportError(): void {
    if (this.terminated) return;
    this.transition("Terminated");
    this.user.transportFailed();
  }
}
