import { BlockList, isIP } from "node:net";
import { unmapIPv4 } from "../kernel/net.ts";
import { SmtpConfigError } from "./errors.ts";

/**
 * The peers allowed to hand mail to an SmtpReceiver: single addresses and CIDR prefixes, IPv4 and
 * IPv6 ("192.0.2.7", "10.20.0.0/16", "::1", "2001:db8::/32"). An IPv4 peer arriving on a
 * dual-stack socket as "::ffff:192.0.2.7" is matched in its IPv4 form.
 */
export class PeerAllowList {
  readonly #list = new BlockList();
  readonly #entries: readonly string[];

  constructor(entries: readonly string[]) {
    this.#entries = entries;
    for (const entry of entries) this.#add(entry.trim());
  }

  get entries(): readonly string[] {
    return this.#entries;
  }

  allows(address: string): boolean {
    const plain = unmapIPv4(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? "ipv4" : "ipv6");
  }

  #add(entry: string): void {
    const [address = "", prefixText, ...rest] = entry.split("/");
    const family = isIP(address);
    const type = family === 4 ? "ipv4" : "ipv6";
    const maxPrefix = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0) {
      throw new SmtpConfigError(
        `allowFrom entry ${JSON.stringify(entry)} is not an IP address or CIDR prefix`,
      );
    }
    if (prefixText === undefined) {
      this.#list.addAddress(address, type);
      return;
    }
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > maxPrefix) {
      throw new SmtpConfigError(
        `allowFrom entry ${JSON.stringify(entry)} has a prefix length outside 0-${maxPrefix}`,
      );
    }
    this.#list.addSubnet(address, prefix, type);
  }
}
