import { Counter, Gauge } from "prom-client";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { Registry } from "../../kernel/metrics.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import type { MediaEngine } from "../../media/index.ts";
import type { AuthFailureBan } from "../../registrar/index.ts";
import {
  type DigestChallenger,
  type IncomingInvite,
  NameAddr,
  type SipStack,
  SipUri,
} from "../../sip/index.ts";
import type { CdrStore } from "../cdr/call-detail-record.ts";
import { CdrWriter, dispositionFor } from "../cdr/cdr-writer.ts";
import type { HangupCause } from "../legs/hangup-cause.ts";
import { InboundLeg } from "../legs/inbound-leg.ts";
import type { Leg } from "../legs/leg.ts";
import { type CallRouter, dialTarget, type Subscriber } from "../routing/call-router.ts";
import type {
  CallParty,
  CallPlayItem,
  DialResult,
  DialTarget,
  FeatureCode,
  InboundCallInfo,
  PreemptionResult,
  ServiceModule,
} from "../service-api/call-session.ts";
import { Call } from "./call.ts";
import { CallJournal } from "./call-journal.ts";
import type { CallPresence, NodeReply, NodeRequest } from "./call-presence.ts";
import { ConferenceRooms } from "./conference-rooms.ts";
import { connectCaller } from "./connect-caller.ts";
import { watchFeatureCodes } from "./feature-codes.ts";
import { preemptElsewhere, preemptLeg } from "./preemption.ts";

export interface CallControlOptions {
  stack: SipStack;
  engine: MediaEngine;
  router: CallRouter;
  /** Checks the digest credentials of INVITEs from users (407 challenges). */
  challenger: DigestChallenger;
  ban?: AuthFailureBan;
  clock: Clock;
  logger: Logger;
  /** Seconds a callee rings before NO_ANSWER (calls.no_answer_timeout). */
  noAnswerTimeout: number;
  /** Whether a user already in a call gets a second one (calls.call_waiting); off means 486. */
  callWaiting: boolean;
  cdrs?: CdrStore;
  /** Where prompts are (media.prompts_dir, or the bundled ones). */
  promptsDir: string;
  /** calls.session_timer: RFC 4028 interval Parley asks for, seconds (0: only when a peer asks). */
  sessionTimer?: number;
  /** Prometheus registry for the call counters. */
  metrics?: Registry;
  /** Feature code overrides by name (calls.feature_codes), e.g. { "record-toggle": "*9" }. */
  featureCodes?: Readonly<Record<string, string>>;
  /** Alert-Info on INVITEs of ordinary calls between users (calls.normal_alert_info); none when empty. */
  normalAlertInfo?: string;
  /** In a cluster: users' calls on the other nodes, for busy checks and preemption there. */
  presence?: CallPresence;
}

export interface CallControlEvents extends Record<string, unknown[]> {
  call: [Call];
}

/** What `originate` runs once the first party answers. */
export type OriginateApp = (call: Call, party: CallParty) => void | Promise<void>;

/**
 * Call control's root: takes every new INVITE through the inbound steps (authenticate the caller,
 * find what was dialled, check the callee is free, dispatch), places calls for the API and
 * services (`originate`), and keeps the calls in progress for busy checks, the API and CDRs.
 */
export class CallControl extends TypedEmitter<CallControlEvents> {
  readonly #o: CallControlOptions;
  readonly #calls = new Map<string, Call>();
  /** Users (AOR) → their legs in calls in progress (leg id → call id), for busy detection and preemption. */
  readonly #busy = new Map<string, Map<string, string>>();
  readonly #services: ServiceModule[] = [];
  readonly #callsTotal: Counter<"kind" | "disposition">;
  readonly #legsTotal: Counter<"direction" | "cause">;
  /** DTMF sequence → the feature it runs. */
  readonly #features = new Map<string, FeatureCode>();
  readonly cdrs: CdrWriter | undefined;
  /** Status and progress of recent calls, for the API. */
  readonly journal: CallJournal;
  /** The node's named conferences. */
  readonly conferences: ConferenceRooms;

