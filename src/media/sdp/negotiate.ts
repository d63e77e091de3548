/**
 * RFC 3264 offer/answer for Parley's media engine: one G.711 audio stream (PCMU/PCMA, RFC 3551) plus
 * RFC 4733 telephone-event; everything else is declined with port 0. Time and ids come from the caller.
 */
import { G711_PAYLOAD_TYPES, type G711Encoding } from "../codecs/g711.ts";
import {
  type MediaDirection,
  type MediaLine,
  type PayloadFormat,
  type SdpMediaObject,
  type SdpObject,
  SessionDescription,
  type TransportAddress,
} from "./session-description.ts";

/** The payload type Parley offers for telephone-event (RFC 4733 §7.1.1, dynamic range). */
export const TELEPHONE_EVENT_PAYLOAD_TYPE = 101;
/** Events Parley offers and accepts: DTMF 0-9, *, #, A-D and flash (RFC 4733 §3.2). */
const SUPPORTED_EVENTS = { first: 0, last: 16 } as const;
/** https://www.rfc-editor.org/rfc/rfc4733#section-7.1.1 : events assumed when no fmtp is given. */
const DEFAULT_EVENTS = "0-15";
/** Parley's frames are 20 ms (PcmFrame). */
const PTIME = 20;

/** What this side brings to an offer or answer. */
export interface LocalMedia {
  /** Our RTP address (c=) and port (m=). */
  readonly address: string;
  readonly port: number;
  /** G.711 laws we accept, most preferred first. */
  readonly codecs: readonly G711Encoding[];
  /** Whether RFC 4733 telephone-event is offered/accepted. */
  readonly telephoneEvent: boolean;
  /**
   * o= session id for a new session (the caller generates it; media/ has no entropy or clock).
   * Ignored when `previous` is given.
   */
  readonly sessionId: string;
  /** o= version for a new session; default 1. Ignored when `previous` is given. */
  readonly sessionVersion?: number;
  /**
   * The description this side last sent in this session, if any: the new one keeps its session id
   * and increments its version (RFC 3264 §8).
   */
  readonly previous?: SessionDescription;
  /** Our own wish (for example, we hold the call); intersected with the mirrored offer direction. */
  readonly direction?: MediaDirection;
  /** o= username; default "-". */
  readonly username?: string;
}

/** The agreed audio stream, from this side's point of view. */
export interface NegotiatedAudio {
  readonly codec: G711Encoding;
  /** The offerer's payload type number for `codec` (static or dynamic). */
  readonly payloadType: number;
  /** The offerer's telephone-event payload type, when both sides support it. */
  readonly telephoneEventPayloadType?: number;
  /** Where to send RTP. */
  readonly remote: TransportAddress;
  /** Packetization the remote asked to receive (its a=ptime), else 20 ms. */
  readonly ptime: number;
  /** Our direction for the stream (as written in the answer). */
  readonly direction: MediaDirection;
  /** Index of the accepted m= line. */
  readonly mediaIndex: number;
}

export type AnswerResult =
  | { readonly answer: SessionDescription; readonly audio: NegotiatedAudio }
  | { readonly error: "not-acceptable"; readonly reason: string };

/**
 * https://www.rfc-editor.org/rfc/rfc3264#section-6.1 : "If a stream is offered as sendonly, the
 * corresponding stream MUST be marked as recvonly or inactive in the answer. If a media stream is
 * listed as recvonly in the offer, the answer MUST be marked as sendonly or inactive ... If an offered
 * media stream is listed as sendrecv ... the corresponding stream in the answer MAY be marked as
 * sendonly, recvonly, sendrecv, or inactive. If an offered media stream is listed as inactive, it MUST
 * be marked as inactive in the answer."
 */
export function mirrorDirection(offered: MediaDirection): MediaDirection {
  switch (offered) {
    case "sendonly":
      return "recvonly";
    case "recvonly":
      return "sendonly";
    default:
      return offered;
  }
}

