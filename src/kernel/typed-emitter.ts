/** Maps event names to their listener argument tuples, e.g. `{ packet: [Buffer]; timeout: [] }`. */
export type EventMap = Record<string, unknown[]>;

interface Registration {
  listener: (...args: unknown[]) => void;
  once: boolean;
}

/**
 * A small event emitter whose event names and arguments are typed. `safeEmit` calls every
 * listener even when one throws; the error goes to `onListenerError` (usually a logger) instead of
 * up into the socket handler that emitted, as mediasoup's enhancedEvents does.
 */
export class TypedEmitter<Events extends EventMap> {
  readonly #listeners = new Map<keyof Events, Registration[]>();
  onListenerError: (error: unknown, event: string) => void = () => {};

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return this.#add(event, listener as (...args: unknown[]) => void, false);
  }

  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return this.#add(event, listener as (...args: unknown[]) => void, true);
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    const list = this.#listeners.get(event);
    if (list)
      this.#listeners.set(
        event,
        list.filter((r) => r.listener !== (listener as unknown)),
      );
    return this;
  }

  safeEmit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return;
    if (list.some((r) => r.once))
      this.#listeners.set(
        event,
        list.filter((r) => !r.once),
      );
    for (const { listener } of list) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  listenerCount(event: keyof Events & string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  #add(event: keyof Events, listener: (...args: unknown[]) => void, once: boolean): this {
    const list = this.#listeners.get(event) ?? [];
    list.push({ listener, once });
    this.#listeners.set(event, list);
    return this;
  }
}
