import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import { Dialog } from "../dialogs/index.ts";
import { newTag, SipRequest, type SipResponse, type Uri } from "../messages/index.ts";
import type { ServerTransaction } from "../transactions/index.ts";
import type { RemoteAddress } from "../transports/index.ts";
import type { SipStack } from "./sip-stack.ts";
import {
  type EventHeader,
  parseEvent,
  Subscription,
  type SubscriptionEnd,
  type SubscriptionHost,
  type TerminationReason,
} from "./subscription.ts";

/** How long `close()` waits for the answers to its final NOTIFYs. */
const CLOSE_GRACE_MS = 1000;

export interface SubscriptionNotifierOptions {
  stack: SipStack;
  clock: Clock;
  logger: Logger;
  /** The event package served (RFC 6665 §7.2), e.g. `message-summary`, `presence`, `dialog`. */
  event: string;
  /** The body type of its NOTIFYs, e.g. `application/simple-message-summary`. */
  contentType: string;
  /** The current state of `resource` as a body; undefined (or a rejection) sends a NOTIFY without body. */
  body(resource: string): Promise<Buffer | undefined> | Buffer | undefined;
  /** Seconds; a shorter non-zero Expires gets 423 with Min-Expires. */
  minExpires: number;
  /** Seconds; a longer Expires is granted this much. */
  maxExpires: number;
  /** Seconds, for a SUBSCRIBE without Expires (the package's default duration). */
  defaultExpires: number;
}

export interface SubscriptionNotifierEvents extends Record<string, unknown[]> {
  /** A subscription was created (its 200 is sent; the initial NOTIFY is on its way). */
  subscribed: [Subscription];
  /** A NOTIFY of a subscription got its final response (408 on timeout); `final` for the terminating one. */
  notified: [Subscription, SipResponse, boolean];
  /** A subscription ended (its final NOTIFY, if any, is on its way). */
  ended: [Subscription, SubscriptionEnd];
}

/**
 * The notifier side of SIP-specific event notification (RFC 6665) for one event package: it
 * accepts a SUBSCRIBE that the caller has authenticated and authorised, creates the subscription's
 * dialog (UAS side, our To tag), answers 200 and sends the initial NOTIFY at once; re-SUBSCRIBEs
 * inside the dialog refresh it, Expires: 0 ends it, and it expires on the injected clock. The
 * package is only a name, a body type and a function producing the current body, so `presence` or
 * `dialog` can use it as `message-summary` does.
 * https://www.rfc-editor.org/rfc/rfc6665#section-4.2
 */
export class SubscriptionNotifier extends TypedEmitter<SubscriptionNotifierEvents> {
  readonly event: string;
  readonly #o: SubscriptionNotifierOptions;
  readonly #byResource = new Map<string, Set<Subscription>>();
  readonly #host: SubscriptionHost;
  #closed = false;

