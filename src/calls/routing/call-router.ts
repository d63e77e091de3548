import type { Binding, LocationService } from "../../registrar/index.ts";
import { NameAddr, parseUri, type RemoteAddress, SipUri } from "../../sip/index.ts";
import type { HangupCause } from "../legs/hangup-cause.ts";
import type { OutboundTarget } from "../legs/outbound-leg.ts";
import type { DialTarget } from "../service-api/call-session.ts";
import { type Trunk, trunkFor } from "./trunk.ts";

/** A subscriber as call control needs one (the directory behind it is the node's business). */
export interface Subscriber {
  extension: string;
  domain: string;
  displayName: string;
  phoneNumbers: readonly string[];
  /** The services the user subscribes to (recording, voicemail …). */
  features: Readonly<Record<string, boolean>>;
}

/** The port through which call control finds subscribers (implemented over the directory by node/). */
export interface Subscribers {
  byExtension(extension: string, domain: string): Promise<Subscriber | undefined>;
  /** The user that owns an E.164 number (a DID). */
  byNumber(number: string): Promise<Subscriber | undefined>;
}

export type RouteResult =
  | { kind: "user"; subscriber: Subscriber; targets: OutboundTarget[] }
  | { kind: "trunk"; trunk: Trunk; targets: OutboundTarget[] }
  | { kind: "failed"; cause: HangupCause; subscriber?: Subscriber };

/** Who is calling, for the permission to use trunks and the caller ID shown there. */
export interface RouteCaller {
  /** Only authenticated users and server-placed calls may reach a trunk (no open relay). */
  mayUseTrunks: boolean;
  /** Number presented to the far end when the trunk has no caller ID of its own. */
  number: string;
  name?: string;
}

/**
 * Turns what a service dials into INVITE targets (the dial plan): a local user rings on every
 * registered contact, reached at the address each REGISTER came from (and through its Path,
 * RFC 3327); a number owned by a user rings that user. Numbers owned by nobody go to a trunk
 * once trunks are configured; until then they fail with NO_ROUTE_DESTINATION.
 */
export class CallRouter {
  readonly #location: LocationService;
  readonly #subscribers: Subscribers;
  readonly #defaultDomain: string;
  readonly trunks: readonly Trunk[];

  constructor(options: {
    location: LocationService;
    subscribers: Subscribers;
    defaultDomain: string;
    trunks?: readonly Trunk[];
  }) {
    this.#location = options.location;
    this.#subscribers = options.subscribers;
    this.#defaultDomain = options.defaultDomain;
    this.trunks = options.trunks ?? [];
  }

  get subscribers(): Subscribers {
    return this.#subscribers;
  }

  /** The trunk a request from `address` came from, if any. */
  trunkAt(address: string): Trunk | undefined {
    return this.trunks.find((trunk) => trunk.isSource(address));
  }

  get defaultDomain(): string {
    return this.#defaultDomain;
  }

  /**
   * Where a dialled target goes: a local user (their registered phones), else for a number the
   * trunk with the longest matching prefix, when the caller may use trunks.
   */
  async route(target: DialTarget, from: NameAddr, caller?: RouteCaller): Promise<RouteResult> {
    const subscriber =
      target.kind === "user"
        ? await this.#subscribers.byExtension(target.extension, target.domain ?? this.#defaultDomain)
        : ((await this.#subscribers.byNumber(normalizeNumber(target.number))) ??
          (await this.#subscribers.byExtension(target.number, this.#defaultDomain)));
    if (!subscriber) {
      if (target.kind === "user") return { kind: "failed", cause: "UNALLOCATED_NUMBER" };
      const number = normalizeNumber(target.number);
      const trunk = trunkFor(this.trunks, number);
      if (!trunk || !caller?.mayUseTrunks) return { kind: "failed", cause: "NO_ROUTE_DESTINATION" };
      return { kind: "trunk", trunk, targets: [trunk.outbound(number, caller)] };
    }
    const aor = `sip:${subscriber.extension}@${subscriber.domain}`;
    const bindings = this.#location.lookup(aor);
    if (bindings.length === 0) return { kind: "failed", cause: "SUBSCRIBER_ABSENT", subscriber };
    const to = new NameAddr(
      SipUri.parse(aor),
      subscriber.displayName ? { displayName: subscriber.displayName } : {},
    );
    return { kind: "user", subscriber, targets: bindings.map((binding) => bindingTarget(binding, from, to)) };
  }
}

/** An INVITE to one registered contact: Request-URI = the Contact, sent to where the phone registered from. */
function bindingTarget(binding: Binding, from: NameAddr, to: NameAddr): OutboundTarget {
  const target: RemoteAddress = {
    protocol: binding.source.protocol as RemoteAddress["protocol"],
    address: binding.source.address,
    port: binding.source.port,
    ...(binding.source.flowId === undefined ? {} : { flowId: binding.source.flowId }),
  };
  const extension = to.uri instanceof SipUri ? to.uri.decodedUser : undefined;
  const domain = to.uri instanceof SipUri ? to.uri.host : undefined;
  return {
    uri: parseUri(binding.contact),
    target,
    from,
    to,
    route: binding.path,
    device: {
      ...(extension ? { extension } : {}),
      ...(domain ? { domain } : {}),
      ...(binding.userAgent ? { userAgent: binding.userAgent } : {}),
    },
  };
}

/** A dialled number as stored in the directory: a leading + and the digits ("+49 30 1234-56" → "+4930123456"). */
export function normalizeNumber(number: string): string {
  const trimmed = number.trim();
  return (trimmed.startsWith("+") ? "+" : "") + trimmed.replace(/[^0-9]/g, "");
}

/**
 * What a dialled string means: five or more digits (with an optional +) are a number (a DID of a
 * user, or for a trunk); anything shorter or with letters is an extension.
 */
export function dialTarget(dialled: string): DialTarget {
  return /^\+?[0-9]{5,}$/.test(dialled)
    ? { kind: "number", number: dialled }
    : { kind: "user", extension: dialled };
}
