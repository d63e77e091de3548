import { join } from "node:path";
import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import type { AmdOptions, AmdVerdict, MediaEngine, Player, PlayItem, Recorder } from "../../media/index.ts";
import { type NameAddr, type SipStack, SipUri } from "../../sip/index.ts";
import { type HangupCause, statusForCause } from "../legs/hangup-cause.ts";
import { InboundLeg } from "../legs/inbound-leg.ts";
import type { Leg, LegEnd, TransferRequest } from "../legs/leg.ts";
import { OutboundLeg, type OutboundTarget } from "../legs/outbound-leg.ts";
import { type CallRouter, dialTarget, type RouteResult } from "../routing/call-router.ts";
import type {
  CallParty,
  CallPlayItem,
  CallRecording,
  CallSession,
  CallSessionEvents,
  CollectOptions,
  ConferenceRoom,
  ConnectedCallInfo,
  ConnectedParties,
  DialOptions,
  DialResult,
  DialTarget,
  MessageRecording,
  MessageRecordingOptions,
  PreemptionResult,
} from "../service-api/call-session.ts";
import { detectAnsweringMachine } from "./answering-machine-detection.ts";
import type { ConferenceRooms } from "./conference-rooms.ts";
import { dialHeaders } from "./dial-headers.ts";
import { recordMessage } from "./message-recording.ts";
import { Pairing, type PairingHost } from "./pairing.ts";

export interface CallContext {
  stack: SipStack;
  engine: MediaEngine;
  router: CallRouter;
  clock: Clock;
  logger: Logger;
  /** Seconds a dial rings before NO_ANSWER (calls.no_answer_timeout). */
  noAnswerTimeout: number;
  /** Where prompts named in `play` are (media.prompts_dir). */
  promptsDir: string;
  /** The node's named conferences. */
  conferences: ConferenceRooms;
  /** calls.session_timer, seconds. */
  sessionTimer: number;
  /** Finds the answered leg (and its call) whose SIP dialog this is, in any call on the node. */
  findDialog(dialog: {
    callId: string;
    toTag: string;
    fromTag: string;
  }): { call: Call; leg: Leg } | undefined;
  /** Ends the calls of `aor` whose priority is lower than `by`'s (RFC 4411), see CallSession.preempt. */
  preempt(aor: string, by: Call, announcement: CallPlayItem[]): Promise<PreemptionResult>;
  /** Runs services' conferenced hooks (recording) for a party a service put in a room. */
  conferenced(call: Call, room: { name: string; party: CallParty }, info: ConnectedCallInfo): Promise<void>;
  /** Runs services' beforeBridge, `bridge`, then their bridged hooks (recording …) for a service-made connection. */
  connectParties(
    call: Call,
    parties: ConnectedParties,
    info: ConnectedCallInfo,
    bridge: () => void,
  ): Promise<void>;
}

export interface CallEvents extends CallSessionEvents {
  /** A leg joined the call (the first is the caller, for inbound calls). */
  leg: [Leg];
  /** A leg changed state. */
  legstate: [Leg];
}

/** RFC 3261 §16.7 step 6, for picking the outcome of a failed fork: busy beats the rest, then the lowest class. */
function failureRank(end: LegEnd): number {
  if (end.cause === "USER_BUSY") return 0;
  if (end.sipStatus !== undefined && end.sipStatus >= 600) return 1;
  return 2 + (end.sipStatus ?? 999) / 1000;
}

/**
 * One call: the legs it owns and how their media is connected. It implements the service API
 * (answer, play, dial with parallel forking, bridge, record, collect digits, hang up) so services
 * drive calls without seeing SIP. Every leg's log lines carry the call id and the leg id.
 */
export class Call extends TypedEmitter<CallEvents> implements CallSession {
  readonly id = `C${randomHex(8)}`;
  readonly logger: Logger;
  readonly kind: "inbound" | "originate";
  readonly from: NameAddr;
  /** What was dialled (the Request-URI user of an inbound call). */
  readonly dialled: string;
  service = "basic";
  priority = 0;
  readonly #context: CallContext;
  readonly #legs = new Map<string, Leg>();
  readonly #players = new Map<string, Player>();
  readonly #pairings = new Set<Pairing>();
  readonly #recorders = new Set<{ close(): void }>();
  #ended = false;

