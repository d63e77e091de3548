import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { Dialog } from "../dialogs/index.ts";
import type { SipRequest, SipResponse } from "../messages/index.ts";
import type { ServerTransaction } from "../transactions/index.ts";
import type { RemoteAddress } from "../transports/index.ts";
import type { DialogUser } from "./user-agent-core.ts";

/**
 * RFC 6665 §4.1.2 names a subscription's states `active`, `pending` and `terminated`. Parley
 * authorises before it answers, so a subscription is never pending: it is Active from its 200
 * until it ends.
 */
export type SubscriptionState = "Active" | "Terminated";

const TRANSITIONS: Readonly<Record<SubscriptionState, readonly SubscriptionState[]>> = {
  Active: ["Terminated"],
  Terminated: [],
};

/**
 * RFC 6665 §4.2.2 reason codes of `Subscription-State: terminated` that the notifier sends
 * (`timeout`: expired or unsubscribed; `noresource`: the resource is gone; `deactivated`: retry at
 * once, used when the node shuts down; `rejected`: authorisation withdrawn).
 */
export type TerminationReason = "timeout" | "noresource" | "deactivated" | "rejected";

/** Why a subscription ended, as its `ended` callback tells it. */
export interface SubscriptionEnd {
  /**
   * `unsubscribed`: a SUBSCRIBE with Expires: 0; `expired`: not refreshed in time; `notify-failed`:
   * a NOTIFY was answered 481 or timed out; `local`: the notifier ended it (noresource,
   * deactivated, rejected).
   */
  cause: "unsubscribed" | "expired" | "notify-failed" | "local";
  /** The NOTIFY's status, for `notify-failed`. */
  status?: number;
}

/** The Event header of a subscription: the package and its `id` parameter (RFC 6665 §8.2.1). */
export interface EventHeader {
  package: string;
  id?: string;
}

/** What a subscription needs from its notifier (declared here so the notifier depends on it, not the reverse). */
export interface SubscriptionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The package's body type, e.g. application/simple-message-summary. */
  readonly contentType: string;
  /** The current state of the resource as a body; undefined sends a NOTIFY without body. */
  body(subscription: Subscription): Promise<Buffer | undefined>;
  /** Sends a request inside the dialog to `peer`; resolves with the final response (408 on timeout). */
  send(request: SipRequest, peer: RemoteAddress): Promise<SipResponse>;
  /** Our Via and Contact for requests towards `peer`. */
  via(peer: RemoteAddress): string;
  contact(peer: RemoteAddress): string;
  /** A SUBSCRIBE inside the dialog (refresh or unsubscribe): the notifier applies its expiry policy. */
  resubscribed(subscription: Subscription, request: SipRequest, transaction: ServerTransaction): void;
  /** Any other request inside the dialog. */
  answer(
    request: SipRequest,
    transaction: ServerTransaction,
    status: number,
    headers?: Array<[string, string]>,
  ): void;
  notified(subscription: Subscription, response: SipResponse, final: boolean): void;
  ended(subscription: Subscription, end: SubscriptionEnd): void;
}

/**
 * One subscription of RFC 6665 at the notifier, in the dialog its SUBSCRIBE created: NOTIFYs go
 * inside that dialog (CSeq increasing, over its route set) to `peer`, the address the SUBSCRIBE
 * came from (its flow for TCP and WebSocket, the NAT's public address for UDP), as the registrar
 * reaches NATed phones. One NOTIFY at a time: changes while one is in flight are coalesced into
 * the next, which carries the state current when it is sent.
 * https://www.rfc-editor.org/rfc/rfc6665#section-4.2.2
 */
export class Subscription implements DialogUser {
  readonly dialog: Dialog;
  readonly event: EventHeader;
  /** What is subscribed to (for message-summary, the AOR). */
  readonly resource: string;
  /** The address NOTIFYs go to; a re-SUBSCRIBE from elsewhere (a new NAT binding) moves it. */
  peer: RemoteAddress;
  readonly #host: SubscriptionHost;
  #state: SubscriptionState = "Active";
  #expiresAt = 0;
  #timer: TimerHandle | undefined;
  #sending = false;
  /** The NOTIFYs being sent, for `settled()`. */
  #pumping: Promise<void> = Promise.resolve();
  /** Nothing more is sent (the stack is going away). */
  #silent = false;
  /** A NOTIFY is owed: the next one goes out when the one in flight is answered. */
  #owed = false;
  #reason: TerminationReason = "timeout";

