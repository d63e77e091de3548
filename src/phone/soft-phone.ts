import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import { TypedEmitter } from "../kernel/typed-emitter.ts";
import { MediaEngine, type OwnedEndpoint, SessionDescription } from "../media/index.ts";
import {
  DEFAULT_PARSE_LIMITS,
  DEFAULT_TIMERS,
  DigestClient,
  type IncomingInvite,
  type InviteSession,
  NameAddr,
  type OutgoingInvite,
  type RemoteAddress,
  type SessionEnd,
  type SessionReply,
  type SipBody,
  type SipRequest,
  type SipResponse,
  SipStack,
  SipUri,
} from "../sip/index.ts";
import { type RingKind, ringKind } from "./alert-marking.ts";
import { CallAudio } from "./call-audio.ts";
import { PhoneStateError } from "./errors.ts";
import { PhoneRegistration } from "./phone-registration.ts";
import { serverRoute } from "./server-route.ts";

export interface SoftPhoneOptions {
  /** User part of the phone's address and its digest username, e.g. "1001". */
  extension: string;
  password: string;
  /** The SIP server it registers with and sends its calls through (UDP). */
  server: { address: string; port: number };
  /** SIP domain of its address-of-record (`sip:<extension>@<domain>`) and digest realm. */
  domain: string;
  clock: Clock;
  logger: Logger;
  /** Address to bind SIP and RTP to and to write in Via, Contact and SDP; default: the route to the server. */
  localAddress?: string;
  /** RTP port range (default 40000–44999). */
  mediaPorts?: { min: number; max: number };
  /** Answers a ringing call by itself (after `answerDelayMs`). */
  autoAnswer?: boolean;
  answerDelayMs?: number;
  /** What it sends while in a call: a steady tone of this many Hz, or silence for 0 (the default). */
  toneHz?: number;
  /** Alert-Info markers that also mean an emergency call (see ringKind), e.g. "Bellcore-dr5". */
  emergencyMarkers?: string[];
}

/** `Idle` (no call), `Calling` (our INVITE is out), `Ringing` (an INVITE waits for answer()), `Connected`, `Closed`. */
export type SoftPhoneState = "Idle" | "Calling" | "Ringing" | "Connected" | "Closed";

const TRANSITIONS: Readonly<Record<SoftPhoneState, readonly SoftPhoneState[]>> = {
  Idle: ["Calling", "Ringing", "Closed"],
  Calling: ["Connected", "Idle", "Closed"],
  Ringing: ["Connected", "Idle", "Closed"],
  Connected: ["Idle", "Closed"],
  Closed: [],
};

export interface SoftPhoneEvents extends Record<string, unknown[]> {
  statechange: [SoftPhoneState];
  /** An INVITE the phone takes (it rings, or answers at once to preempt): how it rings, who calls, the Alert-Info values. */
  incoming: [{ ring: RingKind; from: string; alertInfo: string[] }];
  /** A call is up (ours answered, or we answered); `peer` is the other party's URI. */
  answered: [{ peer: string; ring: RingKind }];
  /** The call ended (also a ringing call cancelled or declined); `reason` is the Reason header sent or received. */
  ended: [{ by: "local" | "remote"; reason?: string }];
  /** An INVITE refused: 486 while busy, 488 for an offer it cannot use. */
  rejected: [{ status: number; ring: RingKind }];
  /** Its ordinary call with `peer` was ended (BYE with the RFC 4411 Reason) to take an emergency call from `by`. */
  preempted: [{ peer: string; by: string }];
}

/** What `call()` resolves with once the INVITE has its final response. */
export type CallOutcome = { answered: true } | { answered: false; status: number; reason: string };

/**
 * RFC 4411 §6.1 (the "preemption" Reason protocol, cause 1 "UA Preemption"), written as the RFC's
 * own examples write it; Parley reads it as hangup cause PREEMPTED.
 * https://www.rfc-editor.org/rfc/rfc4411
 */
export const PREEMPTION_REASON = 'preemption ;cause=1 ;text="UA Preemption"';