  constructor(
    context: CallContext,
    init: { kind: "inbound" | "originate"; from: NameAddr; dialled: string },
  ) {
    super();
    this.#context = context;
    this.kind = init.kind;
    this.from = init.from;
    this.dialled = init.dialled;
    this.logger = context.logger.child({ callId: this.id });
    this.onListenerError = (error, event) => this.logger.error({ err: error, event }, "call listener failed");
  }

  get router(): CallRouter {
    return this.#context.router;
  }

  get parties(): readonly Leg[] {
    return [...this.#legs.values()];
  }

  get ended(): boolean {
    return this.#ended;
  }

  leg(id: string): Leg | undefined {
    return this.#legs.get(id);
  }

  /** Adds a leg (the inbound leg, or one placed by dial) and follows it until it ends. */
  adopt(leg: Leg): void {
    this.#legs.set(leg.id, leg);
    for (const event of ["ringing", "earlymedia", "answered"] as const)
      leg.on(event, () => this.safeEmit("legstate", leg));
    leg.on("ringing", () => this.safeEmit("ringing", leg));
    leg.on("answered", () => this.safeEmit("answered", leg));
    leg.on("dtmf", (event) =>
      this.safeEmit("dtmf", leg, { digit: event.digit, durationMs: event.durationMs }),
    );
    leg.on("hungup", (end) => {
      this.safeEmit("hungup", leg, {
        cause: end.cause,
        by: end.by,
        ...(end.sipStatus === undefined ? {} : { sipStatus: end.sipStatus }),
      });
      this.#players.get(leg.id)?.close();
      this.#players.delete(leg.id);
      this.safeEmit("legstate", leg);
      if (this.parties.every((l) => l.ended)) this.#finish();
    });
    this.safeEmit("leg", leg);
  }

  // ---- the service API -----------------------------------------------------------------------

  ring(party: CallParty): void {
    this.#inbound(party)?.ring();
  }

  earlyMedia(party: CallParty): void {
    this.#inbound(party)?.earlyMedia();
  }

  answer(party: CallParty): void {
    this.#inbound(party)?.answer();
  }

  play(
    party: CallParty,
    items: CallPlayItem[],
    options: { loop?: boolean; bargeIn?: boolean } = {},
  ): Promise<{ interrupted: boolean }> {
    const leg = this.#leg(party);
    const media = leg.media;
    if (!media || leg.ended) return Promise.resolve({ interrupted: true });
    let player = this.#players.get(leg.id);
    if (!player) {
      player = this.#context.engine.player(media);
      this.#players.set(leg.id, player);
    }
    const active = player;
    // Barge-in is per play: a digit stops this play only when it asked for it.
    const bargeIn = () => active.bargeIn();
    if (options.bargeIn) leg.on("dtmf", bargeIn);
    return new Promise((resolve) => {
      active.once("finished", (result) => {
        leg.off("dtmf", bargeIn);
        resolve(result);
      });
      active.play(
        items.map((item) => (item.kind === "prompt" ? this.#prompt(item.name) : item)),
        options,
      );
    });
  }

  stopPlayback(party: CallParty): void {
    this.#players.get(party.id)?.stop();
  }

  collectDigits(party: CallParty, options: CollectOptions): Promise<string> {
    const leg = this.#leg(party);
    return new Promise((resolve) => {
      let digits = "";
      let timer: TimerHandle | undefined;
      const done = () => {
        timer?.cancel();
        leg.off("dtmf", onDigit);
        leg.off("hungup", done);
        resolve(digits);
      };
      const arm = () => {
        timer?.cancel();
        timer = this.#context.clock.setTimer(options.timeoutMs, done);
      };
      const onDigit = ({ digit }: { digit: string }) => {
        if (digit === options.terminator) return done();
        digits += digit;
        if (digits.length >= options.max) return done();
        arm();
      };
      leg.on("dtmf", onDigit);
      leg.on("hungup", done);
      arm();
    });
  }

  /**
   * Rings every target at once (each user's every registered phone); the first to answer wins and
   * the others get CANCEL with `Reason: SIP;cause=200` (RFC 3326), so phones do not log a missed
   * call. Without an answer within the timeout, all are cancelled and the result is NO_ANSWER;
   * when all fail, the best failure (busy first) is the result.
   */
  async dial(targets: readonly DialTarget[], options: DialOptions = {}): Promise<DialResult> {
    const routes: RouteResult[] = [];
    for (const target of targets) routes.push(await this.route(target, options));
    return this.dialRouted(routes, options);
  }

  /** Routes a target as dial() does: with the dial's caller ID and its permission to use trunks. */
  route(target: DialTarget, options: DialOptions = {}): Promise<RouteResult> {
    const from = this.#callerId(options);
    return this.#context.router.route(target, from, {
      mayUseTrunks: options.viaTrunks === true,
      number: options.callerId?.external ?? options.callerId?.number ?? callerNumber(from),
      ...(options.callerId?.name ? { name: options.callerId.name } : {}),
    });
  }

  /** dial() for targets already routed (call control routes first, to check the callee is free). */
  async dialRouted(routes: readonly RouteResult[], options: DialOptions = {}): Promise<DialResult> {
    const outbound: OutboundTarget[] = [];
    let routeFailure: HangupCause | undefined;
    for (const route of routes) {
      if (route.kind === "failed") routeFailure ??= route.cause;
      else
        outbound.push(
          ...route.targets.map((t) => ({
            ...t,
            headers: [...(t.headers ?? []), ...dialHeaders(options, t.device ?? {})],
          })),
        );
    }
    if (outbound.length === 0) return { failed: routeFailure ?? "NO_ROUTE_DESTINATION" };
    const legs: OutboundLeg[] = [];
    const source = options.relayVideoOf ? this.#legs.get(options.relayVideoOf.id) : undefined;
    const video = source instanceof InboundLeg ? source.offeredVideo : undefined;
    for (const target of outbound) {
      try {
        const leg = await OutboundLeg.place(this.#context.stack, target, {
          callId: this.id,
          engine: this.#context.engine,
          logger: this.#context.logger,
          clock: this.#context.clock,
          sessionTimer: this.#context.sessionTimer,
          ...(video ? { video } : {}),
        });
        this.adopt(leg);
        legs.push(leg);
      } catch (error) {
        this.logger.warn({ err: error }, "could not place an outbound leg");
      }
    }
    if (legs.length === 0) return { failed: "NORMAL_TEMPORARY_FAILURE" };
    return new Promise<DialResult>((resolve) => {
      let settled = false;
      const timeout = this.#context.clock.setTimer(
        (options.timeout ?? this.#context.noAnswerTimeout) * 1000,
        () => {
          if (settled) return;
          settled = true;
          for (const leg of legs) leg.hangup("NO_ANSWER");
          resolve({ failed: "NO_ANSWER" });
        },
      );
      const requester = options.onBehalfOf ? this.#legs.get(options.onBehalfOf.id) : undefined;
      const abandon = () => {
        if (settled) return;
        settled = true;
        timeout.cancel();
        for (const leg of legs) leg.hangup("ORIGINATOR_CANCEL");
        resolve({ failed: "ORIGINATOR_CANCEL" });
      };
      if (requester?.ended) abandon();
      requester?.on("hungup", abandon);
      for (const leg of legs) {
        leg.on("ringing", () => options.onProgress?.(leg, "ringing"));
        leg.on("earlymedia", () => options.onProgress?.(leg, "earlymedia"));
        leg.on("answered", () => {
          if (settled) return;
          settled = true;
          timeout.cancel();
          for (const other of legs) if (other !== leg) other.hangup("NORMAL_CLEARING");
          resolve({ answered: leg });
        });
        leg.on("hungup", () => {
          if (settled || !legs.every((l) => l.ended)) return;
          settled = true;
          timeout.cancel();
          const best = legs
            .map((l) => l.end as LegEnd)
            .sort((a, b) => failureRank(a) - failureRank(b))[0] as LegEnd;
          resolve({
            failed: best.cause,
            ...(best.sipStatus === undefined ? {} : { sipStatus: best.sipStatus }),
          });
        });
      }
    });
  }

