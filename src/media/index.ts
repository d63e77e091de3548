/** The media engine's public surface (so far: RTP packets and G.711); nothing outside media/ imports deeper. */
export {
  decodeAlaw,
  decodeG711,
  decodeG711Sample,
  decodeMulaw,
  encodeAlaw,
  encodeG711,
  encodeG711Sample,
  encodeMulaw,
  G711_PAYLOAD_TYPES,
  type G711Encoding,
  isG711Encoding,
} from "./codecs/g711.ts";
export { PcmFrame, transcode } from "./codecs/pcm-frame.ts";
export { RtpParseError } from "./errors.ts";
export * from "./rtp/rtp-packet.ts";
