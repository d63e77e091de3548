import { Counter, Gauge } from "prom-client";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { Registry } from "../../kernel/metrics.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import {
  type AuthFailureBan,
  type Binding,
  DigestGate,
  type LocationService,
  type SubscriberLookup,
} from "../../registrar/index.ts";
import {
  type DigestChallenger,
  formatMessageSummary,
  MESSAGE_SUMMARY_TYPE,
  type MessageSummary,
  type RemoteAddress,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type SipStack,
  SipUri,
  type SubscriptionEnd,
  SubscriptionNotifier,
} from "../../sip/index.ts";

/** The RFC 3842 event package. */
const PACKAGE = "message-summary";

/** Where the current summary of a mailbox comes from when no `update` told it yet (the voicemail store). */
export type MessageSummaryLookup = (aor: string) => Promise<MessageSummary | undefined>;

/** The settings a node takes from its configuration; every one has a default. */
export interface MessageWaitingSettings {
  /** Send out-of-dialog NOTIFYs to the registered contacts of users who did not subscribe. */
  unsolicited?: boolean;
  /** Seconds; a shorter SUBSCRIBE gets 423 with Min-Expires. */
  minExpires?: number;
  /** Seconds; longer subscriptions are granted this much. */
  maxExpires?: number;
  /** Seconds, for a SUBSCRIBE without Expires. */
  defaultExpires?: number;
  /** Milliseconds to wait for `lookup` before the initial NOTIFY goes out without a body. */
  lookupTimeoutMs?: number;
}

export interface MessageWaitingIndicatorOptions extends MessageWaitingSettings {
  stack: SipStack;
  /** The node's digest challenger: SUBSCRIBEs are authenticated as REGISTERs are. */
  challenger: DigestChallenger;
  /** The SIP domain a Request-URI host means (the registrar's look-up). */
  subscribers: SubscriberLookup;
  /** Registered contacts, for unsolicited NOTIFYs. */
  location: LocationService;
  ban?: AuthFailureBan;
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
  lookup?: MessageSummaryLookup;
}

/** How one NOTIFY went: in a subscription, or unsolicited to a registered contact. */
export interface MessageWaitingNotice {
  kind: "subscription" | "unsolicited";
  status: number;
  /** The subscription's terminating NOTIFY. */
  final: boolean;
}

export interface MessageWaitingIndicatorEvents extends Record<string, unknown[]> {
  subscribed: [aor: string];
  unsubscribed: [aor: string, end: SubscriptionEnd];
  /** A NOTIFY was answered (status 408 when it timed out). */
  notified: [aor: string, notice: MessageWaitingNotice];
}

/**
 * Message-waiting indication (RFC 3842) for Parley's users: phones SUBSCRIBE to
 * `message-summary` for their own address-of-record, authenticated with the node's digest
 * challenger exactly as the registrar authenticates REGISTER (RFC 3261 §10.3 steps 1, 3 and 4:
 * a user may subscribe only to their own AOR; RFC 3842 §3.6 has the notifier authenticate and
 * authorise subscribers, since counts reveal activity), and get a NOTIFY on every `update`. With `unsolicited`, users with no subscription get out-of-dialog NOTIFYs at each registered
 * contact, as Asterisk and FreeSWITCH send them.
 * https://www.rfc-editor.org/rfc/rfc3842
 */
export class MessageWaitingIndicator extends TypedEmitter<MessageWaitingIndicatorEvents> {
  /** Asked for the summary of a mailbox no `update` has told about yet. */
  lookup: MessageSummaryLookup | undefined;
  readonly #o: MessageWaitingIndicatorOptions;
  readonly #notifier: SubscriptionNotifier;
  readonly #unsolicited: boolean;
  readonly #lookupTimeoutMs: number;
  /** The latest summary of each mailbox, by AOR. */
  readonly #summaries = new Map<string, MessageSummary>();
  readonly #notifies: Counter<"kind" | "outcome">;
  #closed = false;

