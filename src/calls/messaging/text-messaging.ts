import { Counter } from "prom-client";
import type { Clock } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
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
  newTag,
  type RemoteAddress,
  type ServerTransaction,
  SipRequest,
  type SipResponse,
  type SipStack,
  SipUri,
} from "../../sip/index.ts";

/** What a user's phone sent: the sender as `ext@domain` (authenticated), the Request-URI's user, the text. */
export interface IncomingText {
  from: string;
  to: string;
  text: string;
}

/** A taker of incoming texts: resolve true to take the message (Parley answers 200). */
export type TextHandler = (message: IncomingText) => boolean | Promise<boolean>;

/** How one outbound MESSAGE to one registered contact went (408 when it timed out). */
export interface SentText {
  contact: string;
  status: number;
}

export interface TextMessagingEvents extends Record<string, unknown[]> {
  /** An authenticated MESSAGE was answered: 200 taken, 202 relayed, 404, 480 or 504. */
  received: [message: IncomingText, status: number];
  /** A MESSAGE Parley sent (`send` or a relay) to one contact of `aor` got its final answer. */
  sent: [aor: string, outcome: SentText];
}

/** The settings a node takes from its configuration; every one has a default. */
export interface TextMessagingSettings {
  /** Largest body accepted in a MESSAGE, in bytes (default 4096); a larger one gets 513. */
  maxBodyBytes?: number;
  /** Milliseconds a text handler has to answer (default 5000); past it the MESSAGE gets 504. */
  handlerTimeoutMs?: number;
}

export interface TextMessagingOptions extends TextMessagingSettings {
  stack: SipStack;
  /** The node's digest challenger: MESSAGEs are authenticated as REGISTERs are. */
  challenger: DigestChallenger;
  /** The SIP domain a Request-URI host means (the registrar's look-up). */
  subscribers: SubscriberLookup;
  /** The users of a domain, for relaying between users (call routing's `Subscribers` fits). */
  users: TextRecipients;
  /** Registered contacts: where texts go. */
  location: LocationService;
  ban?: AuthFailureBan;
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
}

/** Finds the user a Request-URI names; only the extension and domain are read. */
export interface TextRecipients {
  byExtension(extension: string, domain: string): Promise<{ extension: string; domain: string } | undefined>;
}

/** The result of `send`: how many contacts answered 2xx, of how many registered. */
export interface TextDelivery {
  delivered: number;
  attempted: number;
}

const TEXT_PLAIN = "text/plain";
/** Charsets a text/plain body is read in (RFC 2046 §4.1.2: US-ASCII when none is named). */
const CHARSETS = new Map<string, BufferEncoding>([
  ["utf-8", "utf8"],
  ["utf8", "utf8"],
  ["us-ascii", "utf8"],
  ["iso-8859-1", "latin1"],
]);
/**
 * RFC 3428 §8 (https://www.rfc-editor.org/rfc/rfc3428#section-8): "The size of MESSAGE requests
 * outside of a media session MUST NOT exceed 1300 bytes, unless the UAC has positive knowledge
 * that the message will not traverse a congestion-unsafe link at any hop". Parley has that
 * knowledge only of stream transports, so the limit holds for contacts registered over UDP.
 */
