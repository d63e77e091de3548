import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import {
  type DigestChallenger,
  type NameAddr,
  type ServerTransaction,
  type SipRequest,
  SipUri,
  type UserAgentCore,
} from "../sip/index.ts";
import type { AuthFailureBan } from "./auth-failure-ban.ts";
import type { Binding } from "./binding.ts";
import { DigestGate } from "./digest-gate.ts";
import type { LocationService } from "./location-service.ts";

/** What the registrar needs to know about subscribers; the subscriber directory provides it. */
export interface SubscriberLookup {
  /** The SIP domain a request host means (a domain name, or one of this server's addresses → the default domain). */
  domainFor(host: string): Promise<string | undefined>;
}

export interface RegistrarOptions {
  core: UserAgentCore;
  location: LocationService;
  challenger: DigestChallenger;
  subscribers: SubscriberLookup;
  ban: AuthFailureBan;
  clock: Clock;
  logger: Logger;
  /** Seconds; shorter non-zero requests get 423 Interval Too Brief. */
  minExpires: number;
  /** Seconds; longer requests are shortened to this. */
  maxExpires: number;
  /** Seconds, when the REGISTER names no expiry (RFC 3261 §10.2.1.1 suggests 3600). */
  defaultExpires: number;
}

/**
 * The registrar of RFC 3261 §10.3, run as its numbered steps, with Path (RFC 3327) and the
 * observed source of each REGISTER kept so NATed phones can be reached.
 * https://www.rfc-editor.org/rfc/rfc3261#section-10.3
 */
export class Registrar {
  readonly #o: RegistrarOptions;

  readonly #gate: DigestGate;

  constructor(options: RegistrarOptions) {
    this.#o = options;
    this.#gate = new DigestGate(options);
  }

  async handle(request: SipRequest, transaction: ServerTransaction): Promise<void> {
    const respond = (status: number, headers: Array<[string, string]> = [], reason?: string) =>
      transaction.respond(this.#o.core.response(request, status, { headers, reason }));
    const source = transaction.options.transport.source ?? { protocol: "udp", address: "", port: 0 };

    // Step 1: "the registrar inspects the Request-URI to determine whether it has access to
    // bindings for the domain identified in the Request-URI".
    const uri = request.uri;
    const domain =
      uri instanceof SipUri ? await this.#o.subscribers.domainFor(uri.host.toLowerCase()) : undefined;
    if (!domain) return respond(404, [], "Domain Not Served");

    // Step 3: "A registrar SHOULD authenticate the UAC."
    const verdict = await this.#gate.check(request, domain, { source: source.address, what: "registration" });
    if (verdict.kind === "refused") return respond(verdict.status, verdict.headers);

    // Step 4: "The registrar SHOULD determine if the authenticated user is authorized to modify
    // registrations for this address-of-record."
    const to = request.to.uri;
    const user = to instanceof SipUri ? to.decodedUser : undefined;
    if (user === undefined || user !== verdict.username)
      return respond(403, [], "Forbidden (not your address)");

    // Step 5: the AOR from To. "If the address-of-record is not valid for the domain … 404": the
    // user just authenticated with this name in this realm, so it exists.
    const aor = `sip:${user}@${domain}`;

    // Steps 6 and 7: process every Contact.
    const now = this.#o.clock.now();
    const contacts = request.headers.has("contact") ? request.contacts : [];
    const headerExpires = request.expires;
    const existing = new Map(this.#o.location.lookup(aor).map((b) => [b.contact, b]));
    const cseq = request.cseq.seq;

    if (contacts === "*") {
      // "If the request contains a Contact header field with the value "*" … the registrar
      // checks whether the request contains an Expires header field with the value zero. If not,
      // the registrar … MUST return a 400."
      if (headerExpires !== 0 || request.headers.values("contact").length !== 1) {
        return respond(400, [], "Bad Contact: * needs Expires: 0 and no other Contact");
      }
      for (const binding of existing.values()) {
        if (binding.callId === request.callId && binding.cseq >= cseq) continue;
        await this.#o.location.remove(aor, binding.contact);
      }
      return this.#ok(request, transaction, aor);
    }

    const changes: Array<{ contact: NameAddr; key: string; expires: number }> = [];
    for (const contact of contacts) {
      const param = contact.params.get("expires");
      let expires =
        param !== undefined && param !== null && /^\d+$/.test(param)
          ? Number(param)
          : (headerExpires ?? this.#o.defaultExpires);
      if (expires > 0 && expires < this.#o.minExpires) {
        return respond(423, [["Min-Expires", String(this.#o.minExpires)]]);
      }
      expires = Math.min(expires, this.#o.maxExpires);
      const key = contactKey(contact);
      const current = existing.get(key);
      // "If they are the same [Call-ID], the registrar compares the CSeq value. If the value is
      // higher than that of the existing binding, it MUST update or remove the binding … If not,
      // the update MUST be aborted and the request fails."
      if (current && current.callId === request.callId && current.cseq >= cseq) {
        return respond(400, [], "CSeq Out Of Order");
      }
      changes.push({ contact, key, expires });
    }
    const path = request.headers.values("path");
    for (const { contact, key, expires } of changes) {
      if (expires === 0) {
        if (existing.has(key)) await this.#o.location.remove(aor, key);
        continue;
      }
      const q = Number(contact.params.get("q") ?? "1");
      const binding: Binding = {
        aor,
        contact: key,
        q: Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 1,
        expiresAt: now + expires * 1000,
        callId: request.callId,
        cseq,
        source: {
          protocol: source.protocol,
          address: source.address,
          port: source.port,
          flowId: source.flowId,
        },
        path,
        userAgent: request.headers.get("user-agent"),
        instanceId: unquoted(contact.params.get("+sip.instance")),
        registeredAt: existing.get(key)?.registeredAt ?? now,
      };
      await this.#o.location.save(binding);
    }
    // Debug, not info: one line per REGISTER would flood the log of a busy server.
    this.#o.logger.debug(
      { callId: request.callId, aor, contacts: changes.length, source: source.address },
      "registered",
    );
    return this.#ok(request, transaction, aor);
  }

  /**
   * Step 8: "The registrar returns a 200 (OK) response. The response MUST contain Contact header
   * field values enumerating all current bindings. Each Contact value MUST feature an "expires"
   * parameter indicating its expiration interval". Path is echoed when the UA supports it (RFC 3327 §5.3).
   */
  #ok(request: SipRequest, transaction: ServerTransaction, aor: string): void {
    const now = this.#o.clock.now();
    const headers: Array<[string, string]> = this.#o.location
      .lookup(aor)
      .map((b) => [
        "Contact",
        `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}${b.q !== 1 ? `;q=${b.q}` : ""}`,
      ]);
    if (request.optionTags("supported").includes("path")) {
      for (const path of request.headers.values("path")) headers.push(["Path", path]);
    }
    headers.push(["Date", new Date(now).toUTCString()]);
    transaction.respond(this.#o.core.response(request, 200, { headers }));
  }
}

/** The binding key of a Contact: its URI with the host in lower case (RFC 3261 §19.1.4 compares hosts case-insensitively). */
function contactKey(contact: NameAddr): string {
  if (!(contact.uri instanceof SipUri)) return contact.uri.toString();
  const uri = contact.uri.clone();
  uri.host = uri.host.toLowerCase();
  return uri.toString();
}

function unquoted(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return value.replace(/^"(.*)"$/, "$1");
}
