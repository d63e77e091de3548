import type { Clock } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import {
  DTMF_RELAY_CONTENT_TYPE,
  type DtmfDigit,
  type MediaEndpoint,
  type MediaEngine,
  type OwnedEndpoint,
  type OwnedVideoEndpoint,
  parseDtmfRelay,
  type RtpPacket,
  SessionDescription,
  TelephoneEventReceiver,
  type VideoEndpoint,
} from "../../media/index.ts";
import {
  type InviteSession,
  NameAddr,
  type SessionEnd,
  type SessionReply,
  type SipRequest,
  SipUri,
} from "../../sip/index.ts";
import { causeFromStatus, type HangupCause } from "./hangup-cause.ts";
import { causeFromReason, reasonHeader } from "./reason-header.ts";
import { type Refresher, SessionTimer } from "./session-timer.ts";

/**
 * A leg's life: `Trying` (INVITE sent or received), `Ringing` (180), `EarlyMedia` (183 with SDP:
 * audio flows before the answer), `Answered` (2xx), `Ended`. One table says which moves are legal.
 */
export type LegState = "Trying" | "Ringing" | "EarlyMedia" | "Answered" | "Ended";

const TRANSITIONS: Readonly<Record<LegState, readonly LegState[]>> = {
  Trying: ["Ringing", "EarlyMedia", "Answered", "Ended"],
  Ringing: ["EarlyMedia", "Answered", "Ended"],
  EarlyMedia: ["Ringing", "Answered", "Ended"],
  Answered: ["Ended"],
  Ended: [],
};

/** How and why a leg ended. */
export interface LegEnd {
  cause: HangupCause;
  /** `remote`: the peer hung up, refused or cancelled; `local`: Parley did. */
  by: "local" | "remote";
  /** Final SIP status of the INVITE when it failed (486, 487 …). */
  sipStatus?: number;
  /** The Reason header sent or received (RFC 3326). */
  reason?: string;
}

export interface DtmfEvent {
  digit: DtmfDigit;
  durationMs: number;
  /** `rfc4733` telephone-event, or `info` (application/dtmf-relay). */
  via: "rfc4733" | "info";
}

/** A blind transfer asked for by a party (the transferor). */
export interface TransferRequest {
  /** The Refer-To URI's user part (an extension or number), as dialled. */
  target: string;
  /**
   * Attended transfer (RFC 3891 Replaces in the Refer-To, RFC 5589 §7): the transferor's dialog
   * with the transfer target, whose partner the transferee is to be connected to.
   */
  replaces?: { callId: string; toTag: string; fromTag: string };
  /** Reports the outcome to the transferor (NOTIFY with sipfrag, RFC 3515 §2.4.5). */
  progress(status: number, reason: string, final: boolean): void;
}

/** What every leg is built with. */
export interface LegOptions {
  callId: string;
  engine: MediaEngine;
  logger: Logger;
  clock: Clock;
  /** calls.session_timer, seconds; 0 leaves session timers to the peer. */
  sessionTimer?: number;
}

export interface LegEvents extends Record<string, unknown[]> {
  ringing: [];
  earlymedia: [];
  answered: [];
  dtmf: [DtmfEvent];
  /** The peer put the call on hold (sendonly/inactive re-offer), or took it off hold. */
  held: [boolean];
  /** The peer asked (REFER, RFC 3515) for its partner to be connected to `target`; the REFER got 202. */
  transfer: [TransferRequest];
  hungup: [LegEnd];
}

/**
 * One party of a call as call control sees it: a SIP INVITE dialog (Parley is the other end of
 * it, as a B2BUA) plus the RTP endpoint anchored in Parley's media engine. Subclasses provide the
 * inbound and outbound halves of the INVITE; this class owns the state table, DTMF from both
 * RTP (RFC 4733) and INFO, hold re-offers, RTP timeout and the end of the leg.
 */
