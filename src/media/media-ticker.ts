import type { Clock, TimerHandle } from "../kernel/clock.ts";

/**
 * Calls `tick` every `intervalMs` on the injected clock without drift: tick n is due at
 * start + n × interval, so a late timer shortens the next wait instead of pushing every later
 * tick back. If the process falls more than 5 intervals behind, it skips ahead rather than
 * bursting.
 */
export class MediaTicker {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #tick: () => void;
  /** The timer callback, made once rather than a new closure every 20 ms. */
  readonly #fire = (): void => {
    this.#tick();
    if (this.#timer) this.#schedule();
  };
  #start = 0;
  #count = 0;
  #timer: TimerHandle | undefined;

  constructor(options: { clock: Clock; intervalMs?: number; tick: () => void }) {
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? 20;
    this.#tick = options.tick;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer) return;
    this.#start = this.#clock.monotonic();
    this.#count = 0;
    this.#schedule();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#count += 1;
    let due = this.#start + this.#count * this.#intervalMs;
    const now = this.#clock.monotonic();
    if (now - due > 5 * this.#intervalMs) {
      this.#count = Math.floor((now - this.#start) / this.#intervalMs) + 1;
      due = this.#start + this.#count * this.#intervalMs;
    }
    this.#timer = this.#clock.setTimer(Math.max(0, due - now), this.#fire);
  }
}