const UNSAFE_PATH_LIMIT = 1300;
/** Room kept under the limit for the User-Agent header the transaction layer adds when it sends. */
const USER_AGENT_ALLOWANCE = 64;
/** The status `sent` reports for a MESSAGE that was not sent because it was too large for UDP. */
const NOT_SENT = 513;
/** A sender name usable as the user part of a SIP URI and as a display name without quoting trouble. */
const SENDER_NAME = /^[A-Za-z0-9._~!$&'()*+,;=-]+$/;

/**
 * Page-mode instant messages (RFC 3428) between Parley's users and its services: phones send
 * texts (a reply "YES", a command "CALL 1002"), which go to the first `onText` handler that
 * takes them, else to the phones of the user the Request-URI names; `send` puts a text on every
 * phone a user registered. MESSAGE is the stand-alone method of RFC 3428 §3: "MESSAGE requests
 * do not themselves initiate a SIP dialog", so nothing here keeps state past one transaction.
 * A MESSAGE inside an INVITE dialog is the session's (it answers 405: no session-mode IM).
 * https://www.rfc-editor.org/rfc/rfc3428
 */
export class TextMessaging extends TypedEmitter<TextMessagingEvents> {
  readonly #o: TextMessagingOptions;
  readonly #maxBodyBytes: number;
  readonly #handlerTimeoutMs: number;
  readonly #handlers: TextHandler[] = [];
  readonly #messages: Counter<"direction" | "outcome">;
  /** Outbound MESSAGEs still waiting for an answer, resolved with 503 by `close`. */
  readonly #pending = new Set<(status: number) => void>();
  #closed = false;

  constructor(options: TextMessagingOptions) {
    super();
    const { maxBodyBytes = 4096, handlerTimeoutMs = 5000 } = options;
    this.#o = options;
    this.#maxBodyBytes = maxBodyBytes;
    this.#handlerTimeoutMs = handlerTimeoutMs;
    this.onListenerError = (error, event) =>
      options.logger.error({ err: error, event }, "text-messaging listener failed");
    this.#messages = new Counter({
      name: "parley_sip_messages_total",
      help: "SIP MESSAGEs (RFC 3428), by direction (inbound, outbound) and outcome (inbound: taken, relayed, unknown, unavailable, refused; outbound: delivered, refused, timeout, unsent).",
      labelNames: ["direction", "outcome"],
      registers: options.metrics ? [options.metrics] : [],
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds a taker of incoming texts; handlers are asked in the order they were added and the first
   * that resolves true takes the text. A handler that throws is skipped (and logged). Returns the
   * function that removes it.
   */
  onText(handler: TextHandler): () => void {
    this.#handlers.push(handler);
    return () => {
      const index = this.#handlers.indexOf(handler);
      if (index >= 0) this.#handlers.splice(index, 1);
    };
  }

  /**
   * The handler of MESSAGE outside a dialog, in this order:
   * - the body: RFC 3261 §8.2.3, a type the UAS does not understand "MUST" get 415 with "an
   *   Accept header field listing the types of all bodies it understands" (text/plain, in UTF-8,
   *   US-ASCII or ISO-8859-1); over `maxBodyBytes` it gets 513 (Message Too Large);
   * - the sender, as the registrar checks a REGISTER (RFC 3261 §22.2, the UAS challenge with 401,
   *   since Parley answers the MESSAGE itself and re-originates any relay): the Request-URI's
   *   domain must be ours (404), credentials are checked (401, then 403 on a wrong password,
   *   counted towards the ban). The sender is who authenticated, whatever From says;
   * - dispatch (RFC 3428 §7): a handler that takes it → 200; else a local user with registered
   *   phones → 202 (Parley relays it, the outcome is not known yet), a local user without → 480,
   *   nobody → 404; a handler that does not answer within `handlerTimeoutMs` → 504.
   * RFC 3428 §7: "A 2xx response to a MESSAGE request MUST NOT contain a body. A UAS MUST NOT
   * insert a Contact header field into a 2xx response." Parley's answers carry neither.
   */
  async handle(request: SipRequest, transaction: ServerTransaction): Promise<void> {
    const core = this.#o.stack.core;
    const respond = (status: number, headers: Array<[string, string]> = [], reason?: string) =>
      transaction.respond(core.response(request, status, { headers, reason }));
    const refuse = (status: number, headers: Array<[string, string]> = [], reason?: string) => {
      this.#messages.inc({ direction: "inbound", outcome: "refused" });
      respond(status, headers, reason);
    };
    if (this.#closed) return refuse(503, [["Retry-After", "5"]]);

    const charset = textCharset(request.contentType);
    if (!charset) return refuse(415, [["Accept", TEXT_PLAIN]]);
    if (request.body.length > this.#maxBodyBytes) return refuse(513);
    const text = request.body.toString(charset);

    const uri = request.uri;
    const domain =
      uri instanceof SipUri ? await this.#o.subscribers.domainFor(uri.host.toLowerCase()) : undefined;
    if (!(uri instanceof SipUri) || !domain) return refuse(404, [], "Domain Not Served");

    const source = transaction.options.transport.source;
    const verdict = await new DigestGate(this.#o).check(request, domain, {
      ...(source ? { source: source.address } : {}),
      what: "MESSAGE",
      proxyAuthorization: true,
    });
    if (verdict.kind === "refused") {
      return verdict.status === 401 ? respond(401, verdict.headers) : refuse(403);
    }

    const message: IncomingText = {
      from: `${verdict.username}@${domain}`,
      to: uri.decodedUser ?? "",
      text,
    };
    const answer = (status: number, outcome: string) => {
      this.#messages.inc({ direction: "inbound", outcome });
      respond(status);
      this.safeEmit("received", message, status);
    };
    const taken = await this.#dispatch(message, request.callId);
    if (taken === "timeout") return answer(504, "refused");
    if (taken) return answer(200, "taken");

    const user = message.to === "" ? undefined : await this.#findUser(message.to, domain);
    if (!user) return answer(404, "unknown");
    const aor = `sip:${user.extension}@${user.domain}`;
    if (this.#o.location.lookup(aor).length === 0) return answer(480, "unavailable");
    answer(202, "relayed");
    void this.#deliver(aor, {
      from: `<sip:${verdict.username}@${domain}>`,
      contentType: request.contentType ?? TEXT_PLAIN,
      body: request.body,
    });
  }

  /**
   * Sends `text` to every phone `aor` registered (an out-of-dialog MESSAGE each, to the address
   * and flow it registered from, through its Path) and resolves once each answered or timed out
   * (Timer F on the clock, a 408). `from` is the sender: a user name in the AOR's domain
   * (default "parley"), or a whole `sip:` AOR. `aor` may be given without `sip:`; one without a
   * domain, or a sender name with characters a SIP user part cannot carry, throw a RangeError.
   * A MESSAGE over 1300 bytes is not sent to a contact registered over UDP (RFC 3428 §8).
   */
  async send(aor: string, text: string, options: { from?: string } = {}): Promise<TextDelivery> {
    const target = normalizeAor(aor);
    if (!target.includes("@")) throw new RangeError(`send: ${aor} is not an address-of-record (user@domain)`);
    const domain = target.slice(target.indexOf("@") + 1);
    const sender = options.from ?? "parley";
    if (!sender.startsWith("sip:") && !SENDER_NAME.test(sender))
      throw new RangeError(`send: ${JSON.stringify(sender)} cannot be a sender name`);
    const from = sender.startsWith("sip:") ? `<${sender}>` : `"${sender}" <sip:${sender}@${domain}>`;
    return this.#deliver(target, {
      from,
      contentType: `${TEXT_PLAIN};charset=UTF-8`,
      body: Buffer.from(text, "utf8"),
    });
  }

  /**
   * Refuses new MESSAGEs (503) and sends nothing more; MESSAGEs still waiting for an answer count
   * as not delivered. A second call does nothing. Call before the stack stops.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const settle of [...this.#pending]) settle(503);
  }

  /** Credentials in Authorization (the 401 this class sends), or in Proxy-Authorization as a fallback. */

  /** Asks the handlers in turn: true when one took the text, "timeout" when one did not answer. */
  async #dispatch(message: IncomingText, callId: string): Promise<boolean | "timeout"> {
    for (const handler of [...this.#handlers]) {
      const verdict = await this.#ask(handler, message, callId);
      if (verdict !== false) return verdict;
    }
    return false;
  }

  #ask(handler: TextHandler, message: IncomingText, callId: string): Promise<boolean | "timeout"> {
    return new Promise((resolve) => {
      const timer = this.#o.clock.setTimer(this.#handlerTimeoutMs, () => {
        this.#o.logger.warn({ callId, from: message.from }, "text handler did not answer in time");
        resolve("timeout");
      });
      const failed = (error: unknown) => {
        timer.cancel();
        this.#o.logger.error({ err: error, callId }, "text handler failed");
        resolve(false);
      };
      try {
        Promise.resolve(handler(message)).then((taken) => {
          timer.cancel();
          resolve(taken === true);
        }, failed);
      } catch (error) {
        failed(error);
      }
    });
  }

  async #findUser(name: string, domain: string): Promise<{ extension: string; domain: string } | undefined> {
    try {
      return await this.#o.users.byExtension(name, domain);
    } catch (error) {
      this.#o.logger.warn({ err: error, user: name }, "user look-up failed");
      return undefined;
    }
  }

  /** One MESSAGE per live binding of `aor`, in parallel; resolves when every one is answered. */
  async #deliver(
    aor: string,
    content: { from: string; contentType: string; body: Buffer },
  ): Promise<TextDelivery> {
    if (this.#closed) return { delivered: 0, attempted: 0 };
    const bindings = this.#o.location.lookup(aor);
    const statuses = await Promise.all(bindings.map((binding) => this.#sendTo(aor, binding, content)));
    return { delivered: statuses.filter((s) => s >= 200 && s < 300).length, attempted: bindings.length };
  }

  /**
   * RFC 3428 §4: a MESSAGE outside a dialog is built as any request of RFC 3261 §8.1.1, with no
   * Contact (it starts no dialog). It goes to the contact's registered source, through its Path.
   */
  async #sendTo(
    aor: string,
    binding: Binding,
    content: { from: string; contentType: string; body: Buffer },
  ): Promise<number> {
    const target = targetOf(binding);
    const request = new SipRequest({ method: "MESSAGE", uri: binding.contact });
    const h = request.headers;
    h.append("Via", this.#o.stack.local.via(target));
    h.append("Max-Forwards", "70");
    for (const route of binding.path) h.append("Route", route);
    h.append("From", `${content.from};tag=${newTag()}`);
    h.append("To", `<${aor}>`);
    h.append("Call-ID", `${randomHex(12)}@parley`);
    h.append("CSeq", "1 MESSAGE");
    h.append("Content-Type", content.contentType);
    request.body = content.body;

    let status: number;
    if (target.protocol === "udp" && request.toBuffer().length + USER_AGENT_ALLOWANCE > UNSAFE_PATH_LIMIT) {
      this.#o.logger.info({ aor, contact: binding.contact }, "MESSAGE too large for UDP, not sent");
      status = NOT_SENT;
    } else {
      status = await this.#request(request, target);
    }
    const outcome =
      status < 300 ? "delivered" : status === 408 ? "timeout" : status === NOT_SENT ? "unsent" : "refused";
    this.#messages.inc({ direction: "outbound", outcome });
    this.safeEmit("sent", aor, { contact: binding.contact, status });
    return status;
  }

  /** The final status of `request` (408 on timeout, 503 on a transport failure or `close`). */
  #request(request: SipRequest, target: RemoteAddress): Promise<number> {
    return new Promise((resolve) => {
      const settle = (status: number) => {
        this.#pending.delete(settle);
        resolve(status);
      };
      this.#pending.add(settle);
      this.#o.stack.request(request, target).then(
        (response: SipResponse) => settle(response.status),
        (error: unknown) => {
          this.#o.logger.warn({ err: error, callId: request.callId }, "MESSAGE could not be sent");
          settle(503);
        },
      );
    });
  }
}

/**
 * The charset to read a `text/plain` body in, from its Content-Type (`text/plain;charset=UTF-8`);
 * undefined for any other type or an unknown charset.
 */
function textCharset(contentType: string | undefined): BufferEncoding | undefined {
  if (!contentType) return undefined;
  const [type = "", ...params] = contentType.split(";").map((part) => part.trim());
  if (type.toLowerCase() !== TEXT_PLAIN) return undefined;
  const charset = params
    .map((p) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(p)?.[1])
    .find((value) => value !== undefined);
  return CHARSETS.get((charset ?? "us-ascii").toLowerCase());
}

/** `sip:user@host` with the host in lower case, as the location service keys bindings. */
function normalizeAor(aor: string): string {
  const bare = aor.replace(/^sips?:/i, "");
  const at = bare.lastIndexOf("@");
  return at < 0 ? `sip:${bare}` : `sip:${bare.slice(0, at)}@${bare.slice(at + 1).toLowerCase()}`;
}

function targetOf(binding: Binding): RemoteAddress {
  return {
    protocol: binding.source.protocol as RemoteAddress["protocol"],
    address: binding.source.address,
    port: binding.source.port,
    ...(binding.source.flowId === undefined ? {} : { flowId: binding.source.flowId }),
  };
}
