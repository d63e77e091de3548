import type { G711Encoding } from "./codecs/g711.ts";
import type { RtpSession } from "./rtp/rtp-session.ts";

/**
 * One leg's media as the bridges, mixer, recorder and player see it: its RTP session and the
 * codec negotiated for it (the SDP answer's payload type).
 */
export interface MediaEndpoint {
  readonly session: RtpSession;
  readonly codec: G711Encoding;
  readonly payloadType: number;
  /** RFC 4733 payload type when telephone-event was negotiated. */
  readonly telephoneEventPayloadType?: number;
}
