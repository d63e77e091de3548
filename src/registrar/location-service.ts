import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { Binding, BindingChange, BindingFeed, BindingStore } from "./binding.ts";

/**
 * How bindings reach the store, as Kamailio's usrloc `db_mode` 1 and 2: every change before the
 * REGISTER is answered ("write-through"), or batched and flushed in one transaction every
 * `flushIntervalMs` ("write-back": much cheaper under load; a crash loses at most that interval,
 * which phones repair at their next re-REGISTER).
 */
export type BindingPersistence = "write-through" | "write-back";

export interface LocationServiceOptions {
  store: BindingStore;
  clock: Clock;
  logger: Logger;
  persistence?: BindingPersistence;
  flushIntervalMs?: number;
  /** In a cluster: the other nodes' registrations, and where this node's go (cluster.redis). */
  feed?: BindingFeed;
}

/**
 * Where users can be reached now: the bindings of every AOR, in memory for lookups on the call
 * path, persisted to a BindingStore so a restart keeps them. Expired bindings are swept on the
 * injected clock.
 */
export class LocationService {
  readonly #o: LocationServiceOptions;
  readonly #store: BindingStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #persistence: BindingPersistence;
  readonly #flushIntervalMs: number;
  readonly #byAor = new Map<string, Map<string, Binding>>();
  /** write-back: the latest change per binding, waiting for the next flush. */
  #pending = new Map<string, BindingChange>();
  #flushTimer: TimerHandle | undefined;
  #sweep: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: LocationServiceOptions) {
    this.#o = options;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#persistence = options.persistence ?? "write-through";
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  /** Loads the persisted bindings and starts the expiry sweep. */
  async start(sweepIntervalMs = 10_000): Promise<number> {
    // Changes from other nodes from now on; the store has everything before.
    this.#unsubscribe = await this.#o.feed?.subscribe((change) => this.#apply(change));
    const bindings = await this.#store.load(this.#clock.now());
    for (const binding of bindings) this.#remember(binding);
    const tick = () => {
      this.#sweep = this.#clock.setTimer(sweepIntervalMs, () => {
        this.sweep().catch((error: unknown) => this.#logger.warn({ err: error }, "binding sweep failed"));
        tick();
      });
    };
    tick();
    return bindings.length;
  }

  /** Stops the sweep and writes whatever write-back still holds. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#sweep?.cancel();
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    await this.flush();
  }

  /** Writes the pending write-back changes in one transaction. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const changes = [...this.#pending.values()];
    this.#pending = new Map();
    await this.#store.apply(changes);
  }

  /** Live bindings of an AOR, best `q` first, then most recent. */
  lookup(aor: string): Binding[] {
    const now = this.#clock.now();
    const bindings = [...(this.#byAor.get(aor)?.values() ?? [])].filter((b) => b.expiresAt > now);
    return bindings.sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt);
  }

  /** Every live binding, for the registrations API and CLI. */
  all(): Binding[] {
    const now = this.#clock.now();
    return [...this.#byAor.values()].flatMap((m) => [...m.values()]).filter((b) => b.expiresAt > now);
  }

  get size(): number {
    let n = 0;
    for (const m of this.#byAor.values()) n += m.size;
    return n;
  }

  async save(binding: Binding): Promise<void> {
    if (this.#persistence === "write-through") await this.#store.save(binding);
    else this.#defer({ kind: "save", binding });
    this.#remember(binding);
    this.#o.feed?.publish({ kind: "save", binding });
  }

  async remove(aor: string, contact: string): Promise<void> {
    if (this.#persistence === "write-through") await this.#store.delete(aor, contact);
    else this.#defer({ kind: "delete", aor, contact });
    this.#forget(aor, contact);
    this.#o.feed?.publish({ kind: "delete", aor, contact });
  }

  /** A change another node made: memory only (that node wrote the store). */
  #apply(change: BindingChange): void {
    if (change.kind === "save") this.#remember(change.binding);
    else this.#forget(change.aor, change.contact);
  }

  #forget(aor: string, contact: string): void {
    const bindings = this.#byAor.get(aor);
    bindings?.delete(contact);
    if (bindings?.size === 0) this.#byAor.delete(aor);
  }

  /** Removes expired bindings from memory and from the store. */
  async sweep(): Promise<number> {
    const now = this.#clock.now();
    const expired = [...this.#byAor.values()]
      .flatMap((m) => [...m.values()])
      .filter((b) => b.expiresAt <= now);
    for (const binding of expired) await this.remove(binding.aor, binding.contact);
    if (expired.length > 0) this.#logger.debug({ expired: expired.length }, "bindings expired");
    return expired.length;
  }

  #defer(change: BindingChange): void {
    const key =
      change.kind === "save"
        ? `${change.binding.aor} ${change.binding.contact}`
        : `${change.aor} ${change.contact}`;
    this.#pending.set(key, change);
    this.#flushTimer ??= this.#clock.setTimer(this.#flushIntervalMs, () => {
      this.#flushTimer = undefined;
      this.flush().catch((error: unknown) => this.#logger.error({ err: error }, "binding flush failed"));
    });
  }

  #remember(binding: Binding): void {
    let bindings = this.#byAor.get(binding.aor);
    if (!bindings) {
      bindings = new Map();
      this.#byAor.set(binding.aor, bindings);
    }
    bindings.set(binding.contact, binding);
  }
}
