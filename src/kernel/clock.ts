/**
 * Time as every layer above the kernel sees it. Protocol timers (SIP Timer A–K, registration
 * expiry, retry back-off) are armed on a Clock so that tests can drive them with a fake one
 * instead of sleeping.
 */
export interface TimerHandle {
  /** Cancels the timer; calling it after the timer fired does nothing. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
  setTimer(delayMs: number, fire: () => void): TimerHandle;
}

/** The real clock, backed by the Node.js event loop. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  monotonic(): number {
    return performance.now();
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer = setTimeout(fire, delayMs);
    return { cancel: () => clearTimeout(timer) };
  }
}
