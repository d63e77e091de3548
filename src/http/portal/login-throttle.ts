import type { Clock } from "../../kernel/clock.ts";

export interface LoginThrottleOptions {
  clock: Clock;
  /** Failures allowed within the window, per account and per source address. */
  maxFailures: number;
  windowMs: number;
  /** Keys tracked at most; beyond it the oldest are dropped (a flood of addresses cannot grow memory). */
  maxKeys?: number;
}

/**
 * Login rate limiting: failed logins are counted per account and per source address over a sliding
 * window on the injected Clock. Once either reaches `maxFailures`, further attempts are refused
 * without checking the password until the oldest failure leaves the window. A success clears the
 * account's failures (not the address's). In-process: each node counts its own attempts.
 */
export class LoginThrottle {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: LoginThrottleOptions) {
    this.#clock = options.clock;
    this.#max = options.maxFailures;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Whether attempts for this account or from this address are refused now. */
  blocked(account: string, address: string): boolean {
    return this.#count(`account:${account}`) >= this.#max || this.#count(`address:${address}`) >= this.#max;
  }

  failed(account: string, address: string): void {
    this.#add(`account:${account}`);
    this.#add(`address:${address}`);
  }

  succeeded(account: string): void {
    this.#failures.delete(`account:${account}`);
  }

  #count(key: string): number {
    const list = this.#failures.get(key);
    if (!list) return 0;
    const since = this.#clock.now() - this.#windowMs;
    const recent = list.filter((at) => at > since);
    if (recent.length === 0) this.#failures.delete(key);
    else if (recent.length !== list.length) this.#failures.set(key, recent);
    return recent.length;
  }

  #add(key: string): void {
    this.#count(key);
    const list = this.#failures.get(key) ?? [];
    list.push(this.#clock.now());
    // Re-inserting keeps the Map in last-failure order, so the first key is the stalest.
    this.#failures.delete(key);
    this.#failures.set(key, list.slice(-this.#max));
    while (this.#failures.size > this.#maxKeys) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }
}
