import { type PendingOffer, type SdpMediaObject, SessionDescription } from "../../media/index.ts";
import type { OutgoingInvite, OutgoingInviteOptions, SipResponse, SipStack } from "../../sip/index.ts";
import type { HangupCause } from "./hangup-cause.ts";
import { Leg, type LegOptions, sdpBody } from "./leg.ts";
import { reasonHeader } from "./reason-header.ts";
import { MIN_SESSION_EXPIRES, parseSessionExpires } from "./session-timer.ts";

/**
 * Where an outbound leg goes, in SIP terms (built by the router from a binding or a trunk), and
 * which phone that is when it is a user's (for per-model ring markings).
 */
export type OutboundTarget = Omit<OutgoingInviteOptions, "body"> & {
  device?: { extension?: string; domain?: string; userAgent?: string };
};

/**
 * A leg Parley places: an INVITE with an offer from a port pair opened for it. 180 → Ringing;
 * 183 or 200 with SDP completes the media (early media flows before the answer); a failure,
 * timeout or our CANCEL ends the leg with the matching cause.
 */
export class OutboundLeg extends Leg {
  readonly direction = "outbound" as const;
  readonly target: OutboundTarget;
  readonly #invite: OutgoingInvite;
  readonly #offer: PendingOffer;

  private constructor(
    invite: OutgoingInvite,
    offer: PendingOffer,
    target: OutboundTarget,
    options: LegOptions,
  ) {
    super({ ...options, sipCallId: invite.callId });
    this.#invite = invite;
    this.#offer = offer;
    this.target = target;
    this.localDescription = offer.offer;
    invite.on("progress", (response) => this.#progress(response));
    invite.on("answered", (session, response) => {
      if (this.ended) return; // OutgoingInvite sends BYE for an answer that crossed our CANCEL
      if (!this.#applyAnswer(response)) {
        void session.bye([["Reason", 'Q.850;cause=88;text="INCOMPATIBLE_DESTINATION"']]);
        this.finish({ cause: "INCOMPATIBLE_DESTINATION", by: "local", sipStatus: 488 });
        return;
      }
      this.attachSession(session);
      // RFC 4028 §7.2: the 2xx says who refreshes; without Session-Expires there is no timer.
      const granted = parseSessionExpires(response);
      if (granted)
        this.startSessionTimer(
          Math.max(MIN_SESSION_EXPIRES, granted.seconds),
          granted.refresher === "uas" ? "remote" : "local",
        );
      this.transition("Answered");
    });
    invite.on("failed", (response) => {
      this.finish(Leg.endFromStatus(response.status, response.headers.values("reason"), "remote"));
    });
  }

  /**
   * Opens the media, sends the INVITE. With `video` (the caller's offered video line), the offer
   * carries the same video formats for pass-through.
   */
  static async place(
    stack: SipStack,
    target: OutboundTarget,
    options: LegOptions & { video?: SdpMediaObject },
  ): Promise<OutboundLeg> {
    const offer = await options.engine.offer(options.video ? { video: options.video } : {});
    const timer: Array<[string, string]> =
      (options.sessionTimer ?? 0) > 0
        ? [
            ["Session-Expires", String(options.sessionTimer)],
            ["Min-SE", String(MIN_SESSION_EXPIRES)],
            ["Supported", "timer"],
          ]
        : [];
    const { device: _device, ...request } = target;
    const invite = stack.invite({
      ...request,
      headers: [...(target.headers ?? []), ...timer],
      body: sdpBody(offer.offer),
    });
    const leg = new OutboundLeg(invite, offer, target, options);
    leg.logger.info({ uri: target.uri.toString(), target: target.target }, "placing call");
    await invite.start();
    return leg;
  }

  get sipCallId(): string {
    return this.#invite.callId;
  }

  get addresses(): { sipCallId: string; from: string; to: string; target: string } {
    return {
      sipCallId: this.#invite.callId,
      from: this.target.from.uri.toString(),
      to: this.target.to.uri.toString(),
      target: this.target.uri.toString(),
    };
  }

  hangup(cause: HangupCause = "NORMAL_CLEARING"): void {
    if (this.ended) return;
    if (this.answered) {
      this.byeAndFinish(cause);
      return;
    }
    const reason =
      cause === "NORMAL_CLEARING" ? 'SIP;cause=200;text="Call completed elsewhere"' : reasonHeader(cause);
    this.#invite.cancel([["Reason", reason]]);
    this.finish({ cause, by: "local", reason });
  }

  protected override finish(end: Parameters<Leg["finish"]>[0]): void {
    if (this.ended) return;
    if (!this.media) this.#offer.close();
    super.finish(end);
  }

  #progress(response: SipResponse): void {
    if (this.ended || this.answered) return;
    if (response.body.length > 0 && this.#applyAnswer(response)) this.transition("EarlyMedia");
    else if (response.status === 180 || response.status === 181 || response.status === 182)
      this.transition("Ringing");
    else if (this.state === "Trying") this.transition("Ringing");
  }

  /** Applies the SDP in a 18x or 2xx; a 2xx without SDP keeps the early media answer. */
  #applyAnswer(response: SipResponse): boolean {
    if (response.body.length === 0) return this.media !== undefined;
    let answer: SessionDescription;
    try {
      answer = SessionDescription.parse(response.body.toString("utf8"));
    } catch {
      return false;
    }
    const result = this.#offer.complete(answer);
    if ("error" in result) {
      this.logger.info({ reason: result.reason }, "unusable SDP answer");
      return false;
    }
    this.attachMedia(result.endpoint);
    if (result.video) {
      this.attachVideo(result.video.endpoint);
      this.#videoAnswer = result.video.answer;
    }
    return true;
  }

  #videoAnswer: SdpMediaObject | undefined;

  /** The video line the callee answered with, when it accepted video. */
  get videoAnswer(): SdpMediaObject | undefined {
    return this.#videoAnswer;
  }
}
