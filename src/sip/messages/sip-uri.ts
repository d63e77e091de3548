import { SipParseError } from "../errors.ts";
import { formatParams, parseParams } from "./scanner.ts";

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6_REFERENCE = /^\[[0-9A-Fa-f:.]+\]$/;
/** unreserved / escaped / user-unreserved (RFC 3261 §25.1). */
const USER = /^([A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD = /^([A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;

function fail(reason: string): never {
  throw new SipParseError("Bad URI", reason);
}

/** A host as written in SIP: name, IPv4 literal or bracketed IPv6 reference. */
export function isValidHost(host: string): boolean {
  if (IPV6_REFERENCE.test(host)) return host.includes(":");
  if (IPV4.test(host)) return host.split(".").every((n) => Number(n) <= 255);
  return HOSTNAME.test(host);
}

/**
 * SIP and SIPS URIs, RFC 3261 §19.1:
 * `sip:user:password@host:port;uri-parameters?headers`. The user part is kept as written
 * (escapes included) so a URI re-serializes byte for byte; `decodedUser` compares as §19.1.4 says.
 */
export class SipUri {
  readonly kind = "sip" as const;
  scheme: "sip" | "sips";
  user: string | undefined;
  password: string | undefined;
  host: string;
  port: number | undefined;
  params: Map<string, string | null>;
  headers: string | undefined;

  constructor(init: {
    scheme?: "sip" | "sips";
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params?: Map<string, string | null>;
    headers?: string;
  }) {
    this.scheme = init.scheme ?? "sip";
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Map();
    this.headers = init.headers;
  }

  static parse(text: string): SipUri {
    const colon = text.indexOf(":");
    const scheme = text.slice(0, colon).toLowerCase();
    if (colon < 0 || (scheme !== "sip" && scheme !== "sips")) fail(`not a SIP URI: ${text}`);
    let rest = text.slice(colon + 1);
    if (/[\s<>"]/.test(rest)) fail("whitespace or delimiter inside the URI");
    let user: string | undefined;
    let password: string | undefined;
    const at = rest.indexOf("@");
    const question = rest.indexOf("?");
    if (at >= 0 && (question < 0 || at < question)) {
      const userinfo = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const pw = userinfo.indexOf(":");
      user = pw < 0 ? userinfo : userinfo.slice(0, pw);
      password = pw < 0 ? undefined : userinfo.slice(pw + 1);
      if (!USER.test(user)) fail("bad user part");
      if (password !== undefined && !PASSWORD.test(password)) fail("bad password");
    }
    let headers: string | undefined;
    const q = rest.indexOf("?");
    if (q >= 0) {
      headers = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
    const semi = rest.indexOf(";");
    const hostport = semi < 0 ? rest : rest.slice(0, semi);
    const params = parseParams(semi < 0 ? "" : rest.slice(semi), "URI", fail);
    let host: string;
    let portText: string | undefined;
    if (hostport.startsWith("[")) {
      const close = hostport.indexOf("]");
      if (close < 0) fail("unterminated IPv6 reference");
      host = hostport.slice(0, close + 1);
      const after = hostport.slice(close + 1);
      if (after !== "" && !after.startsWith(":")) fail("text after IPv6 reference");
      portText = after === "" ? undefined : after.slice(1);
    } else {
      const c = hostport.lastIndexOf(":");
      host = c < 0 ? hostport : hostport.slice(0, c);
      portText = c < 0 ? undefined : hostport.slice(c + 1);
    }
    if (!isValidHost(host)) fail(`bad host ${JSON.stringify(host)}`);
    let port: number | undefined;
    if (portText !== undefined) {
      if (!/^\d+$/.test(portText) || Number(portText) > 65535) fail("bad port");
      port = Number(portText);
    }
    return new SipUri({ scheme, user, password, host, port, params, headers });
  }

  /** The user part with %XX escapes decoded (RFC 3261 §19.1.4 comparison). */
  get decodedUser(): string | undefined {
    if (this.user === undefined) return undefined;
    try {
      return decodeURIComponent(this.user);
    } catch {
      return this.user;
    }
  }

  /** `transport` URI parameter, lower case. */
  get transport(): string | undefined {
    return this.params.get("transport")?.toLowerCase() ?? undefined;
  }

  clone(): SipUri {
    return new SipUri({ ...this, params: new Map(this.params) });
  }

  toString(): string {
    let out = `${this.scheme}:`;
    if (this.user !== undefined)
      out += this.password === undefined ? `${this.user}@` : `${this.user}:${this.password}@`;
    out += this.host;
    if (this.port !== undefined) out += `:${this.port}`;
    out += formatParams(this.params);
    if (this.headers !== undefined) out += `?${this.headers}`;
    return out;
  }
}

/** tel URIs, RFC 3966: `tel:+1-201-555-0123;ext=12` or a local number with phone-context. */
export class TelUri {
  readonly kind = "tel" as const;
  readonly scheme = "tel" as const;
  number: string;
  params: Map<string, string | null>;

  constructor(number: string, params = new Map<string, string | null>()) {
    this.number = number;
    this.params = params;
  }

  static parse(text: string): TelUri {
    if (!/^tel:/i.test(text)) fail(`not a tel URI: ${text}`);
    const rest = text.slice(4);
    const semi = rest.indexOf(";");
    const number = semi < 0 ? rest : rest.slice(0, semi);
    const params = parseParams(semi < 0 ? "" : rest.slice(semi), "tel URI", fail);
    const global = /^\+[0-9\-.()]*[0-9][0-9\-.()]*$/.test(number);
    const local = /^[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*$/.test(number);
    if (!global && !local) fail("bad telephone number");
    if (!global && !params.has("phone-context")) fail("a local tel number needs phone-context");
    return new TelUri(number, params);
  }

  /** Digits only, with a leading + for global numbers: "+1-201-555-0123" → "+12015550123". */
  get digits(): string {
    return this.number.replace(/[-.()]/g, "");
  }

  toString(): string {
    return `tel:${this.number}${formatParams(this.params)}`;
  }
}

/** Any other absolute URI (http:, urn:, mailto: …), kept as written; a UAS answers 416 to it. */
export class AbsoluteUri {
  readonly kind = "absolute" as const;
  readonly scheme: string;
  readonly text: string;

  constructor(text: string) {
    const match = /^([A-Za-z][A-Za-z0-9+.-]*):\S+$/.exec(text);
    if (!match) fail(`not a URI: ${JSON.stringify(text)}`);
    this.scheme = (match[1] as string).toLowerCase();
    this.text = text;
  }

  toString(): string {
    return this.text;
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

/** Parses any URI a SIP message can carry, choosing the class by scheme. */
export function parseUri(text: string): Uri {
  const scheme = text.slice(0, text.indexOf(":")).toLowerCase();
  if (scheme === "sip" || scheme === "sips") return SipUri.parse(text);
  if (scheme === "tel") return TelUri.parse(text);
  return new AbsoluteUri(text);
}
