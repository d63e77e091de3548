import { newBranch } from "../transactions/index.ts";
import type { RemoteAddress, SipListenAddresses, SipProtocol } from "../transports/index.ts";

/**
 * What Parley writes about itself into requests and responses it originates: the Via sent-by
 * (RFC 3261 §18.1.1, with RFC 3581 `rport`) and the Contact URI (§8.1.1.8), per transport. The
 * host is the advertised address (sip.advertised_address), since a wildcard bind address means
 * nothing to a peer.
 */
export class LocalAddress {
  readonly host: string;
  readonly #ports: Partial<Record<SipProtocol, number>>;

  constructor(host: string, listening: SipListenAddresses) {
    this.host = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    this.#ports = {
      udp: listening.udp?.port,
      tcp: listening.tcp?.port,
      tls: listening.tls?.port,
      ws: listening.ws?.port,
      wss: listening.ws?.port,
    };
  }

  port(protocol: SipProtocol): number {
    return this.#ports[protocol] ?? this.#ports.udp ?? this.#ports.tcp ?? 5060;
  }

  /** A top Via for a new client transaction towards `target`, with a fresh RFC 3261 branch. */
  via(target: Pick<RemoteAddress, "protocol">, branch = newBranch()): string {
    const transport = target.protocol.toUpperCase();
    return `SIP/2.0/${transport} ${this.host}:${this.port(target.protocol)};rport;branch=${branch}`;
  }

  /**
   * `<sip:user@host:port;transport=…>` for the transport a peer uses to reach us (a `sip:` URI with
   * `transport=tls` rather than `sips:`, which phones accept more widely).
   */
  contact(protocol: SipProtocol, user?: string): string {
    const userPart = user ? `${user}@` : "";
    const transport = protocol === "udp" ? "" : `;transport=${protocol}`;
    return `<sip:${userPart}${this.host}:${this.port(protocol)}${transport}>`;
  }
}
