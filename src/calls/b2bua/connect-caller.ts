import { type HangupCause, statusForCause } from "../legs/hangup-cause.ts";
import type { InboundLeg } from "../legs/inbound-leg.ts";
import { OutboundLeg } from "../legs/outbound-leg.ts";
import type {
  BasicCallOutcome,
  CallParty,
  CallPlayItem,
  ConnectedCallInfo,
  ConnectedParties,
  DialTarget,
  PartyIdentity,
  UnansweredReason,
} from "../service-api/call-session.ts";
import type { Call } from "./call.ts";
import type { Pairing } from "./pairing.ts";

/**
 * The basic call between users (the service that runs when no other claims a call): ring the
 * callee's phones, relay 180 and early media to the caller, answer the caller when the callee
 * answers and bridge them; refuse with the callee's cause (busy 486, no answer 480, not
 * registered 480, unknown 404) otherwise.
 */
export async function connectCaller(
  call: Call,
  caller: InboundLeg,
  target: DialTarget,
  hooks: {
    isBusy(aor: string): Promise<boolean>;
    /** Whether the caller may reach trunks (an authenticated user: yes; a trunk: no). */
    viaTrunks: boolean;
    /** The caller's own caller ID from their profile. */
    callerId?: { number: string; name?: string; external?: string };
    /** Alert-Info for the callee's phones (calls.normal_alert_info). */
    alertInfo?: string;
    /** Services' look-ups once the call is routed (run while the phones ring). */
    routed?(info: ConnectedCallInfo): Promise<void>;
    /** Services' ring-back for this call (early media), if any. */
    ringback?(info: ConnectedCallInfo): Promise<CallPlayItem[] | undefined>;
    /** Services' steps once both answered: before and after the bridge. */
    beforeBridge?(parties: ConnectedParties, info: ConnectedCallInfo): Promise<void>;
    bridged?(parties: ConnectedParties, info: ConnectedCallInfo): Promise<void>;
    /** Tells services how a call to a user came out (once). */
    outcome?(info: ConnectedCallInfo & { callee: PartyIdentity }, outcome: BasicCallOutcome): void;
    /** Services' offer to take a call the callee will not answer (voicemail); true when one did. */
    unanswered?(
      info: ConnectedCallInfo,
      callee: PartyIdentity,
      reason: UnansweredReason,
      cause: HangupCause,
    ): Promise<boolean>;
    /** Who the call is from, for services. */
    info: Omit<ConnectedCallInfo, "callee">;
  },
): Promise<void> {
  const dialOptions = {
    onBehalfOf: caller,
    relayVideoOf: caller,
    viaTrunks: hooks.viaTrunks,
    ...(hooks.callerId ? { callerId: hooks.callerId } : {}),
    ...(hooks.alertInfo ? { alertInfo: hooks.alertInfo } : {}),
  };
  // Routed once: the route both tells whether the callee is free and is what gets dialled.
  const route = await call.route(target, dialOptions);
  // A call a user will not answer may be taken by a service (voicemail) instead of refused.
  const report = (
    subscriber: { extension: string; domain: string; features: PartyIdentity["features"] },
    outcome: BasicCallOutcome,
  ) =>
    hooks.outcome?.(
      {
        ...hooks.info,
        callee: { extension: subscriber.extension, domain: subscriber.domain, features: subscriber.features },
      },
      outcome,
    );
  const divert = async (
    subscriber: { extension: string; domain: string; features: PartyIdentity["features"] },
    reason: UnansweredReason,
    cause: HangupCause,
  ): Promise<boolean> =>
    // "unconditional" is asked of every call before it rings: reported only when taken.
    (reason === "unconditional" || report(subscriber, reason) === undefined) &&
    !caller.ended &&
    hooks.unanswered !== undefined &&
    (await hooks.unanswered(
      {
        ...hooks.info,
        callee: { extension: subscriber.extension, domain: subscriber.domain, features: subscriber.features },
      },
      { extension: subscriber.extension, domain: subscriber.domain, features: subscriber.features },
      reason,
      cause,
    ));
  if (route.kind === "failed") {
    if (route.subscriber && (await divert(route.subscriber, "unregistered", route.cause))) return;
    caller.hangup(route.cause);
    return;
  }
  if (route.kind === "user" && (await divert(route.subscriber, "unconditional", "NORMAL_CLEARING"))) {
    report(route.subscriber, "unconditional");
    return;
  }
  if (
    route.kind === "user" &&
    (await hooks.isBusy(`sip:${route.subscriber.extension}@${route.subscriber.domain}`))
  ) {
    if (await divert(route.subscriber, "busy", "USER_BUSY")) return;
    caller.hangup("USER_BUSY");
    return;
  }
  const info: ConnectedCallInfo = {
    ...hooks.info,
    ...(route.kind === "user"
      ? {
          callee: {
            extension: route.subscriber.extension,
            domain: route.subscriber.domain,
            features: route.subscriber.features,
          },
        }
      : {}),
    ...(route.kind === "trunk" ? { trunk: route.trunk.name } : {}),
  };
  const routed = hooks.routed?.(info);
  const ringback = await hooks.ringback?.(info);
  let ringbackPlaying = false;
  let earlyBridged: { party: CallParty; pairing: Pairing } | undefined;
  const result = await call.dialRouted([route], {
    ...dialOptions,
    onProgress: (party, kind) => {
      if (caller.ended) return;
      if (ringback) {
        // A personal ring-back tone replaces whatever the phones would have sent (183 + RTP).
        if (!ringbackPlaying) {
          ringbackPlaying = true;
          caller.earlyMedia();
          void call.play(caller, ringback, { loop: true });
        }
        return;
      }
      if (kind === "ringing" && caller.state === "Trying") caller.ring();
      if (kind === "earlymedia" && !earlyBridged) {
        // The callee's early media (its ring-back, an announcement) goes to the caller as 183.
        caller.earlyMedia();
        earlyBridged = { party, pairing: call.bridge(caller, party, { keepOther: true }) };
      }
    },
  });
  if (caller.ended) {
    if (route.kind === "user") report(route.subscriber, "cancelled");
    if ("answered" in result) call.hangup(result.answered, "NORMAL_CLEARING");
    return;
  }
  if ("failed" in result) {
    if (ringbackPlaying) call.stopPlayback(caller);
    earlyBridged?.pairing.close();
    if (
      route.kind === "user" &&
      (await divert(route.subscriber, unansweredReason(result.failed), result.failed))
    )
      return;
    caller.hangup(result.failed, relayedStatus(result.sipStatus) ?? statusForCause(result.failed));
    return;
  }
  await routed;
  if (ringbackPlaying) call.stopPlayback(caller);
  // Video pass-through: when the callee accepted the caller's video, answer it with the same formats.
  const answeredLeg = call.leg(result.answered.id);
  const calleeVideo = answeredLeg instanceof OutboundLeg ? answeredLeg.videoAnswer : undefined;
  if (calleeVideo) await caller.acceptVideo(calleeVideo);
  if (caller.ended) {
    call.hangup(result.answered, "NORMAL_CLEARING");
    return;
  }
  caller.answer();
  if (route.kind === "user") report(route.subscriber, "answered");
  const parties = { caller, callee: result.answered };
  if (earlyBridged?.party !== result.answered && hooks.beforeBridge) {
    earlyBridged?.pairing.close();
    earlyBridged = undefined;
    // Until they are bridged, either hanging up ends the other (announcements run here).
    const together = endTogether(call, caller, result.answered);
    await hooks.beforeBridge(parties, info);
    together();
    if (caller.ended || result.answered.state === "Ended") return;
  }
  if (earlyBridged?.party === result.answered) earlyBridged.pairing.keepOther = false;
  else {
    earlyBridged?.pairing.close();
    call.bridge(caller, result.answered);
  }
  call.relayVideo(caller, result.answered);
  await hooks.bridged?.(parties, info);
}

