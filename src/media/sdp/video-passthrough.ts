/**
 * Video pass-through for the B2BUA (issue 6, "calls with a video stream relay it"): Parley does
 * not decode video; it offers the callee exactly the video formats the caller offered, answers the
 * caller with exactly the formats the callee accepted, and relays the RTP between the two legs.
 * Payload type numbers therefore match end to end and packets pass unchanged apart from the SSRC,
 * sequence and timestamp rewriting of each leg's RtpSession.
 */
import type { MediaDirection, SdpMediaObject, SessionDescription } from "./session-description.ts";

/** The first active video stream of a description (an offer or an answer), and its m= index. */
export function activeVideo(
  description: SessionDescription,
): { line: SdpMediaObject; index: number } | undefined {
  const line = description.media.find((m) => m.type === "video" && m.active);
  return line ? { line: line.toObject(), index: line.index } : undefined;
}

/** Attributes that describe formats and belong in a copied video line; transport ones do not. */
function formatAttributes(source: SdpMediaObject): Partial<SdpMediaObject> {
  return {
    rtp: source.rtp.map((r) => ({ ...r })),
    fmtp: source.fmtp.map((f) => ({ ...f })),
    ...(source.rtcpFb ? { rtcpFb: source.rtcpFb.map((f) => ({ ...f })) } : {}),
    ...(source.framerate === undefined ? {} : { framerate: source.framerate }),
    ...(source.imageattrs ? { imageattrs: source.imageattrs.map((a) => ({ ...a })) } : {}),
  };
}

/** Our offer's video line: the caller's video formats, at our port, with the caller's direction. */
export function videoOfferLine(callerOffer: SdpMediaObject, port: number): SdpMediaObject {
  return {
    type: "video",
    port,
    protocol: callerOffer.protocol,
    payloads: callerOffer.payloads ?? "",
    ...formatAttributes(callerOffer),
    rtp: callerOffer.rtp.map((r) => ({ ...r })),
    fmtp: callerOffer.fmtp.map((f) => ({ ...f })),
    direction: (callerOffer.direction as MediaDirection | undefined) ?? "sendrecv",
  };
}

/**
 * The caller's answer video line: the formats the callee chose (its answer, which used the
 * caller's payload numbers), at our port, with the callee's direction as the caller sees it
 * (what the callee answered towards us is what we answer towards the caller).
 */
export function videoAnswerLine(calleeAnswer: SdpMediaObject, port: number): SdpMediaObject {
  return {
    type: "video",
    port,
    protocol: calleeAnswer.protocol,
    payloads: calleeAnswer.payloads ?? "",
    ...formatAttributes(calleeAnswer),
    rtp: calleeAnswer.rtp.map((r) => ({ ...r })),
    fmtp: calleeAnswer.fmtp.map((f) => ({ ...f })),
    direction: (calleeAnswer.direction as MediaDirection | undefined) ?? "sendrecv",
  };
}
