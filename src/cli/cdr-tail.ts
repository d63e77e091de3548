import type { CallRecordWithLegs, CdrFeed } from "../calls/index.ts";
import type { Clock, TimerHandle } from "../kernel/clock.ts";

export interface CdrTailOptions {
  feed: CdrFeed;
  clock: Clock;
  /** Time between two polls of the database. */
  intervalMs: number;
  /**
   * How far before the previous poll each poll looks again: a record can be committed after a
   * later-ending one was already seen (another node, a slow write). Default 60 s, and at least
   * two intervals.
   */
  lookbackMs?: number;
  /** Called once per record, in the order they ended. */
  print: (record: CallRecordWithLegs) => void;
  /** A poll that failed; polling goes on. */
  fail: (error: unknown) => void;
}

const PAGE = 1000;

/**
 * Follows call detail records as calls end (`parley cdr tail`): polls the feed every interval on
 * the injected clock and prints each record that ended since it started, once. A record closed
 * with an end time earlier than the look-back (the interrupted calls a restarting node completes)
 * is not shown; `parley cdr list` has it.
 */
export class CdrTail {
  readonly #options: CdrTailOptions;
  readonly #lookbackMs: number;
  /** Printed records still inside the look-back window, by id, with their end time. */
  readonly #printed = new Map<string, number>();
  #from = 0;
  #timer: TimerHandle | undefined;
  #polling: Promise<void> | undefined;
  #running = false;

  constructor(options: CdrTailOptions) {
    this.#options = options;
    this.#lookbackMs = Math.max(options.lookbackMs ?? 60_000, 2 * options.intervalMs);
  }

  /** Starts following: records that end from now on are printed. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#from = this.#options.clock.now();
    this.#arm();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#polling;
  }

  /** One poll: prints what ended since the window start and was not printed yet. */
  async poll(): Promise<void> {
    const now = this.#options.clock.now();
    const since = this.#from;
    for (const [id, endedAt] of this.#printed) if (endedAt < since) this.#printed.delete(id);
    let after: { endedAt: number; id: string } | undefined;
    for (;;) {
      const page = await this.#options.feed.listEnded({ since, limit: PAGE, ...(after && { after }) });
      for (const record of page) {
        const endedAt = record.endedAt ?? since;
        if (this.#printed.has(record.id)) continue;
        this.#printed.set(record.id, endedAt);
        this.#options.print(record);
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      after = { endedAt: last.endedAt ?? since, id: last.id };
    }
    this.#from = Math.max(this.#from, now - this.#lookbackMs);
  }

  /** Polls every interval; a tick that finds the previous poll still running skips. */
  #arm(): void {
    this.#timer = this.#options.clock.setTimer(this.#options.intervalMs, () => {
      if (this.#running) this.#arm();
      if (this.#polling) return;
      this.#polling = (async () => {
        let failure: { error: unknown } | undefined;
        try {
          await this.poll();
        } catch (error) {
          failure = { error };
        }
        this.#polling = undefined;
        if (failure) this.#options.fail(failure.error);
      })();
    });
  }
}