export abstract class Leg extends TypedEmitter<LegEvents> {
  readonly id = `L${randomHex(6)}`;
  abstract readonly direction: "inbound" | "outbound";
  readonly callId: string;
  readonly logger: Logger;
  protected readonly engine: MediaEngine;
  #state: LegState = "Trying";
  #endpoint: OwnedEndpoint | undefined;
  #video: OwnedVideoEndpoint | undefined;
  #session: InviteSession | undefined;
  /** The SDP we last sent on this leg (answers to re-offers keep its session id). */
  protected localDescription: SessionDescription | undefined;
  #dtmf = new TelephoneEventReceiver();
  #end: LegEnd | undefined;
  #held = false;
  #sessionTimer: SessionTimer | undefined;
  /** calls.session_timer: the interval Parley asks for, seconds (0: only when the peer asks). */
  protected readonly sessionTimerSeconds: number;
  protected readonly clock: Clock;

  protected constructor(options: LegOptions & { sipCallId: string }) {
    super();
    this.callId = options.callId;
    this.engine = options.engine;
    this.clock = options.clock;
    this.sessionTimerSeconds = options.sessionTimer ?? 0;
    this.logger = options.logger.child({
      callId: options.callId,
      legId: this.id,
      sipCallId: options.sipCallId,
    });
    this.onListenerError = (error, event) => this.logger.error({ err: error, event }, "leg listener failed");
  }

  get state(): LegState {
    return this.#state;
  }

  get ended(): boolean {
    return this.#state === "Ended";
  }

  get answered(): boolean {
    return this.#state === "Answered";
  }

  get held(): boolean {
    return this.#held;
  }

  /** How the leg ended, once it has. */
  get end(): LegEnd | undefined {
    return this.#end;
  }

  /** The leg's media, once SDP has been exchanged (answer, early media). */
  get media(): MediaEndpoint | undefined {
    return this.#endpoint;
  }

  get session(): InviteSession | undefined {
    return this.#session;
  }

  /** The leg's SIP identity for records: its Call-ID, From and To URIs, and where it goes or came from. */
  abstract readonly addresses: { sipCallId: string; from: string; to: string; target: string };

  /** Ends the leg: refuse or cancel before the answer, BYE after it; `cause` goes in the Reason header. */
  abstract hangup(cause?: HangupCause): void;

  protected transition(to: LegState): void {
    const from = this.#state;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to))
      throw new Error(`Leg ${this.id}: illegal transition ${from} → ${to}`);
    this.#state = to;
    this.logger.debug({ from, to }, "leg state");
    if (to === "Ringing") this.safeEmit("ringing");
    else if (to === "EarlyMedia") this.safeEmit("earlymedia");
    else if (to === "Answered") {
      // Silence is counted from the answer (see attachMedia's timeout handler).
      this.#endpoint?.session.restartTimeout();
      this.safeEmit("answered");
    }
  }

  /** Takes ownership of the leg's RTP endpoint: DTMF and RTP timeout are watched from now on. */
  /** The leg's video stream, when video was negotiated (relayed, never decoded). */
  get video(): VideoEndpoint | undefined {
    return this.#video;
  }

