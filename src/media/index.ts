/** The media engine's public surface (so far: RTP packets and G.711); nothing outside media/ imports deeper. */

export {
  type AmdOptions,
  type AmdReason,
  type AmdState,
  type AmdVerdict,
  AnsweringMachineDetector,
  DEFAULT_AMD_OPTIONS,
} from "./analysis/answering-machine-detector.ts";
export { AudioTap, type AudioTapOptions } from "./analysis/audio-tap.ts";
export { BeepDetector, type BeepDetectorOptions } from "./analysis/beep-detector.ts";
export { ConferenceMixer, type ConferenceTap } from "./bridges/conference-mixer.ts";
export { RelayBridge } from "./bridges/relay-bridge.ts";
export { type VideoEndpoint, VideoRelay } from "./bridges/video-relay.ts";
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
export * from "./dtmf/dtmf-relay.ts";
export * from "./dtmf/telephone-event.ts";
export { DtmfParseError, RtpParseError, SdpError, WavError } from "./errors.ts";
export * from "./formats/narrowband-audio.ts";
export { readWav, type WavAudio } from "./formats/wav-reader.ts";
export { WAV_HEADER_BYTES, WavWriter, type WavWriterOptions, wavHeader } from "./formats/wav-writer.ts";
export type { MediaEndpoint } from "./media-endpoint.ts";
export {
  MediaEngine,
  type MediaEngineOptions,
  type OwnedEndpoint,
  type OwnedVideoEndpoint,
  type PendingOffer,
} from "./media-engine.ts";
export { MediaTicker } from "./media-ticker.ts";
export { PlayoutBuffer } from "./rtp/playout-buffer.ts";
export { MediaPortsExhaustedError, PortAllocator } from "./rtp/port-allocator.ts";
export * from "./rtp/rtp-packet.ts";
export {
  type RemoteEndpoint,
  RtpSession,
  type RtpSessionEvents,
  type RtpSessionOptions,
} from "./rtp/rtp-session.ts";
export { RtpSocket, type RtpSocketOptions } from "./rtp/rtp-socket.ts";
export {
  type AnswerReading,
  type AnswerResult,
  answerOffer,
  createOffer,
  hold,
  intersectDirections,
  type LocalMedia,
  mirrorDirection,
  type NegotiatedAudio,
  readAnswer,
  resume,
  TELEPHONE_EVENT_PAYLOAD_TYPE,
} from "./sdp/negotiate.ts";
export {
  type MediaDirection,
  MediaLine,
  type PayloadFormat,
  type SdpMediaObject,
  SessionDescription,
  type TransportAddress,
} from "./sdp/session-description.ts";
export { activeVideo, videoAnswerLine, videoOfferLine } from "./sdp/video-passthrough.ts";
export { ConferenceRecorder } from "./sinks/conference-recorder.ts";
export { Recorder, type RecorderOptions } from "./sinks/recorder.ts";
export { Player, type PlayerEvents, type PlayItem, type PlayOptions } from "./sources/player.ts";
export * from "./sources/tone-generator.ts";