  constructor(options: CallControlOptions) {
    super();
    this.#o = options;
    const registers = options.metrics ? [options.metrics] : [];
    this.#callsTotal = new Counter({
      name: "parley_calls_total",
      help: "Calls that ended, by kind (inbound, originate) and disposition (answered, busy, no-answer …).",
      labelNames: ["kind", "disposition"],
      registers,
    });
    this.#legsTotal = new Counter({
      name: "parley_call_legs_total",
      help: "Call legs that ended, by direction and hangup cause (Q.850 name).",
      labelNames: ["direction", "cause"],
      registers,
    });
    const calls = this.#calls;
    new Gauge({
      name: "parley_calls_active",
      help: "Calls in progress on this node.",
      registers,
      collect() {
        this.set(calls.size);
      },
    });
    this.journal = new CallJournal({
      clock: options.clock,
      ...(options.presence ? { node: options.presence.nodeId } : {}),
    });
    this.conferences = new ConferenceRooms({ engine: options.engine, logger: options.logger });
    this.cdrs = options.cdrs
      ? new CdrWriter({
          store: options.cdrs,
          clock: options.clock,
          logger: options.logger,
          ...(options.presence ? { node: options.presence.nodeId } : {}),
        })
      : undefined;
  }

  /**
   * Adds a service. Services are asked in registration order whether they claim an inbound call;
   * one whose dependencies are not registered yet is refused (register dependencies first).
   */
  register(service: ServiceModule): void {
    const missing = (service.dependencies ?? []).filter((d) => !this.#services.some((s) => s.name === d));
    if (missing.length > 0)
      throw new Error(`service ${service.name} needs ${missing.join(", ")}, which is not registered`);
    if (this.#services.some((s) => s.name === service.name))
      throw new Error(`service ${service.name} is registered twice`);
    for (const feature of service.featureCodes ?? []) {
      const code = this.#o.featureCodes?.[feature.name] ?? feature.code;
      const taken = this.#features.get(code);
      if (taken) throw new Error(`feature code ${code} of ${feature.name} is already ${taken.name}'s`);
      this.#features.set(code, feature);
    }
    this.#services.push(service);
  }

  get services(): readonly string[] {
    return this.#services.map((s) => s.name);
  }

  /** Starts taking INVITEs (and other nodes' requests about calls here). */
  start(): void {
    this.#o.presence?.onRequest((request) => this.#answerNode(request));
    this.#o.stack.onInvite((invite) => {
      this.#inbound(invite).catch((error: unknown) => {
        this.#o.logger.error({ err: error, sipCallId: invite.callId }, "inbound call failed");
        invite.reject(500);
      });
    });
  }

  get calls(): readonly Call[] {
    return [...this.#calls.values()];
  }

  call(id: string): Call | undefined {
    return this.#calls.get(id);
  }

  /** Hangs up every call (shutdown) and waits for the CDR writes. */
  async stop(): Promise<void> {
    for (const call of this.#calls.values()) call.hangup(undefined, "NORMAL_CLEARING");
    await this.cdrs?.drain();
  }

  /**
   * Places a call from the server (API, callback, click-to-call): dials `target` showing
   * `callerId`, and runs `app` on the answered party. Returns the call at once; its events tell
   * the rest.
   */
  originate(
    target: DialTarget,
    options: {
      callerId?: { number: string; name?: string };
      app: OriginateApp;
      service?: string;
      timeout?: number;
      /** Told when nobody answered (busy, no answer, unreachable): the call then ends with that cause. */
      onFailed?: (cause: HangupCause, sipStatus?: number) => void;
    },
  ): Call {
    const number = options.callerId?.number ?? "parley";
    const from = new NameAddr(
      new SipUri({ user: number, host: this.#o.router.defaultDomain }),
      options.callerId?.name ? { displayName: options.callerId.name } : {},
    );
    const call = this.#newCall(
      { kind: "originate", from, dialled: target.kind === "user" ? target.extension : target.number },
      undefined,
    );
    call.service = options.service ?? "originate";
    void call
      .dial([target], {
        viaTrunks: true,
        ...(options.callerId ? { callerId: options.callerId } : {}),
        ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      })
      .then(async (result: DialResult) => {
        if ("failed" in result) {
          call.abandon(result.failed);
          options.onFailed?.(result.failed, result.sipStatus);
          return;
        }
        await options.app(call, result.answered);
      })
      .catch((error: unknown) => {
        // A failing service app must not take the node down (an unhandled rejection).
        call.logger.error({ err: error, service: call.service }, "originated call's service failed");
        call.hangup(undefined, "NORMAL_TEMPORARY_FAILURE");
      });
    return call;
  }

  /**
   * Hangs up a call wherever it runs: here, or (in a cluster) on the node the journal says runs
   * it. False when no node has it.
   */
  async hangupAnywhere(callId: string): Promise<boolean> {
    const local = this.#calls.get(callId);
    if (local) {
      local.hangup(undefined, "NORMAL_CLEARING");
      return true;
    }
    const node = this.journal.get(callId)?.node;
    const presence = this.#o.presence;
    if (!node || !presence || node === presence.nodeId) return false;
    const reply = await presence
      .request(node, { kind: "hangup", callId })
      .catch(() => ({ kind: "gone" }) as const);
    return reply.kind === "hungup";
  }

  /** Whether `aor` is a party of a call in progress on this node. */
  isBusy(aor: string): boolean {
    return (this.#busy.get(aor)?.size ?? 0) > 0;
  }

  /** Whether `aor` is a party of a call in progress on this node or, in a cluster, on another. */
  async isBusyAnywhere(aor: string): Promise<boolean> {
    if (this.isBusy(aor)) return true;
    const elsewhere = await this.#o.presence?.elsewhere(aor).catch((error: unknown) => {
      this.#o.logger.warn(
        { err: error, aor },
        "cluster presence not reachable: only this node's calls count",
      );
      return [];
    });
    return (elsewhere?.length ?? 0) > 0;
  }

  /**
   * RFC 4411 preemption for `by`: every call `aor` is a party of whose priority is lower than
   * `by`'s loses the user's leg (BYE with the preemption Reason) and its other parties hear
   * `announcement` before their BYE. Calls of equal or higher priority are left alone and counted
   * as `blocked`.
   */
  async preempt(aor: string, by: Call, announcement: CallPlayItem[]): Promise<PreemptionResult> {
    const preempted: Array<{ callId: string; others: string[] }> = [];
    let blocked = 0;
    for (const [legId, callId] of [...(this.#busy.get(aor) ?? [])]) {
      const call = this.#calls.get(callId);
      const leg = call?.leg(legId);
      if (!call || !leg || leg.ended || call === by) continue;
      if (call.priority >= by.priority) {
        blocked++;
        continue;
      }
      by.logger.info({ preemptedCall: call.id, legId, aor }, "preempting a call of lower priority");
      preempted.push({ callId: call.id, others: this.#preemptHere(call, leg, announcement) });
    }
    if (this.#o.presence) {
      const remote = await preemptElsewhere(this.#o.presence, aor, by, announcement);
      preempted.push(...remote.preempted);
      blocked += remote.blocked;
    }
    return { preempted, blocked };
  }

  /** Another node asks about a call here (preempt a user's leg for its call of higher priority). */
  async #answerNode(request: NodeRequest): Promise<NodeReply> {
    if (request.kind === "hangup") {
      const call = this.#calls.get(request.callId);
      if (!call) return { kind: "gone" };
      call.hangup(undefined, "NORMAL_CLEARING");
      return { kind: "hungup", callId: call.id };
    }
    const call = this.#calls.get(request.callId);
    const leg = call?.leg(request.legId);
    if (!call || !leg || leg.ended) return { kind: "gone" };
    if (call.priority >= request.priority) return { kind: "blocked" };
    call.logger.info({ legId: leg.id }, "preempting for a call on another node");
    return { kind: "preempted", callId: call.id, others: this.#preemptHere(call, leg, request.announcement) };
  }

  /** Preempts `leg` of a call on this node; returns the other parties cut off, as users' AORs where they are users. */
  #preemptHere(call: Call, leg: Leg, announcement: CallPlayItem[]): string[] {
    // Named before their legs end (an ended leg is no longer a user's).
    const users = new Map(call.parties.map((party) => [party.id, this.#aorOf(party.id)]));
    const others = preemptLeg(call, leg, announcement, this.conferences);
    return others.map((other) => users.get(other.id) ?? other.uri);
  }

  // ---- inbound steps -------------------------------------------------------------------------

  /**
   * The inbound steps: identify (a trunk by its address, else a user by digest), create the call
   * and its leg, then connect to what was dialled. Calls from trunks may reach users only.
   */
  async #inbound(invite: IncomingInvite): Promise<void> {
    const trunk = this.#o.router.trunkAt(invite.source.address);
    const caller = trunk ? undefined : await this.#authenticate(invite);
    if (!trunk && !caller) return;
    const dialled = this.#dialled(invite);
    const call = this.#newCall(
      { kind: "inbound", from: invite.request.from, dialled },
      trunk ? `trunk:${trunk.name}` : caller,
    );
    const leg = await InboundLeg.accept(invite, {
      callId: call.id,
      engine: this.#o.engine,
      logger: this.#o.logger,
      clock: this.#o.clock,
      sessionTimer: this.#o.sessionTimer ?? 0,
    });
    if (!leg) {
      call.abandon("INCOMPATIBLE_DESTINATION");
      return;
    }
    call.adopt(leg);
    if (caller) this.#addBusy(caller, call, leg);
    const user = await this.#callerRecord(caller);
    const info: InboundCallInfo = {
      dialled,
      ...(user
        ? { caller: { extension: user.extension, domain: user.domain, features: user.features } }
        : {}),
      ...(trunk ? { trunk: trunk.name } : {}),
    };
    for (const service of this.#services) {
      if (!service.handle || !(await service.claims?.(info))) continue;
      call.service = service.name;
      call.logger.info({ service: service.name }, "service took the call");
      await service.handle(call, leg, info);
      return;
    }
    const profile = user ? this.#profile(user) : undefined;
    await connectCaller(call, leg, dialTarget(dialled), {
      isBusy: async (aor) => !this.#o.callWaiting && (await this.isBusyAnywhere(aor)),
      viaTrunks: caller !== undefined,
      ...(this.#o.normalAlertInfo ? { alertInfo: this.#o.normalAlertInfo } : {}),
      ...(profile ? { callerId: profile } : {}),
      info: {
        dialled,
        ...(info.caller ? { caller: info.caller } : {}),
        ...(info.trunk ? { trunk: info.trunk } : {}),
        presented: presentedCaller(call.from),
      },
      routed: async (connected) => {
        for (const service of this.#services) {
          await Promise.resolve(service.routed?.(call, connected)).catch((error: unknown) =>
            call.logger.error({ err: error, service: service.name }, "service failed on a routed call"),
          );
        }
      },
      ringback: async (connected) => {
        for (const service of this.#services) {
          const items = await service.ringback?.(connected);
          if (items) return items;
        }
        return undefined;
      },
      beforeBridge: async (parties, connected) => {
        for (const service of this.#services) await service.beforeBridge?.(call, parties, connected);
      },
      outcome: (connected, outcome) => {
        for (const service of this.#services) {
          try {
            service.basicCallOutcome?.(connected, outcome);
          } catch (error) {
            call.logger.error({ err: error, service: service.name }, "service failed on a call outcome");
          }
        }
      },
      unanswered: async (connected, callee, reason, cause) => {
        for (const service of this.#services) {
          if (!service.unanswered) continue;
          // A service that takes the call runs it to its end: the call (and its CDR) is the
          // service's from the start, and goes back to "basic" if it declines.
          const previous = call.service;
          call.service = service.name;
          const took = await Promise.resolve(
            service.unanswered(call, leg, { ...connected, callee, reason, cause }),
          ).catch((error: unknown) => {
            call.logger.error({ err: error, service: service.name }, "service failed on an unanswered call");
            return false;
          });
          if (took) return true;
          call.service = previous;
        }
        return false;
      },
      bridged: async (parties, connected) => {
        for (const service of this.#services) {
          await Promise.resolve(service.bridged?.(call, parties, connected)).catch((error: unknown) =>
            call.logger.error({ err: error, service: service.name }, "service failed on a bridged call"),
          );
        }
      },
    });
  }

  /** The authenticated caller's subscriber record (one look-up serves the services' info and the caller ID). */
  async #callerRecord(aor: string | undefined): Promise<Subscriber | undefined> {
    const match = aor ? /^sip:([^@]+)@(.+)$/.exec(aor) : null;
    return match ? this.#o.router.subscribers.byExtension(match[1] as string, match[2] as string) : undefined;
  }

  /** The caller ID of a user from their profile: extension and display name, and their first phone number for trunks. */
  #profile(user: Subscriber): { number: string; name?: string; external?: string } {
    return {
      number: user.extension,
      ...(user.displayName ? { name: user.displayName } : {}),
      ...(user.phoneNumbers[0] ? { external: user.phoneNumbers[0] } : {}),
    };
  }

  /**
   * RFC 3261 §22.3: a proxy-style challenge (407 with Proxy-Authenticate) for INVITEs from users;
   * the caller is the authenticated user (its AOR), whatever the From header says.
   */
  async #authenticate(invite: IncomingInvite): Promise<string | undefined> {
    const request = invite.request;
    const fromUri = request.from.uri;
    const realm = fromUri instanceof SipUri ? fromUri.host.toLowerCase() : this.#o.router.defaultDomain;
    const domain =
      realm === this.#o.router.defaultDomain || !/[a-z]/i.test(realm) || realm === "localhost"
        ? this.#o.router.defaultDomain
        : realm;
    const verdict = await this.#o.challenger.verify(request, domain, "proxy-authorization");
    if (verdict.kind === "authenticated") {
      this.#o.ban?.recordSuccess(invite.source.address);
      return `sip:${verdict.username}@${domain}`;
    }
    if (verdict.kind === "failed") {
      this.#o.ban?.recordFailure(invite.source.address, verdict.username);
      this.#o.logger.info(
        { sipCallId: invite.callId, reason: verdict.reason },
        "INVITE authentication failed",
      );
      invite.reject(403, { reason: "Forbidden" });
      return undefined;
    }
    invite.reject(407, {
      headers: this.#o.challenger
        .challenge(domain, verdict.stale)
        .map((c) => ["Proxy-Authenticate", c] as [string, string]),
    });
    return undefined;
  }

  #dialled(invite: IncomingInvite): string {
    const uri = invite.request.uri;
    if (uri instanceof SipUri) return decodeURIComponent(uri.user ?? "");
    return "digits" in uri ? String((uri as { digits: string }).digits) : "";
  }

  #newCall(
    init: { kind: "inbound" | "originate"; from: NameAddr; dialled: string },
    caller: string | undefined,
  ): Call {
    const call = new Call(
      {
        stack: this.#o.stack,
        engine: this.#o.engine,
        router: this.#o.router,
        clock: this.#o.clock,
        logger: this.#o.logger,
        noAnswerTimeout: this.#o.noAnswerTimeout,
        promptsDir: this.#o.promptsDir,
        conferences: this.conferences,
        sessionTimer: this.#o.sessionTimer ?? 0,
        findDialog: (dialog) => this.#findDialog(dialog),
        preempt: (aor, by, announcement) => this.preempt(aor, by, announcement),
        conferenced: async (conferencing, room, info) => {
          for (const service of this.#services) {
            await Promise.resolve(service.conferenced?.(conferencing, room, info)).catch((error: unknown) =>
              conferencing.logger.error(
                { err: error, service: service.name },
                "service failed on a conference join",
              ),
            );
          }
        },
        connectParties: async (connecting, parties, info, bridge) => {
          for (const service of this.#services) await service.beforeBridge?.(connecting, parties, info);
          if (parties.caller.state === "Ended" || parties.callee.state === "Ended") return;
          bridge();
          for (const service of this.#services) {
            await Promise.resolve(service.bridged?.(connecting, parties, info)).catch((error: unknown) =>
              connecting.logger.error(
                { err: error, service: service.name },
                "service failed on a bridged call",
              ),
            );
          }
        },
      },
      init,
    );
    this.#calls.set(call.id, call);
    this.cdrs?.follow(call, caller ? { caller } : {});
    this.journal.follow(call);
    watchFeatureCodes(call, this.#features, this.#o.clock);
    // A user whose phone answered a leg of any call is busy until that leg ends.
    call.on("answered", (party) => {
      const leg = call.leg(party.id);
      if (leg?.direction === "outbound") this.#addBusy(leg.addresses.to.replace(/^sips:/, "sip:"), call, leg);
    });
    call.on("hungup", (party, end) => this.#legsTotal.inc({ direction: party.direction, cause: end.cause }));
    call.on("ended", () => {
      const answered = call.parties.some((leg) => leg.session !== undefined);
      const end = call.parties.find((leg) => leg.end)?.end;
      this.#callsTotal.inc({
        kind: call.kind,
        disposition: dispositionFor(end?.cause ?? call.failure ?? "NORMAL_UNSPECIFIED", answered),
      });
      this.#calls.delete(call.id);
    });
    this.safeEmit("call", call);
    return call;
  }

  /** RFC 3891 §3 matching: the Call-ID, and the two tags in either order (each side names them its way). */
  #findDialog(dialog: {
    callId: string;
    toTag: string;
    fromTag: string;
  }): { call: Call; leg: Leg } | undefined {
    for (const call of this.#calls.values()) {
      for (const leg of call.parties) {
        const id = leg.session?.dialog.id;
        if (!id || leg.ended || id.callId !== dialog.callId) continue;
        const tags = new Set([id.localTag, id.remoteTag]);
        if (tags.has(dialog.toTag) && tags.has(dialog.fromTag)) return { call, leg };
      }
    }
    return undefined;
  }

  /** The user a leg belongs to (its AOR), when it is a user's answered or calling leg. */
  #aorOf(legId: string): string | undefined {
    for (const [aor, legs] of this.#busy) if (legs.has(legId)) return aor;
    return undefined;
  }

  #addBusy(aor: string, call: Call, leg: Leg): void {
    const legs = this.#busy.get(aor) ?? new Map<string, string>();
    legs.set(leg.id, call.id);
    this.#busy.set(aor, legs);
    this.#o.presence?.add(aor, { node: this.#o.presence.nodeId, legId: leg.id, callId: call.id });
    leg.once("hungup", () => {
      legs.delete(leg.id);
      if (legs.size === 0 && this.#busy.get(aor) === legs) this.#busy.delete(aor);
      this.#o.presence?.remove(aor, leg.id);
    });
  }
}

/** The caller as From presents it (for callers that are not users: trunks, strangers). */
function presentedCaller(from: NameAddr): { user?: string; name?: string } {
  const user =
    from.uri instanceof SipUri ? from.uri.user : from.uri.kind === "tel" ? from.uri.number : undefined;
  return { ...(user ? { user } : {}), ...(from.displayName ? { name: from.displayName } : {}) };
}