/** What a failed dial to a user's phones means for services that take unanswered calls. */
function unansweredReason(cause: HangupCause): UnansweredReason {
  if (cause === "USER_BUSY") return "busy";
  if (cause === "NO_ANSWER" || cause === "NO_USER_RESPONSE" || cause === "RECOVERY_ON_TIMER_EXPIRE")
    return "no-answer";
  if (cause === "SUBSCRIBER_ABSENT") return "unregistered";
  return "unavailable";
}

/** Links two unbridged parties' ends; returns the undo. */
function endTogether(call: Call, a: CallParty, b: CallParty): () => void {
  const legA = call.leg(a.id);
  const legB = call.leg(b.id);
  const hangA = () => legA?.hangup("NORMAL_CLEARING");
  const hangB = () => legB?.hangup("NORMAL_CLEARING");
  legA?.on("hungup", hangB);
  legB?.on("hungup", hangA);
  return () => {
    legA?.off("hungup", hangB);
    legB?.off("hungup", hangA);
  };
}

/**
 * The callee's own final status, passed on to the caller as a B2BUA does, except where it only
 * makes sense on the callee's leg: a challenge (401, 407) the caller cannot answer, a timeout or
 * cancel of Parley's own making (408, 487), and 2xx/3xx (redirects are not followed yet).
 */
function relayedStatus(status: number | undefined): number | undefined {
  if (status === undefined || status < 400 || [401, 407, 408, 487].includes(status)) return undefined;
  return status;
}
