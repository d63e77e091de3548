import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { DigestClient, NameAddr, type RemoteAddress, SipUri } from "../../sip/index.ts";
import type { OutboundTarget } from "../legs/outbound-leg.ts";

/** A trunk as configured ([[trunks]]), in call control's words. */
export interface TrunkSettings {
  name: string;
  host: string;
  port: number;
  transport: "udp" | "tcp";
  username: string;
  password: string;
  register: boolean;
  registerExpires: number;
  prefixes: readonly string[];
  strip: number;
  prepend: string;
  callerId: string;
  fromDomain: string;
}

/**
 * One SIP trunk to a provider: where its server is (resolved once at start), which numbers it
 * carries, how numbers are rewritten for it, the caller ID it presents, and its digest
 * credentials. It turns a dialled number into the INVITE target for the provider.
 */
export class Trunk {
  readonly settings: TrunkSettings;
  readonly credentials: DigestClient | undefined;
  #address: string;

  constructor(settings: TrunkSettings) {
    this.settings = settings;
    this.#address = settings.host;
    this.credentials =
      settings.username === ""
        ? undefined
        : new DigestClient({ username: settings.username, password: settings.password });
  }

  get name(): string {
    return this.settings.name;
  }

  /** The provider's address for sending (its host resolved to an IP address). */
  get target(): RemoteAddress {
    return { protocol: this.settings.transport, address: this.#address, port: this.settings.port };
  }

  /** Resolves the host name (once; providers that move need a restart, as with Asterisk's pjsip). */
  async resolve(): Promise<void> {
    if (isIP(this.settings.host) !== 0) return;
    this.#address = (await lookup(this.settings.host)).address;
  }

  /** Whether a request from `address` came from this provider (inbound calls need no digest). */
  isSource(address: string): boolean {
    return address === this.#address;
  }

  /** The longest of this trunk's prefixes that `number` starts with, or -1. */
  matchLength(number: string): number {
    let best = -1;
    for (const prefix of this.settings.prefixes)
      if (number.startsWith(prefix) && prefix.length > best) best = prefix.length;
    return best;
  }

  /** The number as the provider wants it (strip, then prepend). */
  rewrite(number: string): string {
    return this.settings.prepend + number.slice(this.settings.strip);
  }

  /**
   * The INVITE towards the provider for `number`: Request-URI and To carry the rewritten number,
   * From the caller ID (the trunk's, else the caller's own number), and P-Asserted-Identity
   * (RFC 3325) the same, since Parley vouches for its users towards the provider.
   */
  outbound(number: string, caller: { number: string; name?: string }): OutboundTarget {
    const s = this.settings;
    const dialled = this.rewrite(number);
    const host = s.host;
    const uri = new SipUri({
      user: dialled,
      host,
      port: s.port,
      ...(s.transport === "tcp" ? { params: new Map([["transport", "tcp"]]) } : {}),
    });
    const presented = s.callerId || caller.number;
    const fromUri = new SipUri({ user: presented, host: s.fromDomain || host });
    const from = new NameAddr(fromUri, caller.name ? { displayName: caller.name } : {});
    return {
      uri,
      target: this.target,
      from,
      to: new NameAddr(new SipUri({ user: dialled, host })),
      headers: [["P-Asserted-Identity", `<${fromUri.toString()}>`]],
      ...(this.credentials ? { credentials: this.credentials } : {}),
    };
  }
}

/** Picks the trunk for a number: the longest matching prefix over all trunks (first listed on a tie). */
export function trunkFor(trunks: readonly Trunk[], number: string): Trunk | undefined {
  let best: Trunk | undefined;
  let length = -1;
  for (const trunk of trunks) {
    const match = trunk.matchLength(number);
    if (match > length) {
      best = trunk;
      length = match;
    }
  }
  return best;
}
