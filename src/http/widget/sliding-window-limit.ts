import type { Clock } from "../../kernel/clock.ts";

export interface SlidingWindowLimitOptions {
  clock: Clock;
  /** Events allowed per key within the window. */
  max: number;
  windowMs: number;
  /** Keys tracked at most; beyond it the stalest are dropped (a flood of keys cannot grow memory). */
  maxKeys?: number;
}

/**
 * A rate limit over a sliding window on the injected Clock: each key (a source address, a phone
 * number) may record `max` events within any `windowMs`. No timers: old events are dropped when a
 * key is next looked at. In-process: each node counts its own.
 */
export class SlidingWindowLimit {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #events = new Map<string, number[]>();

  constructor(options: SlidingWindowLimitOptions) {
    this.#clock = options.clock;
    this.#max = options.max;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Milliseconds until this key may record another event; 0 when it may now. */
  waitMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.#max) return 0;
    const oldest = recent[recent.length - this.#max] ?? this.#clock.now();
    return Math.max(1, oldest + this.#windowMs - this.#clock.now());
  }

  record(key: string): void {
    const list = [...this.#recent(key), this.#clock.now()].slice(-Math.max(1, this.#max));
    // Re-inserting keeps the Map in last-event order, so the first key is the stalest.
    this.#events.delete(key);
    this.#events.set(key, list);
    while (this.#events.size > this.#maxKeys) {
      const stalest = this.#events.keys().next().value;
      if (stalest === undefined) break;
      this.#events.delete(stalest);
    }
  }

  #recent(key: string): number[] {
    const list = this.#events.get(key);
    if (!list) return [];
    const since = this.#clock.now() - this.#windowMs;
    const recent = list.filter((at) => at > since);
    if (recent.length === 0) this.#events.delete(key);
    else if (recent.length !== list.length) this.#events.set(key, recent);
    return recent;
  }
}
