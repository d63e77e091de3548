import type { SipRequest, SipResponse } from "../messages/index.ts";
import { ackForNon2xx } from "./ack-request.ts";
import type { TimerName } from "./timers.ts";
import { Transaction, type TransactionOptions } from "./transaction.ts";

/** RFC 3261 §17.1.1 with RFC 6026's Accepted state. */
export type ClientInviteState = "Calling" | "Proceeding" | "Completed" | "Accepted" | "Terminated";

/** What the transaction tells the UAC core (the TU). */
export interface ClientTransactionUser {
  receiveResponse(response: SipResponse): void;
  /** Timer B or F fired: the TU treats it as a 408 (§17.1.1.2, §17.1.2.2). */
  requestTimeout(): void;
  /** The transport failed: the TU treats it as a 503 (§17.1.4). */
  transportFailed(): void;
}

/**
 * Client INVITE transaction, RFC 3261 §17.1.1 (Figure 5) as amended by RFC 6026 §7.2 (Figure 3).
 * https://www.rfc-editor.org/rfc/rfc3261#section-17.1.1
 */
export class ClientInviteTransaction extends Transaction<ClientInviteState> {
  readonly request: SipRequest;
  readonly user: ClientTransactionUser;
  #ack: SipRequest | undefined;

  protected readonly transitions = {
    Calling: ["Proceeding", "Completed", "Accepted", "Terminated"],
    Proceeding: ["Completed", "Accepted", "Terminated"],
    Completed: ["Terminated"],
    Accepted: ["Terminated"],
    Terminated: [],
  } as const satisfies Record<ClientInviteState, readonly ClientInviteState[]>;

  protected readonly timersIn = {
    Calling: ["A", "B"],
    Proceeding: [],
    Completed: ["D"],
    Accepted: ["M"],
    Terminated: [],
  } as const satisfies Record<ClientInviteState, readonly TimerName[]>;

  constructor(key: string, request: SipRequest, user: ClientTransactionUser, options: TransactionOptions) {
    super(key, "Calling", options);
    this.request = request;
    this.user = user;
  }

  /**
   * §17.1.1.2: "the client transaction MUST pass the request to the transport layer … If an
   * unreliable transport is being used, the client transaction MUST start timer A with a value of
   * T1 … For any transport, the client transaction MUST start timer B with a value of 64*T1."
   */
  start(): void {
    this.send(this.request);
    if (!this.reliable) this.startTimer("A");
    this.startTimer("B");
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case "Calling":
      case "Proceeding":
        if (status < 200) {
          // §17.1.1.2: "If the client transaction receives a provisional response while in the
          // Calling state, it transitions to the Proceeding state … SHOULD NOT retransmit".
          if (this.state === "Calling") this.transition("Proceeding");
          this.user.receiveResponse(response);
        } else if (status < 300) {
          // RFC 6026 §7.2: a 2xx moves the transaction to Accepted and starts Timer M.
          this.transition("Accepted");
          this.startTimer("M");
          this.user.receiveResponse(response);
        } else {
          // §17.1.1.2: a 300-699 response "MUST be passed up to the TU, and the client
          // transaction MUST generate an ACK request … and then … start timer D".
          this.transition("Completed");
          this.#ack = ackForNon2xx(this.request, response);
          this.send(this.#ack);
          this.startTimer("D");
          this.user.receiveResponse(response);
        }
        return;
      case "Completed":
        // "Any retransmissions of the final response that are received while in the Completed
        // state MUST cause the ACK to be re-passed to the transport layer … but the newly
        // received response MUST NOT be passed up to the TU."
        if (status >= 300 && this.#ack) this.send(this.#ack);
        return;
      case "Accepted":
        // RFC 6026 §7.2: "any 2xx responses that are received MUST be passed up to the TU".
        if (status >= 200 && status < 300) this.user.receiveResponse(response);
        return;
      case "Terminated":
        return;
    }
  }

  protected onTimer(name: TimerName): void {
    if (name === "A" && this.state === "Calling") {
      // "When timer A fires, the client transaction MUST retransmit the request … and reset the
      // timer with a value of 2*T1."
      this.send(this.request);
      this.startTimer("A", 2 * (this.intervals.get("A") ?? this.options.timers.t1));
    } else if (name === "B" && this.state === "Calling") {
      // "If the client transaction is still in the Calling state when timer B fires, the client
      // transaction SHOULD inform the TU that a timeout has occurred."
      this.transition("Terminated");
      this.user.requestTimeout();
    } else if ((name === "D" && this.state === "Completed") || (name === "M" && this.state === "Accepted")) {
      this.transition("Terminated");
    }
  }

  transportError(): void {
    if (this.terminated) return;
    this.transition("Terminated");
    this.user.transportFailed();
  }
}