  constructor(
    host: SubscriptionHost,
    init: { dialog: Dialog; event: EventHeader; resource: string; peer: RemoteAddress; expires: number },
  ) {
    this.#host = host;
    this.dialog = init.dialog;
    this.event = init.event;
    this.resource = init.resource;
    this.peer = init.peer;
    this.#arm(init.expires);
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** Epoch milliseconds at which the subscription expires unless refreshed. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** Seconds left, as `Subscription-State: active;expires=` states it. */
  get remaining(): number {
    return Math.max(0, Math.round((this.#expiresAt - this.#host.clock.now()) / 1000));
  }

  get callId(): string {
    return this.dialog.id.callId;
  }

  /**
   * RFC 6665 §4.2.1.2: a refresh sets a new expiry; "Upon successfully accepting or refreshing a
   * subscription, notifiers MUST send a NOTIFY request immediately to communicate the current
   * resource state to the subscriber" (§4.2.1.1), which the notifier does after its 200.
   */
  refresh(expires: number): void {
    if (this.#state === "Terminated") return;
    this.#arm(expires);
  }

  /** Sends the resource's current state (coalesced with a NOTIFY already waiting to go). */
  notify(): void {
    if (this.#state === "Terminated") return;
    this.#owed = true;
    this.#startPump();
  }

  /**
   * Ends the subscription with a final NOTIFY, `Subscription-State: terminated;reason=<reason>`
   * (RFC 6665 §4.2.2: "the notifier SHOULD also include a 'reason' parameter"), carrying the
   * current state too.
   */
  terminate(reason: TerminationReason, cause: SubscriptionEnd["cause"] = "local"): void {
    if (this.#state === "Terminated") return;
    this.#reason = reason;
    this.#owed = true;
    this.#transition("Terminated", { cause });
    this.#startPump();
  }

  /** Resolves when no NOTIFY of this subscription is waiting for its answer or about to go. */
  settled(): Promise<void> {
    return this.#pumping;
  }

  /** Sends nothing more, not even an owed final NOTIFY (the stack under it is stopping). */
  silence(): void {
    this.#silent = true;
    this.#owed = false;
  }

  /** Forgets the subscription without sending anything (the subscriber is known to be gone). */
  close(end: SubscriptionEnd = { cause: "local" }): void {
    if (this.#state === "Terminated") return;
    this.#owed = false;
    this.#transition("Terminated", end);
    if (!this.#sending) this.dialog.terminate();
  }

  // ---- DialogUser ---------------------------------------------------------------------------

  receiveRequest(request: SipRequest, transaction: ServerTransaction): void {
    // RFC 3261 §12.2.2: a lower CSeq than the last one is out of order.
    if (!this.dialog.receiveRequest(request)) {
      this.#host.answer(request, transaction, 500);
      return;
    }
    if (request.method === "SUBSCRIBE") {
      this.#host.resubscribed(this, request, transaction);
      return;
    }
    this.#host.answer(request, transaction, 405, [["Allow", "SUBSCRIBE"]]);
  }

  receiveAck(): void {}

  receiveStrayResponse(): void {}

  // ---- NOTIFY -------------------------------------------------------------------------------

  #startPump(): void {
    if (!this.#sending) this.#pumping = this.#pump();
  }

  /** Sends owed NOTIFYs one at a time until none is owed, the final one last. */
  async #pump(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#owed) {
        this.#owed = false;
        const body = await this.#host.body(this).catch((error: unknown) => {
          this.#host.logger.warn({ err: error, callId: this.callId }, "subscription body failed");
          return undefined;
        });
        const final = this.#state === "Terminated";
        if (this.#silent) break;
        const response = await this.#send(body, final);
        if (final) break;
        // RFC 6665 §4.2.2: "If the NOTIFY request fails due to expiration of SIP Timer F
        // (transaction timeout), the notifier SHOULD remove the subscription", and on a 481 the
        // notifier "MUST remove the corresponding subscription".
        if (response.status === 481 || response.status === 408) {
          this.#owed = false;
          if (this.#state === "Active")
            this.#transition("Terminated", { cause: "notify-failed", status: response.status });
          break;
        }
      }
    } finally {
      this.#sending = false;
      if (this.#state === "Terminated") this.dialog.terminate();
    }
  }

  /**
   * RFC 6665 §8.1.2/§4.2.2: a NOTIFY carries the subscription's Event (package and `id`), a
   * `Subscription-State` ("NOTIFY requests MUST contain 'Subscription-State' header fields"), our
   * Contact (NOTIFY is a target refresh request) and the body.
   */
  async #send(body: Buffer | undefined, final: boolean): Promise<SipResponse> {
    const state = final ? `terminated;reason=${this.#reason}` : `active;expires=${this.remaining}`;
    const headers: Array<[string, string]> = [
      ["Event", eventText(this.event)],
      ["Subscription-State", state],
      ["Contact", this.#host.contact(this.peer)],
    ];
    if (body) headers.push(["Content-Type", this.#host.contentType]);
    const request = this.dialog.createRequest("NOTIFY", {
      via: this.#host.via(this.peer),
      headers,
      ...(body ? { body } : {}),
    });
    const response = await this.#host.send(request, this.peer);
    this.dialog.receiveResponse(request, response);
    this.#host.notified(this, response, final);
    return response;
  }

  // ---- state --------------------------------------------------------------------------------

  /** Expiry on the injected clock: when it fires, the final NOTIFY says `terminated;reason=timeout`. */
  #arm(expires: number): void {
    this.#timer?.cancel();
    this.#expiresAt = this.#host.clock.now() + expires * 1000;
    this.#timer = this.#host.clock.setTimer(expires * 1000, () => {
      this.#timer = undefined;
      this.terminate("timeout", "expired");
    });
  }

  #transition(to: SubscriptionState, end: SubscriptionEnd): void {
    if (!TRANSITIONS[this.#state].includes(to))
      throw new Error(`Subscription ${this.dialog.key}: illegal transition ${this.#state} → ${to}`);
    this.#state = to;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#host.ended(this, end);
  }
}

/** `package;id=…` as an Event header value. */
export function eventText(event: EventHeader): string {
  return event.id === undefined ? event.package : `${event.package};id=${event.id}`;
}

/** Reads an Event header value (RFC 6665 §8.2.1): `event-type *( SEMI event-param )`. */
export function parseEvent(value: string | undefined): EventHeader | undefined {
  if (value === undefined) return undefined;
  const [type, ...params] = value.split(";").map((part) => part.trim());
  if (!type || !/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(type)) return undefined;
  const id = params.map((p) => /^id\s*=\s*(.+)$/i.exec(p)?.[1]).find((v) => v !== undefined);
  return id === undefined ? { package: type } : { package: type, id };
}
