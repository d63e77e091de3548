/**
 * One registration binding (RFC 3261 §10): an address-of-record bound to a contact, with what a
 * NATed phone needs to be reached again: the address the REGISTER really came from (`source`)
 * and the Path it was proxied through (RFC 3327).
 */
export interface Binding {
  /** `sip:user@domain`, lower-case host. */
  aor: string;
  /** The Contact URI as the phone gave it. */
  contact: string;
  /** Contact preference, 0 to 1 (the `q` parameter). */
  q: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from: requests for this contact go there (the Contact may be a private address). */
  source: { protocol: string; address: string; port: number; flowId?: string };
  /** Path header values, in order (RFC 3327). */
  path: string[];
  userAgent?: string;
  /** `+sip.instance` (RFC 5626), when the phone sent one. */
  instanceId?: string;
  registeredAt: number;
}

/** One pending change for a batched (write-back) flush. */
export type BindingChange =
  | { kind: "save"; binding: Binding }
  | { kind: "delete"; aor: string; contact: string };

/**
 * Changes made by the other nodes of a cluster (RFC 3261 §10.3 bindings registered there), so
 * every node's location service can route to every registered phone. Each change is published
 * by the node that made it and delivered to the others, not back to it.
 */
export interface BindingFeed {
  publish(change: BindingChange): void;
  /** Resolves once changes are being received; the returned function stops them. */
  subscribe(listener: (change: BindingChange) => void): Promise<() => void>;
}

/** Persistence behind the in-memory location service (read once at start). */
export interface BindingStore {
  /** Every binding that has not expired at `now`. */
  load(now: number): Promise<Binding[]>;
  save(binding: Binding): Promise<void>;
  delete(aor: string, contact: string): Promise<void>;
  /** Applies many changes in one transaction (write-back flushes). */
  apply(changes: readonly BindingChange[]): Promise<void>;
}

/** A BindingStore that keeps nothing across restarts (tests, or when persistence is not wanted). */
export class MemoryBindingStore implements BindingStore {
  readonly #rows = new Map<string, Binding>();

  async load(now: number): Promise<Binding[]> {
    return [...this.#rows.values()].filter((b) => b.expiresAt > now).map((b) => ({ ...b }));
  }

  async save(binding: Binding): Promise<void> {
    this.#rows.set(`${binding.aor} ${binding.contact}`, { ...binding });
  }

  async delete(aor: string, contact: string): Promise<void> {
    this.#rows.delete(`${aor} ${contact}`);
  }

  async apply(changes: readonly BindingChange[]): Promise<void> {
    for (const change of changes) {
      if (change.kind === "save") await this.save(change.binding);
      else await this.delete(change.aor, change.contact);
    }
  }
}
