/** SIP transports Parley speaks (RFC 3261 §18, RFC 7118 for WebSocket). */
export type SipProtocol = "udp" | "tcp" | "tls" | "ws" | "wss";

/** Where a message came from, or where one goes. */
export interface RemoteAddress {
  protocol: SipProtocol;
  address: string;
  port: number;
  /** The connection it arrived on, for stream transports (RFC 5626 flow). */
  flowId?: string;
}

export function isReliable(protocol: SipProtocol): boolean {
  return protocol !== "udp";
}

/** "[2001:db8::1]" → "2001:db8::1" (an address as sockets take it). */
export function addressForSocket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
