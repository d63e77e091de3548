import { SipParseError } from "../../errors.ts";
import { formatParams, parseParams } from "../scanner.ts";
import { isValidHost } from "../sip-uri.ts";

/** The magic cookie that marks an RFC 3261 branch (§8.1.1.7). */
export const BRANCH_COOKIE = "z9hG4bK";

/**
 * One Via value, RFC 3261 §20.42 / §18.2.1, with RFC 3581 `rport`:
 * `SIP/2.0/UDP host:port;branch=z9hG4bK…;received=…;rport=…`.
 */
export class Via {
  protocol: string;
  transport: string;
  host: string;
  port: number | undefined;
  params: Map<string, string | null>;

  constructor(init: {
    transport: string;
    host: string;
    port?: number;
    params?: Map<string, string | null>;
    protocol?: string;
  }) {
    this.protocol = init.protocol ?? "SIP/2.0";
    this.transport = init.transport.toUpperCase();
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Map();
  }

  static parse(text: string): Via {
    const fail = (reason: string): never => {
      throw new SipParseError("Bad Via", reason);
    };
    const match =
      /^\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([0-9.]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;]+?)\s*(;.*)?$/s.exec(
        text,
      );
    if (!match) return fail("expected SIP/2.0/<transport> <host>[:port]");
    const [, name, version, transport, hostport, paramText] = match as unknown as string[];
    let host: string;
    let portText: string | undefined;
    const hp = (hostport as string).replace(/\s*:\s*/, ":");
    if (hp.startsWith("[")) {
      const close = hp.indexOf("]");
      host = hp.slice(0, close + 1);
      const after = hp.slice(close + 1);
      if (close < 0 || (after !== "" && !after.startsWith(":"))) fail("bad IPv6 reference");
      portText = after === "" ? undefined : after.slice(1);
    } else {
      const c = hp.indexOf(":");
      host = c < 0 ? hp : hp.slice(0, c);
      portText = c < 0 ? undefined : hp.slice(c + 1);
    }
    if (!isValidHost(host)) fail(`bad sent-by host ${JSON.stringify(host)}`);
    let port: number | undefined;
    if (portText !== undefined) {
      if (!/^\d+$/.test(portText) || Number(portText) > 65535 || Number(portText) === 0)
        fail("bad sent-by port");
      port = Number(portText);
    }
    const params = parseParams(paramText ?? "", "Via", fail);
    const rport = params.get("rport");
    if (rport !== undefined && rport !== null && !/^\d{1,5}$/.test(rport)) fail("bad rport");
    return new Via({
      protocol: `${(name as string).toUpperCase()}/${version}`,
      transport: transport as string,
      host,
      port,
      params,
    });
  }

  get branch(): string | undefined {
    return this.params.get("branch") ?? undefined;
  }

  /** True when the branch carries the RFC 3261 magic cookie (§17.2.3 matching applies). */
  get hasRfc3261Branch(): boolean {
    return this.branch?.startsWith(BRANCH_COOKIE) ?? false;
  }

  get received(): string | undefined {
    return this.params.get("received") ?? undefined;
  }

  /** `undefined`: no rport; `null`: rport asked for (RFC 3581 §3); number: filled in. */
  get rport(): number | null | undefined {
    if (!this.params.has("rport")) return undefined;
    const value = this.params.get("rport");
    return value === null || value === undefined ? null : Number(value);
  }

  clone(): Via {
    return new Via({ ...this, params: new Map(this.params) });
  }

  toString(): string {
    const port = this.port === undefined ? "" : `:${this.port}`;
    return `${this.protocol}/${this.transport} ${this.host}${port}${formatParams(this.params)}`;
  }
}