  constructor(options: MessageWaitingIndicatorOptions) {
    super();
    const {
      unsolicited = false,
      minExpires = 60,
      maxExpires = 3600,
      defaultExpires = 3600,
      lookupTimeoutMs = 2000,
    } = options;
    this.#o = options;
    this.#unsolicited = unsolicited;
    this.#lookupTimeoutMs = lookupTimeoutMs;
    this.lookup = options.lookup;
    this.onListenerError = (error, event) =>
      options.logger.error({ err: error, event }, "message-waiting listener failed");
    this.#notifier = new SubscriptionNotifier({
      stack: options.stack,
      clock: options.clock,
      logger: options.logger,
      event: PACKAGE,
      contentType: MESSAGE_SUMMARY_TYPE,
      body: (aor) => this.#body(aor),
      minExpires,
      maxExpires,
      defaultExpires: Math.min(defaultExpires, maxExpires),
    });
    const registers = options.metrics ? [options.metrics] : [];
    this.#notifies = new Counter({
      name: "parley_mwi_notifies_total",
      help: "Message-waiting NOTIFYs answered, by kind (subscription, unsolicited) and outcome (accepted, refused, timeout).",
      labelNames: ["kind", "outcome"],
      registers,
    });
    const notifier = this.#notifier;
    new Gauge({
      name: "parley_mwi_subscriptions",
      help: "message-summary subscriptions alive on this node.",
      registers,
      collect() {
        this.set(notifier.subscriptions().length);
      },
    });
    notifier.on("subscribed", (subscription) => this.safeEmit("subscribed", subscription.resource));
    notifier.on("ended", (subscription, end) => this.safeEmit("unsubscribed", subscription.resource, end));
    notifier.on("notified", (subscription, response, final) =>
      this.#count(subscription.resource, { kind: "subscription", status: response.status, final }),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** AORs with a subscription now, and how many subscriptions each has. */
  subscriptions(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.#notifier.subscriptions()) counts.set(s.resource, (counts.get(s.resource) ?? 0) + 1);
    return counts;
  }

  /**
   * The SUBSCRIBE handler (outside a dialog; refreshes inside the dialog go to the subscription).
   * Package, Accept and duration are checked first (489, 406, 423), then the registrar's steps:
   * the Request-URI's domain must be ours (404), the digest credentials are checked (401 with a
   * challenge, 403 on a wrong password, counted towards the ban), and the authenticated user must
   * be the user of the Request-URI, the mailbox subscribed to (403 otherwise).
   */
  async handle(request: SipRequest, transaction: ServerTransaction): Promise<void> {
    const core = this.#o.stack.core;
    const respond = (status: number, headers: Array<[string, string]> = [], reason?: string) =>
      transaction.respond(core.response(request, status, { headers, reason }));
    const refusal = this.#notifier.check(request);
    if (refusal) return transaction.respond(refusal);
    const source = transaction.options.transport.source;

    const uri = request.uri;
    const domain =
      uri instanceof SipUri ? await this.#o.subscribers.domainFor(uri.host.toLowerCase()) : undefined;
    if (!domain) return respond(404, [], "Domain Not Served");

    const verdict = await new DigestGate(this.#o).check(request, domain, {
      ...(source ? { source: source.address } : {}),
      what: "subscription",
    });
    if (verdict.kind === "refused") return respond(verdict.status, verdict.headers);

    const user = uri instanceof SipUri ? uri.decodedUser : undefined;
    if (user === undefined || user !== verdict.username)
      return respond(403, [], "Forbidden (not your mailbox)");
    this.#notifier.accept(request, transaction, `sip:${user}@${domain}`);
  }

  /**
   * The mailbox of `aor` now holds `summary`: it is kept, and every subscription of the AOR gets
   * a NOTIFY (with `unsolicited`, an AOR without one gets out-of-dialog NOTIFYs at its registered
   * contacts). `undefined` means the store could not be read: nothing is sent, rather than a
   * wrong count, and the next NOTIFY asks `lookup` again. Counts outside 0..2^32-1 throw a RangeError.
   */
  update(aor: string, summary: MessageSummary | undefined): void {
    if (this.#closed) return;
    if (summary === undefined) {
      this.#summaries.delete(aor);
      return;
    }
    const body = this.#format(aor, summary);
    this.#summaries.set(aor, summary);
    const subscribed = this.#notifier.notify(aor);
    if (subscribed === 0 && this.#unsolicited) void this.#notifyUnsolicited(aor, body);
  }

  /** The summary last given for `aor` (by `update` or `lookup`). */
  summary(aor: string): MessageSummary | undefined {
    return this.#summaries.get(aor);
  }

  /**
   * Ends every subscription (`terminated;reason=deactivated`, so phones re-subscribe elsewhere);
   * resolves once those NOTIFYs are answered or a second has passed. Call before the stack stops.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#notifier.close();
  }

  /**
   * The body of a NOTIFY for `aor`: the latest summary, else what `lookup` says within
   * `lookupTimeoutMs`; when neither knows, no body (RFC 6665 §4.2.2 allows a NOTIFY without one;
   * a wrong count would be worse).
   */
  async #body(aor: string): Promise<Buffer | undefined> {
    let summary = this.#summaries.get(aor);
    if (!summary && this.lookup) {
      summary = await this.#lookup(aor);
      // An update that arrived while the look-up ran is newer: keep it.
      if (summary && !this.#summaries.has(aor)) this.#summaries.set(aor, summary);
      summary = this.#summaries.get(aor) ?? summary;
    }
    return summary ? this.#format(aor, summary) : undefined;
  }

  #lookup(aor: string): Promise<MessageSummary | undefined> {
    const lookup = this.lookup as MessageSummaryLookup;
    return new Promise((resolve) => {
      const timer = this.#o.clock.setTimer(this.#lookupTimeoutMs, () => {
        this.#o.logger.warn({ aor }, "message summary look-up timed out");
        resolve(undefined);
      });
      lookup(aor).then(
        (summary) => {
          timer.cancel();
          resolve(summary);
        },
        (error: unknown) => {
          timer.cancel();
          this.#o.logger.warn({ err: error, aor }, "message summary look-up failed");
          resolve(undefined);
        },
      );
    });
  }

  #format(aor: string, summary: MessageSummary): Buffer {
    return Buffer.from(formatMessageSummary({ account: aor, ...summary }));
  }

  /** One NOTIFY per live binding, to the address and flow it registered from, through its Path. */
  async #notifyUnsolicited(aor: string, body: Buffer): Promise<void> {
    const bindings = this.#o.location.lookup(aor);
    await Promise.all(
      bindings.map(async (binding) => {
        let response: SipResponse;
        try {
          response = await this.#notifier.notifyUnsolicited({
            uri: binding.contact,
            target: targetOf(binding),
            resource: aor,
            route: binding.path,
            body,
          });
        } catch (error) {
          this.#o.logger.warn({ err: error, aor, contact: binding.contact }, "unsolicited NOTIFY failed");
          return;
        }
        this.#count(aor, { kind: "unsolicited", status: response.status, final: false });
      }),
    );
  }

  #count(aor: string, notice: MessageWaitingNotice): void {
    const outcome = notice.status < 300 ? "accepted" : notice.status === 408 ? "timeout" : "refused";
    this.#notifies.inc({ kind: notice.kind, outcome });
    this.safeEmit("notified", aor, notice);
  }
}

function targetOf(binding: Binding): RemoteAddress {
  return {
    protocol: binding.source.protocol as RemoteAddress["protocol"],
    address: binding.source.address,
    port: binding.source.port,
    ...(binding.source.flowId === undefined ? {} : { flowId: binding.source.flowId }),
  };
}