  protected attachVideo(video: OwnedVideoEndpoint): void {
    if (this.#video && this.#video !== video) this.#video.close();
    this.#video = video;
  }

  protected attachMedia(endpoint: OwnedEndpoint): void {
    if (this.#endpoint === endpoint) return;
    this.#endpoint = endpoint;
    const eventType = endpoint.telephoneEventPayloadType;
    endpoint.session.on("packet", (packet: RtpPacket) => {
      if (packet.payloadType !== eventType) return;
      for (const digit of this.#dtmf.receive(packet.timestamp, packet.marker, packet.payload)) {
        this.safeEmit("dtmf", { digit: digit.digit, durationMs: digit.durationMs, via: "rfc4733" });
      }
    });
    endpoint.session.on("timeout", () => {
      // Before the answer a caller sends nothing (its phone plays its own ring-back), and a held
      // phone may well send nothing either: neither is a dead call.
      if (!this.answered || this.#held) return;
      this.logger.info("no RTP from the peer: hanging up");
      this.hangup("MEDIA_TIMEOUT");
    });
  }

  /** Takes ownership of the answered INVITE session: BYE, re-INVITE and INFO from the peer come here. */
  protected attachSession(session: InviteSession): void {
    this.#session = session;
    session.delegate = {
      onReoffer: (request) => this.#reoffer(request),
      onInfo: (request) => this.#info(request),
      onRefer: (request) => this.#refer(request),
    };
    session.on("terminated", (end: SessionEnd) => {
      if (end.by === "local") return;
      const reason = end.request?.headers.values("reason") ?? [];
      const cause =
        causeFromReason(reason) ?? (end.by === "remote" ? "NORMAL_CLEARING" : "NORMAL_TEMPORARY_FAILURE");
      this.finish({ cause, by: "remote", ...(reason[0] ? { reason: reason[0] } : {}) });
    });
  }

  /**
   * Starts RFC 4028 session timing on the answered session: Parley refreshes with a re-INVITE
   * carrying the same description, or expects the peer to, and hangs up when the session expires.
   */
  protected startSessionTimer(seconds: number, refresher: Refresher): void {
    this.#sessionTimer?.stop();
    const timer: SessionTimer = new SessionTimer({
      clock: this.clock,
      seconds,
      refresher,
      refresh: async () => {
        const session = this.#session;
        const description = this.localDescription?.nextVersion();
        if (!session || session.terminated || !description) return false;
        this.localDescription = description;
        // We send the refresh, so we are its UAC: refresher=uac.
        const response = await session.reinvite(sdpBody(description), [
          ["Session-Expires", timer.header("uac")],
          ["Supported", "timer"],
        ]);
        // RFC 4028 §10: a 408 or 481 to the refresh means the session is gone.
        return response.status < 300 || (response.status !== 408 && response.status !== 481);
      },
      expire: () => {
        this.logger.info({ seconds }, "session expired without a refresh (RFC 4028)");
        this.hangup("RECOVERY_ON_TIMER_EXPIRE");
      },
    });
    this.#sessionTimer = timer;
    this.logger.debug({ seconds, refresher }, "session timer");
  }

  /** Session-Expires for our 2xx to a refresh from the peer (we are its UAS). */
  protected sessionTimerHeaders(): Array<[string, string]> {
    return this.#sessionTimer ? [["Session-Expires", this.#sessionTimer.header("uas")]] : [];
  }

  /** After the answer: BYE with a Reason header; the leg ends at once. */
  protected byeAndFinish(cause: HangupCause): void {
    const reason = reasonHeader(cause);
    void this.#session?.bye([["Reason", reason]]);
    this.finish({ cause, by: "local", reason });
  }

  /** Marks the leg ended, releases its media, tells the listeners once. */
  protected finish(end: LegEnd): void {
    if (this.#state === "Ended") return;
    this.#end = end;
    this.#sessionTimer?.stop();
    this.transition("Ended");
    const flushed = this.#dtmf.flush();
    if (flushed)
      this.safeEmit("dtmf", { digit: flushed.digit, durationMs: flushed.durationMs, via: "rfc4733" });
    this.#endpoint?.close();
    this.#video?.close();
    this.logger.info({ cause: end.cause, by: end.by, sipStatus: end.sipStatus }, "leg ended");
    this.safeEmit("hungup", end);
    this.removeAllListeners();
  }

  /** A failure response to our INVITE, or a refusal we sent, as a LegEnd. */
  protected static endFromStatus(status: number, reasons: readonly string[], by: LegEnd["by"]): LegEnd {
    return {
      cause: causeFromReason(reasons) ?? causeFromStatus(status),
      by,
      sipStatus: status,
      ...(reasons[0] ? { reason: reasons[0] } : {}),
    };
  }

  /**
   * A re-INVITE or UPDATE from the peer: hold (sendonly/inactive, RFC 3264 §8.4), resume, or a new
   * address; answered from the same port with the next version of our description.
   */
  async #reoffer(request: SipRequest): Promise<SessionReply> {
    // Any re-INVITE or UPDATE from the peer refreshes the session (RFC 4028 §10).
    this.#sessionTimer?.refreshed();
    const reply = await this.#answerReoffer(request);
    if (reply.status < 300) reply.headers = [...(reply.headers ?? []), ...this.sessionTimerHeaders()];
    return reply;
  }

  async #answerReoffer(request: SipRequest): Promise<SessionReply> {
    const endpoint = this.#endpoint;
    if (!endpoint || request.body.length === 0) {
      // An offerless re-INVITE: our current description is the offer (the answer arrives in the ACK).
      return this.localDescription
        ? { status: 200, body: sdpBody(this.localDescription.nextVersion()) }
        : { status: 488 };
    }
    let offer: SessionDescription;
    try {
      offer = SessionDescription.parse(request.body.toString("utf8"));
    } catch {
      return { status: 488, reason: "Bad SDP" };
    }
    const result = this.engine.reanswer(endpoint, offer, this.localDescription);
    if ("error" in result) return { status: 488, headers: [["Warning", `304 parley "${result.reason}"`]] };
    this.localDescription = result.answer;
    const held = result.direction === "recvonly" || result.direction === "inactive";
    if (held !== this.#held) {
      this.#held = held;
      if (!held) endpoint.session.restartTimeout();
      this.safeEmit("held", held);
    }
    return { status: 200, body: sdpBody(result.answer) };
  }

  /**
   * RFC 3515 §2.4.2: a REFER with one Refer-To is accepted with 202 when someone listens for
   * transfers (the call's bridge); attended transfer (Refer-To with Replaces, RFC 3891) is not
   * handled yet and gets 501.
   */
  #refer(request: SipRequest): SessionReply {
    const values = request.headers.values("refer-to");
    if (values.length !== 1) return { status: 400, reason: "Exactly one Refer-To" };
    let target: string | undefined;
    let replaces: TransferRequest["replaces"];
    try {
      const uri = NameAddr.parse(values[0] as string, "Refer-To").uri;
      if (uri instanceof SipUri && /(^|&)replaces=/i.test(uri.headers ?? "")) {
        replaces = parseReplaces(uri.headers ?? "");
        if (!replaces) return { status: 400, reason: "Bad Replaces in Refer-To" };
      }
      target = uri instanceof SipUri ? uri.decodedUser : "digits" in uri ? String(uri.digits) : undefined;
    } catch {
      return { status: 400, reason: "Bad Refer-To" };
    }
    if (!target) return { status: 400, reason: "Refer-To names no user" };
    if (this.listenerCount("transfer") === 0) return { status: 603, reason: "Decline" };
    const session = this.#session;
    this.safeEmit("transfer", {
      target,
      ...(replaces ? { replaces } : {}),
      progress: (status, reason, final) => {
        if (session && !session.terminated) void session.notifyReferProgress(status, reason, final);
      },
    });
    return { status: 202, reason: "Accepted" };
  }

  #info(request: SipRequest): SessionReply {
    if ((request.contentType ?? "").toLowerCase() !== DTMF_RELAY_CONTENT_TYPE) {
      return { status: 415, headers: [["Accept", DTMF_RELAY_CONTENT_TYPE]] };
    }
    try {
      const relay = parseDtmfRelay(request.body);
      this.safeEmit("dtmf", { digit: relay.digit, durationMs: relay.durationMs, via: "info" });
      return { status: 200 };
    } catch {
      return { status: 400, reason: "Bad dtmf-relay body" };
    }
  }
}

/**
 * The Replaces header (RFC 3891 §6.1) carried as a URI header of Refer-To:
 * `Replaces=call-id%3Bto-tag%3DX%3Bfrom-tag%3DY`.
 */
function parseReplaces(headers: string): TransferRequest["replaces"] {
  const raw = headers
    .split("&")
    .find((h) => /^replaces=/i.test(h))
    ?.slice("replaces=".length);
  if (!raw) return undefined;
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const [callId, ...params] = value.split(";").map((part) => part.trim());
  const param = (name: string) =>
    params.find((p) => p.toLowerCase().startsWith(`${name}=`))?.slice(name.length + 1);
  const toTag = param("to-tag");
  const fromTag = param("from-tag");
  if (!callId || toTag === undefined || fromTag === undefined) return undefined;
  return { callId, toTag, fromTag };
}

export function sdpBody(description: SessionDescription): { contentType: string; data: Buffer } {
  return { contentType: "application/sdp", data: Buffer.from(description.serialize(), "utf8") };
}