/** How long close() and a preempting hang-up wait for the server's answer to BYE or REGISTER. */
const GOODBYE_WAIT_MS = 2000;
/** heard() keeps the latest minute of audio. */
const HEARD_KEEP_MS = 60_000;

/** The phone's one call, from the INVITE to its end. */
interface PhoneCall {
  readonly direction: "inbound" | "outbound";
  readonly ring: RingKind;
  /** The other party's URI. */
  readonly peer: string;
  incoming?: IncomingInvite;
  offer?: SessionDescription;
  outgoing?: OutgoingInvite;
  session?: InviteSession;
  endpoint?: OwnedEndpoint;
  /** Our last SDP in this call (the answer to re-offers builds on it, RFC 3264 §8). */
  local?: SessionDescription;
  audio?: CallAudio;
  answerTimer?: TimerHandle;
  accepting?: boolean;
}

interface Started {
  stack: SipStack;
  engine: MediaEngine;
  registration: PhoneRegistration;
  server: RemoteAddress;
}

/**
 * Parley's own SIP user agent (a softphone): registers with digest, places calls through the
 * server and takes one call at a time with G.711 µ-law audio (a steady tone out, everything
 * received kept for `heard()`). It is the phone side of emergency calls: an incoming INVITE rings
 * `emergency` or `normal` according to its Alert-Info (RFC 7462, see ringKind); while it is in an
 * ordinary call, an emergency INVITE preempts it (BYE with `Reason: preemption ;cause=1
 * ;text="UA Preemption"`, RFC 4411) and is answered at once, and any other INVITE is refused with
 * 486 Busy Here (RFC 3261 §21.4.24). An emergency call is never preempted.
 */
