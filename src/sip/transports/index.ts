export { addressForSocket, isReliable, type RemoteAddress, type SipProtocol } from "./remote-address.ts";
export {
  type ReplyPath,
  type SipListenAddresses,
  SipTransportLayer,
  type SipTransportLayerOptions,
  type TransportUser,
} from "./sip-transport-layer.ts";
export { type FramedChunk, StreamFramer } from "./stream-framer.ts";
export { type SipConnection, TcpTransport } from "./tcp-transport.ts";
export { UdpTransport } from "./udp-transport.ts";
export { WsTransport } from "./ws-transport.ts";
