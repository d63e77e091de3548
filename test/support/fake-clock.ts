import type { Clock, TimerHandle } from "../../src/kernel/clock.ts";

/** A Clock that only moves when a test says so; timers fire in time order inside advance(). */
export class FakeClock implements Clock {
  #now: number;
  #monotonic = 0;
  #timers: Array<{ at: number; seq: number; fire: () => void; cancelled: boolean }> = [];
  #seq = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer = { at: this.#monotonic + Math.max(0, delayMs), seq: this.#seq++, fire, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const target = this.#monotonic + ms;
    for (;;) {
      const next = this.#timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#now += next.at - this.#monotonic;
      this.#monotonic = next.at;
      next.cancelled = true;
      next.fire();
    }
    this.#now += target - this.#monotonic;
    this.#monotonic = target;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
  }
}
