import { transcode } from "../codecs/pcm-frame.ts";
import type { MediaEndpoint } from "../media-endpoint.ts";
import { RtpPacket } from "../rtp/rtp-packet.ts";

/**
 * Connects two legs directly. When both negotiated the same codec, packets are relayed without
 * decoding (only SSRC, sequence and timestamp are rewritten by the sending session); when one
 * leg speaks PCMU and the other PCMA, each payload is transcoded through 256-entry tables.
 * RFC 4733 telephone-events pass through with the other leg's event payload type.
 */
export class RelayBridge {
  readonly a: MediaEndpoint;
  readonly b: MediaEndpoint;
  readonly #unsubscribe: Array<() => void> = [];
  #closed = false;

  constructor(a: MediaEndpoint, b: MediaEndpoint) {
    this.a = a;
    this.b = b;
    this.#pipe(a, b);
    this.#pipe(b, a);
  }

  /** True when the two legs' codecs differ and payloads are transcoded. */
  get transcoding(): boolean {
    return this.a.codec !== this.b.codec;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
  }

  #pipe(from: MediaEndpoint, to: MediaEndpoint): void {
    const listener = (packet: RtpPacket) => {
      if (packet.payloadType === from.telephoneEventPayloadType) {
        if (to.telephoneEventPayloadType === undefined) return;
        to.session.forward(withPayload(packet, to.telephoneEventPayloadType, packet.payload));
      } else if (packet.payloadType !== from.payloadType) {
        return; // comfort noise or a codec that was not negotiated
      } else if (from.codec === to.codec && from.payloadType === to.payloadType) {
        to.session.forward(packet);
      } else {
        to.session.forward(
          withPayload(packet, to.payloadType, transcode(packet.payload, from.codec, to.codec)),
        );
      }
    };
    from.session.on("packet", listener);
    this.#unsubscribe.push(() => from.session.off("packet", listener));
  }
}

function withPayload(packet: RtpPacket, payloadType: number, payload: Uint8Array): RtpPacket {
  return new RtpPacket({
    payloadType,
    sequenceNumber: packet.sequenceNumber,
    timestamp: packet.timestamp,
    ssrc: packet.ssrc,
    marker: packet.marker,
    payload,
  });
}
