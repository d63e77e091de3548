/**
 * SDP (RFC 4566) as the media engine sees it: a validated, immutable wrapper around sdp-transform's
 * parsed object, with typed accessors for what offer/answer (RFC 3264) needs. It is the only shape in
 * which SDP crosses the media/ border; sip/ carries the serialized text as an opaque body.
 */
import * as sdpTransform from "sdp-transform";
import { SdpError } from "../errors.ts";

/** https://www.rfc-editor.org/rfc/rfc3264#section-5.1 : the four direction attributes. */
export type MediaDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** sdp-transform's parsed session object. */
export type SdpObject = sdpTransform.SessionDescription;
/** sdp-transform's parsed m= section. */
export type SdpMediaObject = sdpTransform.MediaDescription;

/** One entry of an RTP m= line's format list, with its a=rtpmap / a=fmtp (or RFC 3551 static meaning). */
export interface PayloadFormat {
  readonly payloadType: number;
  /** Encoding name as written (or from RFC 3551 Table 4/5 for static types); undefined if unknown. */
  readonly encoding: string | undefined;
  readonly clockRate: number | undefined;
  readonly channels: number | undefined;
  /** The a=fmtp parameter string, if any. */
  readonly fmtp: string | undefined;
}

/** Where to send media: an m= line's address (media-level c= over session-level c=) and port. */
export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

const DIRECTIONS: readonly MediaDirection[] = ["sendrecv", "sendonly", "recvonly", "inactive"];

/**
 * https://www.rfc-editor.org/rfc/rfc3551#section-6 Tables 4 and 5: static payload types, used when an
 * offer lists one without a=rtpmap (RFC 4566 §6 makes rtpmap optional for static types).
 */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<
  number,
  readonly [encoding: string, clockRate: number, channels?: number]
> = new Map<number, readonly [string, number, number?]>([
  [0, ["PCMU", 8000, 1]],
  [3, ["GSM", 8000, 1]],
  [4, ["G723", 8000, 1]],
  [5, ["DVI4", 8000, 1]],
  [6, ["DVI4", 16000, 1]],
  [7, ["LPC", 8000, 1]],
  [8, ["PCMA", 8000, 1]],
  [9, ["G722", 8000, 1]],
  [10, ["L16", 44100, 2]],
  [11, ["L16", 44100, 1]],
  [12, ["QCELP", 8000, 1]],
  [13, ["CN", 8000, 1]],
  [14, ["MPA", 90000]],
  [15, ["G728", 8000, 1]],
  [16, ["DVI4", 11025, 1]],
  [17, ["DVI4", 22050, 1]],
  [18, ["G729", 8000, 1]],
  [25, ["CelB", 90000]],
  [26, ["JPEG", 90000]],
  [28, ["nv", 90000]],
  [31, ["H261", 90000]],
  [32, ["MPV", 90000]],
  [33, ["MP2T", 90000]],
  [34, ["H263", 90000]],
]);

/** True for the RTP profiles whose format list holds payload type numbers (RFC 3551 §5, RFC 4585, RFC 3711). */
export function isRtpProtocol(protocol: string): boolean {
  return /^(UDP\/TLS\/)?RTP\/S?AVPF?$/i.test(protocol);
}

function isDirection(value: unknown): value is MediaDirection {
  return typeof value === "string" && (DIRECTIONS as readonly string[]).includes(value);
}

/** The m= line's format tokens (sdp-transform gives a number when there is only one). */
function formatTokens(media: SdpMediaObject): string[] {
  const payloads = media.payloads === undefined ? "" : String(media.payloads);
  return payloads.split(/\s+/).filter((token) => token.length > 0);
}

/** A read-only view of one m= section; `index` is its position in the description. */
export class MediaLine {
  readonly index: number;
  readonly #media: SdpMediaObject;
  readonly #session: SdpObject;

  constructor(session: SdpObject, index: number) {
    const media = session.media[index];
    if (media === undefined) throw new Error(`no m= line ${index}`);
    this.#session = session;
    this.#media = media;
    this.index = index;
  }

  /** "audio", "video", "image", "application" … */
  get type(): string {
    return this.#media.type;
  }

