import type { Clock } from "../kernel/clock.ts";

export interface LoginRateLimitOptions {
  /** Failed logins from one source address that close the door. */
  failures: number;
  /** How far back failures count. */
  windowMs: number;
  clock: Clock;
}

const MAX_SOURCES = 10_000;

/**
 * Counts failed LOGIN/AUTHENTICATE attempts per source address on the injected clock. Once a
 * source has `failures` failures inside `windowMs`, its logins are refused without asking
 * MailLogin (answered `NO [UNAVAILABLE]`, https://www.rfc-editor.org/rfc/rfc5530#section-3) until
 * the oldest failure leaves the window. https://www.rfc-editor.org/rfc/rfc3501#section-11.1 leaves
 * password guessing to the server.
 */
export class LoginRateLimit {
  readonly #options: LoginRateLimitOptions;
  readonly #failures = new Map<string, number[]>();

  constructor(options: LoginRateLimitOptions) {
    this.#options = options;
  }

  allowed(source: string): boolean {
    return this.#recent(source).length < this.#options.failures;
  }

  recordFailure(source: string): void {
    const recent = this.#recent(source);
    recent.push(this.#options.clock.monotonic());
    this.#failures.set(source, recent);
    if (this.#failures.size > MAX_SOURCES) this.#sweep();
  }

  #recent(source: string): number[] {
    const since = this.#options.clock.monotonic() - this.#options.windowMs;
    const recent = (this.#failures.get(source) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.#failures.delete(source);
    else this.#failures.set(source, recent);
    return recent;
  }

  #sweep(): void {
    for (const source of [...this.#failures.keys()]) this.#recent(source);
  }
}