export class SoftPhone extends TypedEmitter<SoftPhoneEvents> {
  readonly #o: SoftPhoneOptions;
  readonly #credentials: DigestClient;
  #started: Started | undefined;
  #starting: Promise<void> | undefined;
  #state: SoftPhoneState = "Idle";
  #call: PhoneCall | undefined;
  #lastAudio: CallAudio | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: SoftPhoneOptions) {
    super();
    const tone = options.toneHz ?? 0;
    if (!(tone >= 0 && tone < 4000)) throw new RangeError(`toneHz must be 0 to 3999 Hz, not ${tone}`);
    this.#o = options;
    this.#credentials = new DigestClient({ username: options.extension, password: options.password });
    this.onListenerError = (error, event) =>
      options.logger.error({ err: error, event }, "soft phone listener failed");
  }

  get state(): SoftPhoneState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#state === "Closed";
  }

  /** The address-of-record it registers, `sip:<extension>@<domain>`. */
  get aor(): string {
    return `sip:${this.#o.extension}@${this.#o.domain}`;
  }

  /** Where its SIP listener is (UDP and TCP share the port); known after start(). */
  get sipAddress(): { address: string; port: number } {
    const stack = this.#require();
    return { address: stack.stack.local.host, port: stack.stack.local.port("udp") };
  }

  /** Opens the SIP listener (a free port) and the media engine; a second call waits for the first. */
  start(): Promise<void> {
    if (this.#state === "Closed") return Promise.reject(new PhoneStateError("start() after close()"));
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const route = await serverRoute(this.#o.server);
    const host = this.#o.localAddress ?? route.local;
    const { clock, logger } = this.#o;
    const stack = new SipStack({
      host,
      port: 0,
      limits: DEFAULT_PARSE_LIMITS,
      timers: DEFAULT_TIMERS,
      idleTimeoutMs: 60_000,
      clock,
      logger,
      product: "Parley-Phone",
    });
    await stack.start();
    stack.onInvite((invite) => this.#receiveInvite(invite));
    const ports = this.#o.mediaPorts ?? { min: 40_000, max: 44_999 };
    const engine = new MediaEngine({
      address: host,
      portMin: ports.min,
      portMax: ports.max,
      clock,
      logger,
      codecs: ["PCMU"],
    });
    const server: RemoteAddress = { protocol: "udp", address: route.address, port: this.#o.server.port };
    const registration = new PhoneRegistration({
      stack,
      server,
      extension: this.#o.extension,
      domain: this.#o.domain,
      credentials: this.#credentials,
      clock,
      logger,
    });
    this.#started = { stack, engine, registration, server };
  }

  /** REGISTERs (digest) and keeps the binding refreshed; resolves with the granted expiry, seconds. */
  async register(): Promise<{ aor: string; expires: number }> {
    const expires = await this.#require().registration.register();
    return { aor: this.aor, expires };
  }

  /**
   * Calls `target` (an extension, `user@domain`, or a SIP URI) through the server, answering its
   * 407 challenge with the phone's credentials (RFC 3261 §22.3); resolves when the INVITE has its
   * final response.
   */
  async call(target: string): Promise<CallOutcome> {
    const { stack, engine, server } = this.#require();
    const uri = this.#targetUri(target);
    if (this.#state !== "Idle") throw new PhoneStateError(`call() while ${this.#state}`);
    const call: PhoneCall = { direction: "outbound", ring: "normal", peer: uri.toString() };
    this.#call = call;
    this.#transition("Calling");
    const pending = await engine.offer().catch((error: unknown) => {
      this.#release(call);
      throw error;
    });
    if (this.#call !== call) {
      pending.close();
      return { answered: false, status: 487, reason: "Request Terminated" };
    }
    call.local = pending.offer;
    const outgoing = stack.invite({
      uri,
      target: server,
      from: new NameAddr(new SipUri({ user: this.#o.extension, host: this.#o.domain })),
      to: new NameAddr(uri),
      body: sdpBody(pending.offer),
      credentials: this.#credentials,
    });
    call.outgoing = outgoing;
    const outcome = new Promise<CallOutcome>((resolve) => {
      outgoing.on("answered", (session, response) => {
        const answer = parseSdp(response.body);
        const result = answer ? pending.complete(answer) : undefined;
        if (!result || "error" in result || this.#call !== call) {
          pending.close();
          void session.bye([["Reason", 'SIP;cause=488;text="Not Acceptable Here"']]);
          if (this.#call === call) this.#release(call);
          resolve({ answered: false, status: 488, reason: "Not Acceptable Here" });
          return;
        }
        this.#connect(call, session, result.endpoint);
        resolve({ answered: true });
      });
      outgoing.on("failed", (response: SipResponse) => {
        pending.close();
        if (this.#call === call) this.#release(call);
        resolve({ answered: false, status: response.status, reason: response.reason });
      });
    });
    await outgoing.start();
    return outcome;
  }

  /** Answers the ringing call (200 with the SDP answer). */
  async answer(): Promise<void> {
    const call = this.#call;
    if (this.#state !== "Ringing" || !call?.incoming)
      throw new PhoneStateError(`answer() while ${this.#state}`);
    await this.#accept(call);
  }

  /** Ends the call: BYE when connected, CANCEL while calling, 603 Decline while ringing; nothing without a call. */
  async hangup(): Promise<void> {
    const call = this.#call;
    if (!call) return;
    const bye = this.#drop(call, { status: 603, headers: [] });
    this.safeEmit("ended", { by: "local" });
    await bye;
  }

  /** The 8 kHz PCM received in the current call, or the last one (the latest minute). */
  heard(): Int16Array {
    return this.#lastAudio?.heard() ?? new Int16Array(0);
  }

  /** Hangs up, unregisters, closes the listener and the media; a second call does nothing. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    if (this.#call) await this.hangup();
    this.#transition("Closed");
    const started = this.#started;
    if (!started) return;
    await this.#bounded(started.registration.unregister().catch(() => undefined));
    started.registration.close();
    started.engine.close();
    await started.stack.stop();
  }

  // ---- incoming INVITEs ----------------------------------------------------------------------

  /**
   * A new INVITE. Its Alert-Info decides the ring (ringKind). Busy with an ordinary call, an
   * emergency INVITE preempts it (RFC 4411: BYE with the preemption Reason) and is answered at
   * once; any other INVITE while busy gets 486 (RFC 3261 §21.4.24: "The callee's end system was
   * contacted successfully, but the callee is currently not willing or able to take additional
   * calls at this end system"). Idle, the phone rings (180) and answers when told to, or by itself.
   */
  #receiveInvite(invite: IncomingInvite): void {
    const request = invite.request;
    const alertInfo = request.headers.values("alert-info");
    const ring = ringKind(alertInfo, this.#o.emergencyMarkers);
    const from = request.from.uri.toString();
    const current = this.#call;
    if (this.#state === "Closed" || (current && (ring !== "emergency" || current.ring === "emergency"))) {
      invite.reject(486);
      this.safeEmit("rejected", { status: 486, ring });
      return;
    }
    const offer = invite.offer ? parseSdp(invite.offer.data) : undefined;
    if (!offer) {
      // RFC 3261 §13.3.1.3 allows offerless INVITEs; this phone answers offers only.
      invite.reject(488, { headers: [["Warning", '399 parley-phone "an SDP offer is required"']] });
      this.safeEmit("rejected", { status: 488, ring });
      return;
    }
    this.safeEmit("incoming", { ring, from, alertInfo });
    if (current) {
      void this.#drop(current, { status: 486, headers: [["Reason", PREEMPTION_REASON]] });
      this.safeEmit("ended", { by: "local", reason: PREEMPTION_REASON });
      this.safeEmit("preempted", { peer: current.peer, by: from });
    }
    const call: PhoneCall = { direction: "inbound", ring, peer: from, incoming: invite, offer };
    this.#call = call;
    invite.on("cancelled", (cancel: SipRequest) => {
      if (this.#call !== call) return;
      this.#release(call);
      this.safeEmit("ended", { by: "remote", ...reasonOf(cancel) });
    });
    invite.progress(180);
    this.#transition("Ringing");
    if (current) this.#acceptSoon(call);
    else if (this.#o.autoAnswer) {
      const delay = this.#o.answerDelayMs ?? 0;
      if (delay <= 0) this.#acceptSoon(call);
      else call.answerTimer = this.#o.clock.setTimer(delay, () => this.#acceptSoon(call));
    }
  }

  /** Answers without a caller waiting on it (auto-answer, preemption); a failure is logged. */
  #acceptSoon(call: PhoneCall): void {
    this.#accept(call).catch((error: unknown) => {
      this.#o.logger.warn({ err: error, callId: call.incoming?.callId }, "answering failed");
      if (this.#call === call) {
        call.incoming?.reject(500);
        this.#release(call);
      }
    });
  }

  /** 200 with the SDP answer to the INVITE's offer (RFC 3264 §6), or 488 when no stream fits. */
  async #accept(call: PhoneCall): Promise<void> {
    const { engine } = this.#require();
    const invite = call.incoming;
    if (!invite || !call.offer || call.accepting) return;
    call.accepting = true;
    call.answerTimer?.cancel();
    const result = await engine.answer(call.offer);
    if (this.#call !== call || invite.state !== "Proceeding") {
      if ("endpoint" in result) result.endpoint.close();
      return;
    }
    if ("error" in result) {
      invite.reject(488, { headers: [["Warning", `304 parley-phone "${result.reason}"`]] });
      this.#release(call);
      this.safeEmit("rejected", { status: 488, ring: call.ring });
      return;
    }
    call.local = result.answer;
    const session = invite.accept({ body: sdpBody(result.answer) });
    this.#connect(call, session, result.endpoint);
  }

  // ---- the call --------------------------------------------------------------------------------

  #connect(call: PhoneCall, session: InviteSession, endpoint: OwnedEndpoint): void {
    call.session = session;
    call.endpoint = endpoint;
    call.audio = new CallAudio({
      engine: this.#require().engine,
      endpoint,
      toneHz: this.#o.toneHz ?? 0,
      keepMs: HEARD_KEEP_MS,
    });
    this.#lastAudio = call.audio;
    session.delegate = { onReoffer: (request) => this.#reoffer(call, request) };
    session.on("terminated", (end: SessionEnd) => {
      if (this.#call !== call) return;
      this.#release(call);
      this.safeEmit("ended", {
        by: end.by === "remote" ? "remote" : "local",
        ...(end.request ? reasonOf(end.request) : end.detail ? { reason: end.detail } : {}),
      });
    });
    this.#transition("Connected");
    this.safeEmit("answered", { peer: call.peer, ring: call.ring });
  }

  /** A re-INVITE or UPDATE (session refresh, hold): answered from the same port (RFC 3264 §8). */
  #reoffer(call: PhoneCall, request: SipRequest): SessionReply {
    const endpoint = call.endpoint;
    if (!endpoint || !call.local) return { status: 488 };
    const offer = parseSdp(request.body);
    if (!offer) return { status: 200, body: sdpBody(call.local) };
    const result = this.#require().engine.reanswer(endpoint, offer, call.local);
    if ("error" in result) return { status: 488 };
    call.local = result.answer;
    return { status: 200, body: sdpBody(result.answer) };
  }

  /**
   * Ends `call` from our side at whatever stage it is (BYE, CANCEL, or a refusal with `refuse`),
   * releasing it at once; resolves when the BYE is answered (or after a bounded wait).
   */
  #drop(call: PhoneCall, refuse: { status: number; headers: Array<[string, string]> }): Promise<void> {
    this.#release(call);
    if (call.session) return this.#bounded(call.session.bye(refuse.headers));
    if (call.outgoing) call.outgoing.cancel(refuse.headers);
    else call.incoming?.reject(refuse.status, { headers: refuse.headers });
    return Promise.resolve();
  }

  /** Forgets the call: its timer and audio stop, the phone is Idle (unless closed). */
  #release(call: PhoneCall): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    call.answerTimer?.cancel();
    call.audio?.close();
    if (!call.audio) call.endpoint?.close();
    if (this.#state !== "Closed") this.#transition("Idle");
  }

  /** The one place the state changes: the move must be in TRANSITIONS. */
  #transition(to: SoftPhoneState): void {
    if (to === this.#state) return;
    if (!TRANSITIONS[this.#state].includes(to))
      throw new Error(`SoftPhone: ${this.#state} → ${to} is not allowed`);
    this.#o.logger.debug({ from: this.#state, to }, "SoftPhone transition()");
    this.#state = to;
    this.safeEmit("statechange", to);
  }

  #require(): Started {
    if (this.#state === "Closed") throw new PhoneStateError("the phone is closed");
    if (!this.#started) throw new PhoneStateError("start() has not finished");
    return this.#started;
  }

  /** `1002` → sip:1002@<domain>; `1002@example.com` → sip:1002@example.com; a SIP URI as it is. */
  #targetUri(target: string): SipUri {
    const text = target.trim();
    if (/^sips?:/i.test(text)) return SipUri.parse(text);
    if (text.includes("@")) return SipUri.parse(`sip:${text}`);
    return new SipUri({ user: text, host: this.#o.domain });
  }

  /** Waits for `work`, but no longer than GOODBYE_WAIT_MS on the clock (a server that went away). */
  async #bounded(work: Promise<unknown>): Promise<void> {
    let timer: TimerHandle | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = this.#o.clock.setTimer(GOODBYE_WAIT_MS, resolve);
    });
    await Promise.race([work.then(() => undefined), waited]);
    timer?.cancel();
  }
}

function sdpBody(description: SessionDescription): SipBody {
  return { contentType: "application/sdp", data: Buffer.from(description.serialize()) };
}

/** The SDP in a body, or undefined when there is none or it does not parse. */
function parseSdp(body: Buffer): SessionDescription | undefined {
  if (body.length === 0) return undefined;
  try {
    return SessionDescription.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The Reason header of a BYE or CANCEL (RFC 3326), when it has one. */
function reasonOf(request: SipRequest): { reason?: string } {
  const reason = request.headers.get("reason");
  return reason === undefined ? {} : { reason };
}