  /** 0 means the stream is rejected or disabled (RFC 3264 §5.1, §6). */
  get port(): number {
    return this.#media.port;
  }

  get protocol(): string {
    return this.#media.protocol;
  }

  /** A stream with port 0 is rejected/disabled: no media flows and its c= is irrelevant. */
  get active(): boolean {
    return this.#media.port !== 0;
  }

  /** The media-level c= address, else the session-level one (RFC 4566 §5.7). */
  get connectionAddress(): string | undefined {
    return this.#media.connection?.ip ?? this.#session.connection?.ip;
  }

  /** Address and port to send RTP to, or undefined for a rejected stream. */
  get remote(): TransportAddress | undefined {
    const address = this.connectionAddress;
    return this.active && address !== undefined ? { address, port: this.#media.port } : undefined;
  }

  /** The format tokens of the m= line, in the offerer's preference order. */
  get formats(): readonly string[] {
    return formatTokens(this.#media);
  }

  /** For RTP profiles: every listed payload type with its rtpmap/fmtp; empty for other protocols. */
  get payloadFormats(): readonly PayloadFormat[] {
    if (!isRtpProtocol(this.protocol)) return [];
    return this.formats.map((token) => {
      const payloadType = Number(token);
      const rtpmap = this.#media.rtp.find((entry) => entry.payload === payloadType);
      const fallback = rtpmap === undefined ? STATIC_PAYLOAD_TYPES.get(payloadType) : undefined;
      const fmtp = this.#media.fmtp.find((entry) => entry.payload === payloadType);
      return {
        payloadType,
        encoding: rtpmap?.codec ?? fallback?.[0],
        clockRate: rtpmap?.rate ?? fallback?.[1],
        channels: rtpmap?.encoding ?? fallback?.[2],
        fmtp: fmtp?.config,
      };
    });
  }

  /** a=ptime in milliseconds, if given. */
  get ptime(): number | undefined {
    return this.#media.ptime;
  }

  /** a=maxptime in milliseconds, if given. */
  get maxptime(): number | undefined {
    return this.#media.maxptime;
  }

  /**
   * https://www.rfc-editor.org/rfc/rfc3264#section-5.1 : "If none of the direction attributes is
   * present at the media or session level, the stream is sendrecv"; a media-level attribute overrides
   * the session-level one (RFC 4566 §6).
   */
  get direction(): MediaDirection {
    const media = this.#media.direction;
    if (isDirection(media)) return media;
    const session = this.#session.direction;
    return isDirection(session) ? session : "sendrecv";
  }

  /** a=rtcp-mux (RFC 5761 §5.1.1). */
  get rtcpMux(): boolean {
    return this.#media.rtcpMux === "rtcp-mux";
  }

  /** A deep copy of sdp-transform's object for this m= section. */
  toObject(): SdpMediaObject {
    return structuredClone(this.#media);
  }
}

/** The leading `o=` fields sdp-transform would turn into lossy numbers (64-bit session ids). */
function rawOrigin(text: string): { sessionId: string; sessionVersion: string } | undefined {
  const match = /^o=\S+ (\S+) (\S+) /m.exec(text);
  return match?.[1] !== undefined && match[2] !== undefined
    ? { sessionId: match[1], sessionVersion: match[2] }
    : undefined;
}

/**
 * A session description (RFC 4566) wrapping sdp-transform's object. Immutable: the "with…" methods
 * return new descriptions. `parse` and `fromObject` throw `SdpError` for SDP a session cannot use.
 */
export class SessionDescription {
  readonly #sdp: SdpObject;
  readonly #media: readonly MediaLine[];

  private constructor(sdp: SdpObject) {
    this.#sdp = sdp;
    this.#media = sdp.media.map((_, index) => new MediaLine(sdp, index));
  }

  /** Parses SDP text; throws `SdpError` if it is not usable. */
  static parse(text: string): SessionDescription {
    if (typeof text !== "string" || text.trim() === "") throw new SdpError("empty SDP body");
    const sdp = sdpTransform.parse(text);
    const origin = rawOrigin(text);
    if (sdp.origin !== undefined && origin !== undefined) {
      // Keep the session id exactly as written: sdp-transform turns digits into a (lossy) number.
      sdp.origin.sessionId = origin.sessionId;
    }
    return SessionDescription.fromObject(sdp);
  }

  /** Wraps (a deep copy of) an sdp-transform object after validating it; throws `SdpError`. */
  static fromObject(object: SdpObject): SessionDescription {
    const sdp = structuredClone(object);
    SessionDescription.#validate(sdp);
    return new SessionDescription(sdp);
  }

  static #validate(sdp: SdpObject): void {
    // RFC 4566 §5: v=0 and o= are mandatory; without them the text is not SDP.
    if (sdp.version !== 0) throw new SdpError("missing or unsupported v= line (expected v=0)");
    const origin = sdp.origin as SdpObject["origin"] | undefined;
    if (origin === undefined || origin.address === undefined)
      throw new SdpError("missing or malformed o= line");
    if (!Number.isSafeInteger(origin.sessionVersion) || origin.sessionVersion < 0) {
      throw new SdpError(`bad o= session version ${String(origin.sessionVersion)}`);
    }
    if (!Array.isArray(sdp.media)) throw new SdpError("missing media list");
    for (const [index, media] of sdp.media.entries()) {
      const where = `m= line ${index + 1}`;
      if (typeof media.type !== "string" || typeof media.protocol !== "string") {
        throw new SdpError(`${where} is malformed`);
      }
      if (!Number.isInteger(media.port) || media.port < 0 || media.port > 65535) {
        throw new SdpError(`${where} has bad port ${String(media.port)}`);
      }
      media.rtp ??= [];
      media.fmtp ??= [];
      const tokens = formatTokens(media);
      if (tokens.length === 0) throw new SdpError(`${where} lists no formats`);
      if (isRtpProtocol(media.protocol)) {
        for (const token of tokens) {
          if (!/^\d{1,3}$/.test(token) || Number(token) > 127) {
            throw new SdpError(`${where} has bad RTP payload type ${token}`);
          }
        }
      }
      // RFC 4566 §5.7: "a session description MUST contain either at least one c= field in each media
      // description or a single c= field at the session level."
      if (media.port !== 0) {
        const address = media.connection?.ip ?? sdp.connection?.ip;
        if (address === undefined || address === "")
          throw new SdpError(`${where} is active but has no c= line`);
      }
    }
  }

  /** The SDP text (CRLF line ends), as sdp-transform writes it. */
  serialize(): string {
    return sdpTransform.write(this.#sdp);
  }

  toString(): string {
    return this.serialize();
  }

  /** A deep copy of the underlying sdp-transform object. */
  toObject(): SdpObject {
    return structuredClone(this.#sdp);
  }

  /** The m= sections, in order. */
  get media(): readonly MediaLine[] {
    return this.#media;
  }

  /** o= session id, as written. */
  get sessionId(): string {
    return String(this.#sdp.origin.sessionId);
  }

  /** o= session version (RFC 3264 §8: incremented on every modified offer/answer). */
  get sessionVersion(): number {
    return this.#sdp.origin.sessionVersion;
  }

  /** Session-level c= address, if any. */
  get connectionAddress(): string | undefined {
    return this.#sdp.connection?.ip;
  }

  /**
   * The same description with its o= version incremented.
   * https://www.rfc-editor.org/rfc/rfc3264#section-8 : "the origin line MUST be the same as in the
   * previous SDP, except that the version in the origin field MUST increment by one".
   */
  nextVersion(): SessionDescription {
    const sdp = this.toObject();
    sdp.origin.sessionVersion += 1;
    return new SessionDescription(sdp);
  }

  /** The same description with every active m= line's direction set to `direction(line)`. */
  withDirections(direction: (line: MediaLine) => MediaDirection): SessionDescription {
    const sdp = this.toObject();
    for (const line of this.#media) {
      const media = sdp.media[line.index];
      if (media !== undefined && line.active) media.direction = direction(line);
    }
    delete sdp.direction;
    return new SessionDescription(sdp);
  }
}
