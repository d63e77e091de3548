import { Counter, type Registry } from "prom-client";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";

export interface AuthFailureBanOptions {
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
  /** Failures from one source address within `windowSeconds` that trigger a ban. */
  maxFailures: number;
  windowSeconds: number;
  banSeconds: number;
}

/**
 * Per-source protection against password guessing, in the spirit of Kamailio's pike and
 * fail2ban: a source address that fails digest authentication `maxFailures` times within the
 * window is banned, and every request from it is dropped unanswered until the ban ends.
 */
export class AuthFailureBan {
  readonly #options: AuthFailureBanOptions;
  readonly #failures = new Map<string, number[]>();
  readonly #bannedUntil = new Map<string, number>();
  readonly #bans: Counter;

  constructor(options: AuthFailureBanOptions) {
    this.#options = options;
    this.#bans = new Counter({
      name: "parley_sip_auth_bans_total",
      help: "Source addresses banned after repeated authentication failures.",
      registers: options.metrics ? [options.metrics] : [],
    });
  }

  isBanned(address: string): boolean {
    const until = this.#bannedUntil.get(address);
    if (until === undefined) return false;
    if (this.#options.clock.now() < until) return true;
    this.#bannedUntil.delete(address);
    return false;
  }

  /** Records one failed authentication; returns true when this failure started a ban. */
  recordFailure(address: string, username: string | undefined): boolean {
    const now = this.#options.clock.now();
    const windowStart = now - this.#options.windowSeconds * 1000;
    const recent = (this.#failures.get(address) ?? []).filter((t) => t > windowStart);
    recent.push(now);
    this.#failures.set(address, recent);
    if (recent.length < this.#options.maxFailures) return false;
    this.#failures.delete(address);
    this.#bannedUntil.set(address, now + this.#options.banSeconds * 1000);
    this.#bans.inc();
    this.#options.logger.warn(
      { source: address, username, failures: recent.length, banSeconds: this.#options.banSeconds },
      "source banned after repeated authentication failures",
    );
    if (this.#failures.size > 100_000) this.#prune(windowStart);
    return true;
  }

  /** A successful login clears the source's failure count. */
  recordSuccess(address: string): void {
    this.#failures.delete(address);
  }

  #prune(windowStart: number): void {
    for (const [address, times] of this.#failures) {
      if ((times.at(-1) ?? 0) <= windowStart) this.#failures.delete(address);
    }
  }
}
