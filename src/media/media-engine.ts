import type { Clock } from "../kernel/clock.ts";
import { randomHex } from "../kernel/ids.ts";
import type { Logger } from "../kernel/log.ts";
import { ConferenceMixer } from "./bridges/conference-mixer.ts";
import { RelayBridge } from "./bridges/relay-bridge.ts";
import { type VideoEndpoint, VideoRelay } from "./bridges/video-relay.ts";
import type { G711Encoding } from "./codecs/g711.ts";
import type { MediaEndpoint } from "./media-endpoint.ts";
import { PortAllocator } from "./rtp/port-allocator.ts";
import { RtpSession } from "./rtp/rtp-session.ts";
import { RtpSocket } from "./rtp/rtp-socket.ts";
import { answerOffer, createOffer, readAnswer } from "./sdp/negotiate.ts";
import { type MediaDirection, type SdpMediaObject, SessionDescription } from "./sdp/session-description.ts";
import { videoOfferLine } from "./sdp/video-passthrough.ts";
import { ConferenceRecorder } from "./sinks/conference-recorder.ts";
import { Recorder, type RecorderOptions } from "./sinks/recorder.ts";
import { Player } from "./sources/player.ts";

export interface MediaEngineOptions {
  /** Address RTP sockets bind to (media.address). */
  address: string;
  /** Address written in SDP when it differs (NAT, media.public_address). */
  publicAddress?: string;
  portMin: number;
  portMax: number;
  clock: Clock;
  logger: Logger;
  /** Silence after which an endpoint reports `timeout`, ms (media.rtp_timeout). */
  rtpTimeoutMs?: number;
  /** G.711 laws accepted, most preferred first. */
  codecs?: readonly G711Encoding[];
}

/** An offer waiting for its answer; see MediaEngine.offer(). */
export interface PendingOffer {
  readonly offer: SessionDescription;
  /**
   * Applies an answer (a second answer, e.g. 183 then 200, only moves the remote address). When
   * the offer carried a video stream and the answer accepted it, `video` is its endpoint and the
   * answered line.
   */
  complete(
    answer: SessionDescription,
  ):
    | { endpoint: OwnedEndpoint; video?: { endpoint: OwnedVideoEndpoint; answer: SdpMediaObject } }
    | { error: "not-acceptable"; reason: string };
  /** Releases the ports (and the endpoint, if one was made). */
  close(): void;
}

/** A video endpoint the engine owns (pass-through; see bridges/video-relay.ts). */
export interface OwnedVideoEndpoint extends VideoEndpoint {
  readonly port: number;
  close(): void;
}

/** An endpoint the engine owns: closing it releases its ports and takes it out of the engine. */
export interface OwnedEndpoint extends MediaEndpoint {
  close(): void;
}

interface Closable {
  close(): void;
}

/**
 * The media engine's root (mediasoup's Worker/Router in one): it allocates RTP ports, creates
 * endpoints from SDP, and owns every endpoint, bridge, mixer, recorder and player it made, so
 * close() releases all of them. Calls ask it for media and never touch sockets themselves.
 */
export class MediaEngine {
  readonly #options: MediaEngineOptions;
  readonly #allocator: PortAllocator;
  readonly #children = new Set<Closable>();
  #closed = false;

  constructor(options: MediaEngineOptions) {
    this.#options = options;
    this.#allocator = new PortAllocator({ min: options.portMin, max: options.portMax });
  }

  /** Open ports, bridges, mixers, recorders and players. */
  get size(): number {
    return this.#children.size;
  }

  get portsInUse(): number {
    return this.#allocator.inUse;
  }

  /**
   * Answers an SDP offer (RFC 3264): opens an endpoint for the first acceptable audio stream,
   * pointed at the offerer's address, and returns it with the answer; `not-acceptable` (the caller
   * answers 488) when no audio stream can be served.
   */
  async answer(
    offer: SessionDescription,
  ): Promise<
    { endpoint: OwnedEndpoint; answer: SessionDescription } | { error: "not-acceptable"; reason: string }
  > {
    const socket = await this.#openSocket();
    const result = answerOffer(offer, this.#local(socket.port));
    if ("error" in result) {
      socket.close();
      return result;
    }
    const endpoint = this.#endpoint(
      socket,
      result.audio.codec,
      result.audio.payloadType,
      result.audio.telephoneEventPayloadType,
    );
    endpoint.session.setRemote(result.audio.remote);
    return { endpoint, answer: result.answer };
  }

