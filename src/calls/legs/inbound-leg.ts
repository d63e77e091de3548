import { activeVideo, type SdpMediaObject, SessionDescription, videoAnswerLine } from "../../media/index.ts";
import type { IncomingInvite } from "../../sip/index.ts";
import type { HangupCause } from "./hangup-cause.ts";
import { statusForCause } from "./hangup-cause.ts";
import { Leg, type LegOptions, sdpBody } from "./leg.ts";
import { reasonHeader } from "./reason-header.ts";
import { MIN_SESSION_EXPIRES, parseSessionExpires, type Refresher, supportsTimer } from "./session-timer.ts";

/**
 * The leg of a party that called Parley: an IncomingInvite until it is answered. Its media is
 * prepared from the caller's offer before anything is sent, so 183 (early media: ring-back tones,
 * prompts) and 200 carry the same answer.
 */
export class InboundLeg extends Leg {
  readonly direction = "inbound" as const;
  readonly invite: IncomingInvite;

  private constructor(invite: IncomingInvite, options: LegOptions) {
    super({ ...options, sipCallId: invite.callId });
    this.invite = invite;
    invite.on("cancelled", (cancel) =>
      this.finish({
        ...Leg.endFromStatus(487, cancel.headers.values("reason"), "remote"),
        cause: "ORIGINATOR_CANCEL",
      }),
    );
  }

  /**
   * The leg for an incoming INVITE, with its media answer ready; a caller whose offer has no
   * usable audio gets 488 here (RFC 3264 §6) and undefined comes back. An INVITE without SDP is
   * refused the same way (Parley does not answer offerless INVITEs yet).
   */
  static async accept(invite: IncomingInvite, options: LegOptions): Promise<InboundLeg | undefined> {
    const leg = new InboundLeg(invite, options);
    const offer = invite.offer;
    let description: SessionDescription | undefined;
    try {
      description = offer ? SessionDescription.parse(offer.data.toString("utf8")) : undefined;
    } catch {
      description = undefined;
    }
    if (!description) {
      leg.#refuse(488, "NOT_ACCEPTABLE_HERE", "an SDP offer is required");
      return undefined;
    }
    const result = await options.engine.answer(description);
    if ("error" in result) {
      leg.#refuse(488, "NOT_ACCEPTABLE_HERE", result.reason);
      return undefined;
    }
    if (leg.ended) {
      result.endpoint.close(); // cancelled while the ports were being opened
      return undefined;
    }
    leg.localDescription = result.answer;
    leg.#offer = description;
    leg.attachMedia(result.endpoint);
    return leg;
  }

  #offer: SessionDescription | undefined;

  /** The caller's offered video stream, when it offered one (Parley relays video as is). */
  get offeredVideo(): SdpMediaObject | undefined {
    return this.#offer ? activeVideo(this.#offer)?.line : undefined;
  }

  /**
   * Accepts the caller's video with the formats the callee chose (`calleeAnswer`): a port pair of
   * our own, pointed at the caller's video address, and the video line of our answer filled in
   * (it was declined with port 0 until the callee answered). Call before answer().
   */
  async acceptVideo(calleeAnswer: SdpMediaObject): Promise<boolean> {
    const offered = this.#offer ? activeVideo(this.#offer) : undefined;
    const remote = offered ? this.#offer?.media[offered.index]?.remote : undefined;
    if (!offered || !remote || !this.localDescription || this.answered || this.ended) return false;
    const video = await this.engine.openVideo();
    video.session.setRemote(remote);
    const answer = this.localDescription.toObject();
    answer.media[offered.index] = videoAnswerLine(calleeAnswer, video.port);
    this.localDescription = SessionDescription.fromObject(answer);
    this.attachVideo(video);
    return true;
  }

  get addresses(): { sipCallId: string; from: string; to: string; target: string } {
    const request = this.invite.request;
    const source = this.invite.source;
    return {
      sipCallId: request.callId,
      from: request.from.uri.toString(),
      to: request.to.uri.toString(),
      target: `${source.protocol}:${source.address}:${source.port}`,
    };
  }

  /** 180 Ringing: the caller's phone plays its own ring-back. */
  ring(): void {
    if (this.state !== "Trying" && this.state !== "EarlyMedia") return;
    this.invite.progress(180);
    this.transition("Ringing");
  }

  /** 183 with our SDP answer: from now on the caller hears what Parley sends (tones, prompts, the callee's early media). */
  earlyMedia(): void {
    if (this.ended || this.answered || !this.localDescription) return;
    this.invite.progress(183, { body: sdpBody(this.localDescription) });
    this.transition("EarlyMedia");
  }

  answer(): void {
    if (this.answered) return;
    if (this.ended || !this.localDescription) throw new Error(`answer() on leg ${this.id} in ${this.state}`);
    const timer = this.#negotiateSessionTimer();
    const session = this.invite.accept({
      body: sdpBody(this.localDescription),
      headers: timer?.headers ?? [],
    });
    this.attachSession(session);
    if (timer) this.startSessionTimer(timer.seconds, timer.refresher);
    this.transition("Answered");
  }

  /**
   * RFC 4028 §9 as UAS: take the interval the caller asked for (lowered to calls.session_timer
   * when that is shorter, never below 90 s), or offer calls.session_timer when the caller asked
   * for none; the caller refreshes when it said so or when it supports timers, otherwise Parley.
   */
  #negotiateSessionTimer():
    | { seconds: number; refresher: Refresher; headers: Array<[string, string]> }
    | undefined {
    const request = this.invite.request;
    const asked = parseSessionExpires(request);
    const wanted = this.sessionTimerSeconds;
    if (!asked && wanted === 0) return undefined;
    const seconds = Math.max(
      MIN_SESSION_EXPIRES,
      asked ? (wanted > 0 ? Math.min(asked.seconds, wanted) : asked.seconds) : wanted,
    );
    const uacRefreshes = asked?.refresher ? asked.refresher === "uac" : supportsTimer(request);
    const headers: Array<[string, string]> = [
      ["Session-Expires", `${seconds};refresher=${uacRefreshes ? "uac" : "uas"}`],
    ];
    if (uacRefreshes) headers.push(["Require", "timer"]);
    return { seconds, refresher: uacRefreshes ? "remote" : "local", headers };
  }

  /**
   * Before the answer the INVITE is refused with the cause's status, or with `status` when the
   * far end's own final status is to be passed on (a 603 Decline stays a 603).
   */
  hangup(cause: HangupCause = "NORMAL_CLEARING", status = statusForCause(cause)): void {
    if (this.ended) return;
    if (this.answered) {
      this.byeAndFinish(cause);
      return;
    }
    const reason = reasonHeader(cause);
    this.invite.reject(status, { headers: [["Reason", reason]] });
    this.finish({ cause, by: "local", sipStatus: status, reason });
  }

  #refuse(status: number, _what: string, detail: string): void {
    this.invite.reject(status, { headers: [["Warning", `304 parley "${detail.replace(/"/g, "'")}"`]] });
    this.finish({ cause: "INCOMPATIBLE_DESTINATION", by: "local", sipStatus: status });
  }
}