/** The direction allowed by both `a` and `b` (sending needs both to send, receiving both to receive). */
export function intersectDirections(a: MediaDirection, b: MediaDirection): MediaDirection {
  const sends = (d: MediaDirection) => d === "sendrecv" || d === "sendonly";
  const receives = (d: MediaDirection) => d === "sendrecv" || d === "recvonly";
  const send = sends(a) && sends(b);
  const receive = receives(a) && receives(b);
  if (send && receive) return "sendrecv";
  if (send) return "sendonly";
  return receive ? "recvonly" : "inactive";
}

/**
 * https://www.rfc-editor.org/rfc/rfc3264#section-8.4 : the RFC 2543 hold (c=0.0.0.0) — the offerer
 * will not receive, so its stream is treated as if it did not list "recv".
 */
function effectiveOfferDirection(line: MediaLine): MediaDirection {
  const direction = line.direction;
  if (line.connectionAddress !== "0.0.0.0") return direction;
  return intersectDirections(direction, "sendonly");
}

function ipVersion(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

function origin(local: LocalMedia): SdpObject["origin"] {
  const previous = local.previous;
  return {
    username: local.username ?? "-",
    sessionId: previous?.sessionId ?? local.sessionId,
    sessionVersion: previous === undefined ? (local.sessionVersion ?? 1) : previous.sessionVersion + 1,
    netType: "IN",
    ipVer: ipVersion(local.address),
    address: local.address,
  };
}

function sessionSkeleton(local: LocalMedia, timing: SdpObject["timing"]): SdpObject {
  return {
    version: 0,
    origin: origin(local),
    name: "Parley",
    connection: { version: ipVersion(local.address), ip: local.address },
    timing,
    media: [],
  };
}

/** Parses an RFC 4733 event list ("0-15,66,70") into numbers; malformed parts are skipped. */
function parseEvents(list: string): Set<number> {
  const events = new Set<number>();
  for (const part of list.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (match === null) continue;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let event = first; event <= Math.min(last, 255); event++) events.add(event);
  }
  return events;
}

