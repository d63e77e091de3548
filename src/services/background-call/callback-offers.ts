/**
 * The detection step of service 3, on the server so that it works with any phone: a caller whose
 * calls to the same callee go unanswered `threshold` times in a row within `windowMs` is offered a
 * background call once; a connected call resets the count. An offer stays open for `windowMs`.
 */
export class CallbackOffers {
  readonly #o: { threshold: number; windowMs: number };
  readonly #misses = new Map<string, { count: number; since: number }>();
  readonly #open = new Map<string, { callee: string; at: number }>();

  constructor(options: { threshold: number; windowMs: number }) {
    this.#o = options;
  }

  /** Counts a miss; true exactly when this miss reaches the threshold (the moment to offer). */
  missed(caller: string, callee: string, at: number): boolean {
    const key = `${caller}\n${callee}`;
    const seen = this.#misses.get(key);
    const fresh = !seen || at - seen.since > this.#o.windowMs;
    const count = fresh ? 1 : seen.count + 1;
    this.#misses.set(key, { count, since: fresh ? at : seen.since });
    if (this.#misses.size > 100_000) this.#misses.clear();
    if (this.#o.threshold <= 0 || count !== this.#o.threshold) return false;
    this.#open.set(caller, { callee, at });
    return true;
  }

  connected(caller: string, callee: string): void {
    this.#misses.delete(`${caller}\n${callee}`);
  }

  /** Takes the caller's open offer (a YES reply): the callee, or undefined when none is open. */
  accept(caller: string, at: number): string | undefined {
    const offer = this.#open.get(caller);
    this.#open.delete(caller);
    if (!offer || at - offer.at > this.#o.windowMs) return undefined;
    this.#misses.delete(`${caller}\n${offer.callee}`);
    return offer.callee;
  }

  hasOffer(caller: string): boolean {
    return this.#open.has(caller);
  }
}