  /**
   * An initial offer for a call Parley places (RFC 3264 §5): opens the port pair at once so the
   * offer can name it; `complete(answer)` creates the endpoint from the peer's answer, `close()`
   * releases the ports when the call is never answered.
   */
  async offer(options: { video?: SdpMediaObject } = {}): Promise<PendingOffer> {
    const socket = await this.#openSocket();
    const local = this.#local(socket.port);
    let offer = createOffer(local);
    // Video pass-through: the caller's video formats, offered from a port pair of our own.
    const video = options.video ? await this.openVideo() : undefined;
    if (video && options.video) {
      const object = offer.toObject();
      object.media.push(videoOfferLine(options.video, video.port));
      offer = SessionDescription.fromObject(object);
    }
    let endpoint: OwnedEndpoint | undefined;
    let closed = false;
    const pending: PendingOffer = {
      offer,
      complete: (answer) => {
        if (closed) return { error: "not-acceptable", reason: "the offer was withdrawn" };
        const reading = readAnswer(answer, local);
        if ("error" in reading) return reading;
        if (!endpoint) {
          endpoint = this.#endpoint(
            socket,
            reading.audio.codec,
            reading.audio.payloadType,
            reading.audio.telephoneEventPayloadType,
          );
          this.#children.delete(pending);
        }
        endpoint.session.setRemote(reading.audio.remote);
        const answered = video ? answer.media.find((m) => m.type === "video" && m.active) : undefined;
        const remote = answered?.remote;
        if (video && answered && remote) {
          video.session.setRemote(remote);
          return { endpoint, video: { endpoint: video, answer: answered.toObject() } };
        }
        // The answer declined our video (port 0): its ports go back to the pool.
        video?.close();
        return { endpoint };
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.#children.delete(pending);
        video?.close();
        if (endpoint) endpoint.close();
        else socket.close();
      },
    };
    return this.#own(pending);
  }

  /** A port pair for a video stream relayed without decoding (pass-through). */
  async openVideo(): Promise<OwnedVideoEndpoint> {
    const socket = await this.#openSocket();
    const session = new RtpSession({
      socket,
      clock: this.#options.clock,
      logger: this.#options.logger,
      // Video may pause (a camera turned off); the audio stream is what detects a dead call.
      timeoutMs: 0,
    });
    const video: OwnedVideoEndpoint = {
      session,
      port: socket.port,
      close: () => session.close(),
    };
    return this.#own(video);
  }

  videoRelay(a: VideoEndpoint, b: VideoEndpoint): VideoRelay {
    return this.#own(new VideoRelay(a, b));
  }

  /**
   * Answers a re-offer on an existing endpoint (hold, resume, a moved peer, RFC 3264 §8): same
   * port, the next version of `previous`, and the peer's new address. The codec stays as first
   * negotiated; a re-offer without it is refused.
   */
  reanswer(
    endpoint: MediaEndpoint,
    offer: SessionDescription,
    previous: SessionDescription | undefined,
  ): { answer: SessionDescription; direction: MediaDirection } | { error: "not-acceptable"; reason: string } {
    const local = {
      ...this.#local(endpoint.session.port),
      codecs: [endpoint.codec],
      ...(previous ? { previous } : {}),
    };
    const result = answerOffer(offer, local);
    if ("error" in result) return result;
    endpoint.session.setRemote(result.audio.remote);
    return { answer: result.answer, direction: result.audio.direction };
  }

  bridge(a: MediaEndpoint, b: MediaEndpoint): RelayBridge {
    return this.#own(new RelayBridge(a, b));
  }

  conference(): ConferenceMixer {
    return this.#own(new ConferenceMixer({ clock: this.#options.clock }));
  }

  record(options: Omit<RecorderOptions, "clock">): Recorder {
    return this.#own(new Recorder({ ...options, clock: this.#options.clock }));
  }

  /**
   * Records participant `id` of `mixer`: what it says (left) and what the room sends it (right),
   * until the recorder is closed, the participant leaves or the engine closes.
   */
  recordConference(mixer: ConferenceMixer, id: string, path: string): ConferenceRecorder {
    const recorder = this.#own(new ConferenceRecorder({ path }));
    recorder.onClose = mixer.tap(id, (own, heard) => recorder.write(own, heard));
    return recorder;
  }

  player(endpoint: MediaEndpoint): Player {
    return this.#own(new Player({ endpoint, clock: this.#options.clock }));
  }

  /** Closes everything the engine made; a second call does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const child of [...this.#children]) child.close();
    this.#children.clear();
  }

  #own<T extends Closable>(child: T): T {
    if (this.#closed) {
      child.close();
      throw new Error("the media engine is closed");
    }
    this.#children.add(child);
    // A child closed by its user (a bridge undone, a player done) leaves the engine's set, so a
    // long-running node does not keep every call's objects.
    const close = child.close.bind(child);
    child.close = () => {
      this.#children.delete(child);
      close();
    };
    return child;
  }

  async #openSocket(): Promise<RtpSocket> {
    if (this.#closed) throw new Error("the media engine is closed");
    return RtpSocket.open({
      address: this.#options.address,
      allocator: this.#allocator,
      logger: this.#options.logger,
    });
  }

  #local(port: number) {
    return {
      address: this.#options.publicAddress || this.#options.address,
      port,
      codecs: this.#options.codecs ?? (["PCMU", "PCMA"] as const),
      telephoneEvent: true,
      sessionId: String(Number.parseInt(randomHex(6), 16)),
    };
  }

  #endpoint(
    socket: RtpSocket,
    codec: G711Encoding,
    payloadType: number,
    telephoneEventPayloadType: number | undefined,
  ): OwnedEndpoint {
    const session = new RtpSession({
      socket,
      clock: this.#options.clock,
      logger: this.#options.logger,
      timeoutMs: this.#options.rtpTimeoutMs ?? 0,
    });
    const endpoint: OwnedEndpoint = {
      session,
      codec,
      payloadType,
      ...(telephoneEventPayloadType === undefined ? {} : { telephoneEventPayloadType }),
      close: () => {
        session.close();
        this.#children.delete(endpoint);
      },
    };
    return this.#own(endpoint);
  }
}