/** Formats sorted events as RFC 4733 ranges ("0-11,16"). */
function formatEvents(events: readonly number[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let end = -1;
  for (const event of events) {
    if (start !== undefined && event === end + 1) {
      end = event;
      continue;
    }
    if (start !== undefined) parts.push(start === end ? `${start}` : `${start}-${end}`);
    start = event;
    end = event;
  }
  if (start !== undefined) parts.push(start === end ? `${start}` : `${start}-${end}`);
  return parts.join(",");
}

function isTelephoneEvent(format: PayloadFormat): boolean {
  return format.encoding?.toLowerCase() === "telephone-event" && format.clockRate === 8000;
}

function isUsableG711(format: PayloadFormat, codec: G711Encoding): boolean {
  return (
    format.encoding?.toUpperCase() === codec &&
    (format.clockRate === undefined || format.clockRate === 8000) &&
    (format.channels === undefined || format.channels === 1)
  );
}

/** The stream's offered formats that this side can use, or why none fits. */
function chooseFormats(
  line: MediaLine,
  local: LocalMedia,
): { codec: G711Encoding; audio: PayloadFormat; event?: { format: PayloadFormat; events: string } } | string {
  if (line.type !== "audio") return `${line.type} is not supported`;
  if (!line.active) return "stream disabled by the offerer";
  if (!/^RTP\/AVPF?$/i.test(line.protocol)) return `transport ${line.protocol} is not supported`;
  const offered = line.payloadFormats;
  for (const codec of local.codecs) {
    const audio = offered.find((format) => isUsableG711(format, codec));
    if (audio === undefined) continue;
    const eventFormat = local.telephoneEvent ? offered.find(isTelephoneEvent) : undefined;
    if (eventFormat === undefined) return { codec, audio };
    const wanted = parseEvents(eventFormat.fmtp ?? DEFAULT_EVENTS);
    const common = [...wanted]
      .filter((event) => event >= SUPPORTED_EVENTS.first && event <= SUPPORTED_EVENTS.last)
      .sort((x, y) => x - y);
    return common.length === 0
      ? { codec, audio }
      : { codec, audio, event: { format: eventFormat, events: formatEvents(common) } };
  }
  const names = offered.map((format) => format.encoding ?? `${format.payloadType}`).join(", ");
  return `no common codec (offered ${names}; accepted ${local.codecs.join(", ")})`;
}

/** https://www.rfc-editor.org/rfc/rfc3264#section-6 : "the port number ... MUST be set to zero". */
function rejectedMedia(line: MediaLine): SdpMediaObject {
  return {
    type: line.type,
    port: 0,
    protocol: line.protocol,
    payloads: line.formats.join(" "),
    rtp: [],
    fmtp: [],
  };
}

/**
 * Answers `offer` per https://www.rfc-editor.org/rfc/rfc3264#section-6 : "The answer MUST contain
 * exactly the same number of "m=" lines as the offer", in the same order. The first audio stream with a
 * common G.711 codec is accepted (local preference among the offered codecs) using the OFFERER's
 * payload type numbers (§6.1: "the answerer MUST use the same payload type numbers"); every other stream
 * is rejected with port 0. No acceptable audio stream → `not-acceptable` (the caller answers 488).
 */
export function answerOffer(offer: SessionDescription, local: LocalMedia): AnswerResult {
  const answer = sessionSkeleton(local, offer.toObject().timing ?? { start: 0, stop: 0 });
  let audio: NegotiatedAudio | undefined;
  const reasons: string[] = [];
  for (const line of offer.media) {
    const choice = audio === undefined ? chooseFormats(line, local) : "only one audio stream is accepted";
    const remote = line.remote;
    if (typeof choice === "string" || remote === undefined) {
      reasons.push(`m= line ${line.index + 1}: ${typeof choice === "string" ? choice : "no address"}`);
      answer.media.push(rejectedMedia(line));
      continue;
    }
    const direction = intersectDirections(
      mirrorDirection(effectiveOfferDirection(line)),
      local.direction ?? "sendrecv",
    );
    const payloadTypes = [choice.audio.payloadType];
    const media: SdpMediaObject = {
      type: "audio",
      port: local.port,
      protocol: line.protocol,
      payloads: "",
      rtp: [{ payload: choice.audio.payloadType, codec: choice.codec, rate: 8000 }],
      fmtp: [],
      ptime: PTIME,
      direction,
    };
    if (choice.event !== undefined) {
      const payload = choice.event.format.payloadType;
      payloadTypes.push(payload);
      media.rtp.push({ payload, codec: "telephone-event", rate: 8000 });
      media.fmtp.push({ payload, config: choice.event.events });
    }
    media.payloads = payloadTypes.join(" ");
    answer.media.push(media);
    audio = {
      codec: choice.codec,
      payloadType: choice.audio.payloadType,
      ...(choice.event === undefined ? {} : { telephoneEventPayloadType: choice.event.format.payloadType }),
      remote,
      ptime: line.ptime ?? PTIME,
      direction,
      mediaIndex: line.index,
    };
  }
  if (audio === undefined) {
    return {
      error: "not-acceptable",
      reason: reasons.length === 0 ? "offer has no media streams" : reasons.join("; "),
    };
  }
  return { answer: SessionDescription.fromObject(answer), audio };
}

/**
 * An initial offer (https://www.rfc-editor.org/rfc/rfc3264#section-5): one sendrecv RTP/AVP audio
 * stream with the local codecs at their RFC 3551 static payload types (PCMU 0, PCMA 8), telephone-event
 * 101 (events 0-16) when enabled, ptime 20. With `local.previous` it is a re-offer (same id, version+1).
 */
export function createOffer(local: LocalMedia): SessionDescription {
  const offer = sessionSkeleton(local, { start: 0, stop: 0 });
  const codecs = [...new Set(local.codecs)];
  const payloadTypes = codecs.map((codec) => G711_PAYLOAD_TYPES[codec]);
  const media: SdpMediaObject = {
    type: "audio",
    port: local.port,
    protocol: "RTP/AVP",
    payloads: "",
    rtp: codecs.map((codec) => ({ payload: G711_PAYLOAD_TYPES[codec], codec, rate: 8000 })),
    fmtp: [],
    ptime: PTIME,
    direction: local.direction ?? "sendrecv",
  };
  if (local.telephoneEvent) {
    payloadTypes.push(TELEPHONE_EVENT_PAYLOAD_TYPE);
    media.rtp.push({ payload: TELEPHONE_EVENT_PAYLOAD_TYPE, codec: "telephone-event", rate: 8000 });
    media.fmtp.push({
      payload: TELEPHONE_EVENT_PAYLOAD_TYPE,
      config: `${SUPPORTED_EVENTS.first}-${SUPPORTED_EVENTS.last}`,
    });
  }
  if (payloadTypes.length === 0) throw new Error("createOffer needs at least one codec");
  media.payloads = payloadTypes.join(" ");
  offer.media.push(media);
  return SessionDescription.fromObject(offer);
}

/** What an answer to our offer settled: the codec and payload types to send with, and where to. */
export type AnswerReading =
  | { readonly audio: NegotiatedAudio }
  | { readonly error: "not-acceptable"; readonly reason: string };

/**
 * Reads the answer to an offer made by `createOffer` (https://www.rfc-editor.org/rfc/rfc3264#section-7):
 * the first active audio stream, the first of its formats that is a G.711 law we offered, and its
 * telephone-event format. §7: "the offerer … MUST send using a payload type … listed in the answer",
 * so the answer's numbers are the ones we send with.
 */
export function readAnswer(answer: SessionDescription, local: LocalMedia): AnswerReading {
  const line = answer.media.find((m) => m.type === "audio" && m.active);
  if (line === undefined) return { error: "not-acceptable", reason: "the answer has no active audio stream" };
  const remote = line.remote;
  if (remote === undefined)
    return { error: "not-acceptable", reason: "the answer's audio stream has no address" };
  for (const format of line.payloadFormats) {
    const codec = local.codecs.find((c) => isUsableG711(format, c));
    if (codec === undefined) continue;
    const event = local.telephoneEvent ? line.payloadFormats.find(isTelephoneEvent) : undefined;
    return {
      audio: {
        codec,
        payloadType: format.payloadType,
        ...(event === undefined ? {} : { telephoneEventPayloadType: event.payloadType }),
        remote,
        ptime: line.ptime ?? PTIME,
        direction: mirrorDirection(line.direction),
        mediaIndex: line.index,
      },
    };
  }
  return { error: "not-acceptable", reason: "the answer names no G.711 codec we offered" };
}

/**
 * A hold re-offer from the description we last sent: version+1, every active stream sendonly.
 * https://www.rfc-editor.org/rfc/rfc3264#section-8.4 : "If the stream to be placed on hold was
 * previously a sendrecv media stream, it is placed on hold by marking it sendonly. If the stream to be
 * placed on hold was previously a recvonly media stream, it is placed on hold by marking it inactive."
 */
export function hold(description: SessionDescription): SessionDescription {
  return description
    .nextVersion()
    .withDirections((line) =>
      line.direction === "recvonly" || line.direction === "inactive" ? "inactive" : "sendonly",
    );
}

/** A resume re-offer from the description we last sent: version+1, every active stream sendrecv. */
export function resume(description: SessionDescription): SessionDescription {
  return description.nextVersion().withDirections(() => "sendrecv");
}
