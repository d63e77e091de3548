import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { Binding, BindingStore } from "./binding.ts";

/**
 * Where users can be reached now: the bindings of every AOR, in memory for lookups on the call
 * path, written through to a BindingStore so a restart keeps them. Expired bindings are swept on
 * the injected clock.
 */
export class LocationService {
  readonly #store: BindingStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #byAor = new Map<string, Map<string, Binding>>();
  #sweep: TimerHandle | undefined;

  constructor(options: { store: BindingStore; clock: Clock; logger: Logger }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /** Loads the persisted bindings and starts the expiry sweep. */
  async start(sweepIntervalMs = 10_000): Promise<number> {
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

  stop(): void {
    this.#sweep?.cancel();
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
    await this.#store.save(binding);
    this.#remember(binding);
  }

  async remove(aor: string, contact: string): Promise<void> {
    await this.#store.delete(aor, contact);
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

  #remember(binding: Binding): void {
    let bindings = this.#byAor.get(binding.aor);
    if (!bindings) {
      bindings = new Map();
      this.#byAor.set(binding.aor, bindings);
    }
    bindings.set(binding.contact, binding);
  }
}