  constructor(options: SubscriptionNotifierOptions) {
    super();
    this.#o = options;
    this.event = options.event;
    this.onListenerError = (error, event) =>
      options.logger.error({ err: error, event }, "subscription notifier listener failed");
    const { stack } = options;
    this.#host = {
      clock: options.clock,
      logger: options.logger,
      contentType: options.contentType,
      body: async (subscription) => options.body(subscription.resource),
      send: (request, peer) => stack.request(request, peer),
      via: (peer) => stack.local.via(peer),
      contact: (peer) => stack.local.contact(peer.protocol),
      resubscribed: (subscription, request, transaction) =>
        this.#resubscribe(subscription, request, transaction),
      answer: (request, transaction, status, headers = []) =>
        transaction.respond(stack.core.response(request, status, { headers })),
      notified: (subscription, response, final) => {
        if (response.status >= 300)
          options.logger.info(
            { callId: subscription.callId, status: response.status, event: this.event },
            "NOTIFY refused",
          );
        this.safeEmit("notified", subscription, response, final);
      },
      ended: (subscription, end) => this.#forget(subscription, end),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Subscriptions alive now, of one resource or of all. */
  subscriptions(resource?: string): Subscription[] {
    if (resource !== undefined) return [...(this.#byResource.get(resource) ?? [])];
    return [...this.#byResource.values()].flatMap((set) => [...set]);
  }

  /**
   * The checks that need no authentication, for the caller to run before it challenges: the
   * package (RFC 6665 §8.2.2 / §7.2.2: 489 Bad Event "indicates that the server did not understand
   * the event package specified in an 'Event' header field", with Allow-Events listing ours), the
   * body type (RFC 3261 §21.4.7: 406 when Accept excludes ours) and the duration (423 with
   * Min-Expires when it is too brief). Returns the refusal to send, or undefined.
   */
  check(request: SipRequest): SipResponse | undefined {
    const core = this.#o.stack.core;
    const raw = request.headers.get("event");
    if (raw === undefined) return core.response(request, 400, { reason: "Missing Event Header" });
    const event = parseEvent(raw);
    // RFC 6665 §8.2.1: event packages are compared byte by byte.
    if (event?.package !== this.event)
      return core.response(request, 489, { headers: [["Allow-Events", this.event]] });
    if (!this.#acceptable(request))
      return core.response(request, 406, { headers: [["Accept", this.#o.contentType]] });
    const expires = this.#requestedExpires(request);
    if (expires === undefined) return core.response(request, 400, { reason: "Bad Expires" });
    if (expires > 0 && expires < this.#o.minExpires)
      return core.response(request, 423, { headers: [["Min-Expires", String(this.#o.minExpires)]] });
    return undefined;
  }

  /**
   * RFC 6665 §4.2.1.1: "If the notifier is able to immediately determine that it understands the
   * event package, that the authenticated subscriber is authorized to subscribe, and that there
   * are no other barriers to creating the subscription, it creates the subscription and a dialog
   * (if necessary) and returns a 200 (OK) response". The 200 carries Expires, the duration
   * granted (as a registrar does, shortened to maxExpires, never lengthened), and our Contact; the
   * initial NOTIFY follows at once. A SUBSCRIBE with Expires: 0 is a one-time fetch: 200, then one
   * NOTIFY with the state and `terminated`. Call with a new (out-of-dialog) SUBSCRIBE whose
   * sender may subscribe to `resource`; returns the subscription, or undefined when refused.
   */
  accept(request: SipRequest, transaction: ServerTransaction, resource: string): Subscription | undefined {
    const core = this.#o.stack.core;
    const refusal = this.#closed ? core.response(request, 503) : this.check(request);
    if (refusal) {
      transaction.respond(refusal);
      return undefined;
    }
    if (request.from.tag === undefined) {
      transaction.respond(core.response(request, 400, { reason: "Missing From Tag" }));
      return undefined;
    }
    const peer = sourceOf(transaction);
    const granted = Math.min(this.#requestedExpires(request) ?? 0, this.#o.maxExpires);
    const response = core.response(request, 200, {
      toTag: newTag(),
      headers: [
        ["Expires", String(granted)],
        ["Contact", this.#o.stack.local.contact(peer.protocol)],
      ],
    });
    const dialog = Dialog.forUas(request, response);
    const subscription = new Subscription(this.#host, {
      dialog,
      event: parseEvent(request.headers.get("event")) as EventHeader,
      resource,
      peer,
      expires: granted,
    });
    transaction.respond(response);
    if (granted === 0) {
      subscription.terminate("timeout", "unsubscribed");
      return subscription;
    }
    core.registerDialog(dialog.key, subscription);
    let set = this.#byResource.get(resource);
    if (!set) {
      set = new Set();
      this.#byResource.set(resource, set);
    }
    set.add(subscription);
    this.#o.logger.debug(
      { callId: request.callId, event: this.event, resource, expires: granted },
      "subscribed",
    );
    this.safeEmit("subscribed", subscription);
    subscription.notify();
    return subscription;
  }

  /** Sends the current state to every subscription of `resource`; returns how many there are. */
  notify(resource: string): number {
    const subscriptions = this.subscriptions(resource);
    for (const subscription of subscriptions) subscription.notify();
    return subscriptions.length;
  }

  /** Ends every subscription of `resource` with a final NOTIFY (`noresource` when it is gone). */
  terminate(resource: string, reason: TerminationReason = "noresource"): void {
    for (const subscription of this.subscriptions(resource)) subscription.terminate(reason);
  }

  /**
   * A NOTIFY outside any dialog, for UAs that did not subscribe (the "unsolicited" MWI of
   * Asterisk and FreeSWITCH): Request-URI the UA's contact, sent to `target` (where it registered
   * from), Route the binding's Path, `Subscription-State: active`. Not part of RFC 6665, which has
   * no subscription here; phones that expect it accept it. Resolves with the final response.
   */
  notifyUnsolicited(options: {
    uri: Uri | string;
    target: RemoteAddress;
    resource: string;
    route?: readonly string[];
    body?: Buffer;
  }): Promise<SipResponse> {
    const local = this.#o.stack.local;
    const request = new SipRequest({ method: "NOTIFY", uri: options.uri });
    const h = request.headers;
    h.append("Via", local.via(options.target));
    h.append("Max-Forwards", "70");
    for (const route of options.route ?? []) h.append("Route", route);
    h.append("From", `<${options.resource}>;tag=${newTag()}`);
    h.append("To", `<${options.resource}>`);
    h.append("Call-ID", `${randomHex(12)}@parley`);
    h.append("CSeq", "1 NOTIFY");
    h.append("Event", this.event);
    h.append("Subscription-State", "active");
    h.append("Contact", local.contact(options.target.protocol));
    if (options.body) {
      h.append("Content-Type", this.#o.contentType);
      request.body = options.body;
    }
    return this.#o.stack.request(request, options.target);
  }

  /**
   * Ends every subscription with `terminated;reason=deactivated` (RFC 6665 §4.2.2: the
   * subscriber "SHOULD attempt to re-subscribe immediately", to a node that is up) and refuses
   * new ones. Resolves when those NOTIFYs are answered, or after `CLOSE_GRACE_MS` on the clock,
   * after which nothing more is sent, so the stack can stop without transactions starting behind
   * it. A second call does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const subscriptions = this.subscriptions();
    for (const subscription of subscriptions) subscription.terminate("deactivated");
    let grace: TimerHandle | undefined;
    await Promise.race([
      Promise.all(subscriptions.map((s) => s.settled())),
      new Promise<void>((resolve) => {
        grace = this.#o.clock.setTimer(CLOSE_GRACE_MS, resolve);
      }),
    ]);
    grace?.cancel();
    for (const subscription of subscriptions) subscription.silence();
  }

  // ---- inside the dialog --------------------------------------------------------------------

  /**
   * RFC 6665 §4.2.1.2: a refresh in the dialog. The event and its `id` must match (§8.2.1); the
   * duration is checked as for a new subscription. "Unsubscribing is handled in the same way as
   * refreshing of a subscription, with the 'Expires' header field set to '0'. Note that a
   * successful unsubscription will also trigger a final NOTIFY request" (§4.1.2.3).
   */
  #resubscribe(subscription: Subscription, request: SipRequest, transaction: ServerTransaction): void {
    const core = this.#o.stack.core;
    const event = parseEvent(request.headers.get("event"));
    const refusal = this.check(request);
    if (refusal) {
      transaction.respond(refusal);
      return;
    }
    if (event?.id !== subscription.event.id) {
      transaction.respond(core.response(request, 481, { reason: "Subscription Does Not Exist" }));
      return;
    }
    subscription.peer = sourceOf(transaction);
    const granted = Math.min(this.#requestedExpires(request) ?? 0, this.#o.maxExpires);
    transaction.respond(
      core.response(request, 200, {
        headers: [
          ["Expires", String(granted)],
          ["Contact", this.#o.stack.local.contact(subscription.peer.protocol)],
        ],
      }),
    );
    if (granted === 0) {
      subscription.terminate("timeout", "unsubscribed");
      return;
    }
    subscription.refresh(granted);
    subscription.notify();
  }

  #forget(subscription: Subscription, end: SubscriptionEnd): void {
    this.#o.stack.core.forgetDialog(subscription.dialog.key);
    const set = this.#byResource.get(subscription.resource);
    if (set?.delete(subscription)) {
      if (set.size === 0) this.#byResource.delete(subscription.resource);
      this.#o.logger.debug(
        { callId: subscription.callId, event: this.event, cause: end.cause },
        "subscription ended",
      );
      this.safeEmit("ended", subscription, end);
    }
  }

  /** Expires asked for (the package default when absent); undefined when the header is malformed. */
  #requestedExpires(request: SipRequest): number | undefined {
    try {
      return request.expires ?? this.#o.defaultExpires;
    } catch {
      return undefined;
    }
  }

  /** Whether Accept (when present) admits our body type, exactly or through `type/*` or `*\/*`. */
  #acceptable(request: SipRequest): boolean {
    const accepted = request.headers
      .values("accept")
      .map((v) => (v.split(";")[0] ?? "").trim().toLowerCase());
    if (accepted.length === 0) return true;
    const type = this.#o.contentType.toLowerCase();
    const major = `${type.split("/")[0]}/*`;
    return accepted.some((a) => a === type || a === major || a === "*/*");
  }
}

/** Where the request came from, as RemoteAddress (its flow for stream transports). */
function sourceOf(transaction: ServerTransaction): RemoteAddress {
  const source = transaction.options.transport.source;
  if (!source) return { protocol: "udp", address: "127.0.0.1", port: 5060 };
  return {
    protocol: source.protocol as RemoteAddress["protocol"],
    address: source.address,
    port: source.port,
    ...(source.flowId === undefined ? {} : { flowId: source.flowId }),
  };
}