  connect(parties: ConnectedParties, info: ConnectedCallInfo): Promise<void> {
    return this.#context.connectParties(this, parties, info, () =>
      this.bridge(parties.caller, parties.callee),
    );
  }

  bridge(a: CallParty, b: CallParty, options: { keepOther?: boolean } = {}): Pairing {
    const pairing = new Pairing(this.#pairingHost(), this.#leg(a), this.#leg(b), options);
    this.#pairings.add(pairing);
    return pairing;
  }

  #pairingHost(): PairingHost {
    return {
      engine: this.#context.engine,
      play: (leg, items, loop) => void this.play(leg, items, { loop }),
      stopPlayback: (leg) => this.stopPlayback(leg),
      transfer: (transferor, transferee, request, pairing) =>
        void this.#blindTransfer(transferor, transferee, request, pairing),
    };
  }

  /**
   * A blind transfer (RFC 3515, RFC 5589 §6): the transferee hears ring-back while Parley dials
   * the target; on answer they are connected and the transferor, told "200 OK" by NOTIFY, is
   * hung up; on failure the transferor hears of it, and the transferee goes back to the
   * transferor if it is still there, else is hung up.
   */
  async #blindTransfer(
    transferor: Leg,
    transferee: Leg,
    request: TransferRequest,
    pairing: Pairing,
  ): Promise<void> {
    if (request.replaces) {
      this.#attendedTransfer(transferor, transferee, request, pairing);
      return;
    }
    pairing.close();
    request.progress(100, "Trying", false);
    this.logger.info(
      { transferor: transferor.id, transferee: transferee.id, target: request.target },
      "blind transfer",
    );
    void this.play(transferee, [{ kind: "tone", tone: "ringback" }], { loop: true });
    const target = dialTarget(request.target);
    const result = await this.dial([target]);
    if (transferee.ended) {
      if ("answered" in result) this.hangup(result.answered, "NORMAL_CLEARING");
      request.progress(487, "Request Terminated", true);
      return;
    }
    if ("answered" in result) {
      this.bridge(transferee, result.answered);
      request.progress(200, "OK", true);
      transferor.hangup("NORMAL_CLEARING");
      return;
    }
    request.progress(statusForCause(result.failed), result.failed, true);
    if (!transferor.ended) this.bridge(transferor, transferee);
    else transferee.hangup(result.failed);
  }

  /**
   * Attended transfer (RFC 5589 §7): the transferor talked to the target in another call and
   * REFERs its partner here with Replaces naming that other dialog. Parley connects the transferee
   * straight to the target's partner leg (no new INVITE is needed: both are anchored here) and
   * hangs up both of the transferor's legs.
   */
  #attendedTransfer(transferor: Leg, transferee: Leg, request: TransferRequest, pairing: Pairing): void {
    const replaces = request.replaces;
    const found = replaces ? this.#context.findDialog(replaces) : undefined;
    const target = found?.call.releasePartner(found.leg);
    if (!found || !target || target.ended || !target.media) {
      this.logger.info({ replaces }, "attended transfer: the dialog to replace is not here");
      request.progress(481, "Call/Transaction Does Not Exist", true);
      return;
    }
    pairing.close();
    this.logger.info(
      { transferee: transferee.id, target: target.id, otherCall: found.call.id },
      "attended transfer",
    );
    const joined = new Pairing(this.#pairingHost(), transferee, target);
    this.#pairings.add(joined);
    request.progress(200, "OK", true);
    transferor.hangup("NORMAL_CLEARING");
    found.leg.hangup("NORMAL_CLEARING");
  }

  /**
   * Unpairs `leg` from its partner in this call and returns the partner, which stays up (an
   * attended transfer takes it into another call's pairing).
   */
  releasePartner(leg: Leg): Leg | undefined {
    for (const pairing of this.#pairings) {
      if (pairing.closed || (pairing.a !== leg && pairing.b !== leg)) continue;
      pairing.close();
      this.#pairings.delete(pairing);
      return pairing.a === leg ? pairing.b : pairing.a;
    }
    return undefined;
  }

  async transfer(party: CallParty, target: DialTarget, options: DialOptions = {}): Promise<DialResult> {
    const leg = this.#leg(party);
    for (const pairing of this.#pairings) if (pairing.a === leg || pairing.b === leg) pairing.close();
    void this.play(leg, [{ kind: "tone", tone: "ringback" }], { loop: true });
    const result = await this.dial([target], options);
    if (leg.ended) {
      if ("answered" in result) this.hangup(result.answered, "NORMAL_CLEARING");
      return result;
    }
    this.stopPlayback(leg);
    if ("answered" in result) this.bridge(leg, result.answered);
    return result;
  }

  conference(name: string): ConferenceRoom {
    const rooms = this.#context.conferences;
    return {
      name,
      get size() {
        return rooms.size(name);
      },
      get members() {
        return rooms.members(name);
      },
      join: (party, options = {}) => {
        const leg = this.#leg(party);
        for (const pairing of this.#pairings) if (pairing.a === leg || pairing.b === leg) pairing.close();
        this.stopPlayback(leg);
        rooms.join(name, leg, options);
      },
      leave: (party) => rooms.leave(name, this.#leg(party)),
      mute: (party, muted) => rooms.mute(name, this.#leg(party), muted),
    };
  }

  /**
   * Relays video between two parties that both negotiated it (pass-through, never decoded); the
   * relay ends with either party. Returns whether there was video to relay.
   */
  relayVideo(a: CallParty, b: CallParty): boolean {
    const legA = this.#leg(a);
    const legB = this.#leg(b);
    if (!legA.video || !legB.video) return false;
    const relay = this.#context.engine.videoRelay(legA.video, legB.video);
    const stop = () => relay.close();
    legA.on("hungup", stop);
    legB.on("hungup", stop);
    this.logger.info({ a: legA.id, b: legB.id }, "relaying video");
    return true;
  }

  record(a: CallParty, b: CallParty, path: string): Recorder {
    const left = this.#leg(a).media;
    const right = this.#leg(b).media;
    if (!left || !right) throw new Error("record() needs both parties' media");
    const recorder = this.#context.engine.record({ path, left, right });
    this.#recorders.add(recorder);
    return recorder;
  }

  recordConference(party: CallParty, room: string, path: string): CallRecording {
    const recorder = this.#context.conferences.record(room, this.#leg(party), path);
    if (!recorder) throw new Error(`no conference ${room} to record`);
    this.#recorders.add(recorder);
    return recorder;
  }

  async joinConference(party: CallParty, room: string, info: ConnectedCallInfo): Promise<void> {
    this.conference(room).join(party);
    await this.#context.conferenced(this, { name: room, party }, info);
  }

  recordMessage(party: CallParty, options: MessageRecordingOptions): Promise<MessageRecording> {
    return recordMessage(
      this.#context.engine,
      this.#leg(party),
      { ...options, clock: this.#context.clock },
      (r) => {
        this.#recorders.add(r);
        return () => this.#recorders.delete(r);
      },
    );
  }

  detectAnsweringMachine(party: CallParty, options: Partial<AmdOptions> = {}): Promise<AmdVerdict> {
    return detectAnsweringMachine(this.#leg(party), { ...options, clock: this.#context.clock });
  }

  preempt(
    user: { extension: string; domain?: string },
    options: { announcement?: CallPlayItem[] } = {},
  ): Promise<PreemptionResult> {
    const aor = `sip:${user.extension}@${user.domain ?? this.#context.router.defaultDomain}`;
    return this.#context.preempt(aor, this, options.announcement ?? []);
  }

  hangup(party?: CallParty, cause: HangupCause = "NORMAL_CLEARING"): void {
    if (party) {
      this.#leg(party).hangup(cause);
      return;
    }
    for (const leg of this.parties) leg.hangup(cause);
  }

  /** Why the call failed when it never had a leg (nothing to dial, every route failed). */
  failure: HangupCause | undefined;

  /** Ends a call that has no legs (a dial that reached nobody), so its records close. */
  abandon(cause: HangupCause): void {
    if (this.parties.length > 0 || this.#ended) return;
    this.failure = cause;
    this.#finish();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const pairing of this.#pairings) pairing.close();
    for (const recorder of this.#recorders) recorder.close();
    for (const player of this.#players.values()) player.close();
    this.#players.clear();
    this.logger.info("call ended");
    this.safeEmit("ended");
  }

  #prompt(name: string): PlayItem {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`bad prompt name ${JSON.stringify(name)}`);
    return { kind: "file", path: join(this.#context.promptsDir, `${name}.wav`) };
  }

  #leg(party: CallParty): Leg {
    const leg = this.#legs.get(party.id);
    if (!leg) throw new Error(`party ${party.id} is not in call ${this.id}`);
    return leg;
  }

  #inbound(party: CallParty): InboundLeg | undefined {
    const leg = this.#leg(party);
    return leg instanceof InboundLeg ? leg : undefined;
  }

  #callerId(options: DialOptions): NameAddr {
    const from = this.from.clone();
    from.tag = undefined;
    if (options.callerId) {
      from.displayName = options.callerId.name ?? from.displayName;
      const uri = from.uri;
      if ("user" in uri && uri.kind === "sip") uri.user = options.callerId.number;
    }
    return from;
  }
}

/** The number in a From URI's user part ("1001" for sip:1001@example.com). */
function callerNumber(from: NameAddr): string {
  const uri = from.uri;
  return uri instanceof SipUri ? (uri.user ?? "anonymous") : "anonymous";
}
