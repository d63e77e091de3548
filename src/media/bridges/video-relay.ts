import type { RtpPacket } from "../rtp/rtp-packet.ts";
import type { RtpSession } from "../rtp/rtp-session.ts";

/** One leg's video stream, anchored in Parley but never decoded. */
export interface VideoEndpoint {
  readonly session: RtpSession;
}

/**
 * Relays video RTP between two legs without looking inside (pass-through): both legs negotiated
 * the same payload types (see sdp/video-passthrough.ts), so each packet goes out as it came,
 * under the sending leg's SSRC, sequence and timestamps.
 */
export class VideoRelay {
  readonly #off: Array<() => void> = [];
  #closed = false;

  constructor(a: VideoEndpoint, b: VideoEndpoint) {
    this.#pipe(a, b);
    this.#pipe(b, a);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off) off();
  }

  #pipe(from: VideoEndpoint, to: VideoEndpoint): void {
    const listener = (packet: RtpPacket) => to.session.forward(packet);
    from.session.on("packet", listener);
    this.#off.push(() => from.session.off("packet", listener));
  }
}
