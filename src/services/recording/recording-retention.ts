import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { RecordingFiles } from "./recording-files.ts";
import type { RecordingRecord, RecordingStore } from "./recording-store.ts";

export interface RecordingRetentionOptions {
  store: RecordingStore;
  /** Where the recordings are kept (recording.storage): files are removed through it. */
  files: RecordingFiles;
  clock: Clock;
  logger: Logger;
  /** recording.retention_days: 0 keeps recordings forever. */
  days: number;
  /** recording.retention_days_by_domain: per-tenant overrides. */
  daysByDomain: Readonly<Record<string, number>>;
  /** How often the job runs, ms (default hourly). */
  intervalMs?: number;
}

/**
 * The retention job: deletes recordings (file and row) older than their tenant's retention, at
 * start and then every hour, and logs what it removed. A file that cannot be removed (the object
 * store is unreachable) keeps its row, so the next run tries again. A recording's tenant is the domain of its
 * first owner (else of its callee). In a cluster the job may run on every node: deleting twice is
 * harmless (the second finds nothing).
 */
export class RecordingRetention {
  readonly #o: RecordingRetentionOptions;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: RecordingRetentionOptions) {
    this.#o = options;
  }

  /** Runs a pass now and then daily; after `stop`, starts again (a cluster's new leader). */
  start(): void {
    this.#stopped = false;
    void this.run().finally(() => this.#schedule());
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** One pass; returns the recordings removed. */
  async run(): Promise<RecordingRecord[]> {
    const all = [this.#o.days, ...Object.values(this.#o.daysByDomain)].filter((d) => d > 0);
    if (all.length === 0) return [];
    const now = this.#o.clock.now();
    const oldestCutoff = now - Math.min(...all) * 86_400_000;
    const removed: RecordingRecord[] = [];
    for (;;) {
      const batch = (await this.#o.store.list({ before: oldestCutoff, limit: 500 })).filter((r) => {
        const days = this.#daysFor(r);
        return days > 0 && r.startedAt < now - days * 86_400_000 && r.status !== "recording";
      });
      if (batch.length === 0) break;
      let kept = 0;
      for (const recording of batch) {
        try {
          await this.#o.files.remove(recording.path);
        } catch (error) {
          kept++;
          this.#o.logger.error(
            { err: error, recording: recording.id, path: recording.path },
            "retention could not remove an expired recording; the next run tries again",
          );
          continue;
        }
        await this.#o.store.delete(recording.id);
        removed.push(recording);
      }
      // A full batch of failures would come back unchanged: stop until the next run.
      if (batch.length < 500 || kept === batch.length) break;
    }
    if (removed.length > 0) {
      this.#o.logger.info(
        { removed: removed.length, ids: removed.slice(0, 20).map((r) => r.id) },
        "retention removed expired recordings",
      );
    }
    return removed;
  }

  #daysFor(recording: RecordingRecord): number {
    const owner = recording.owners[0] ?? recording.callee;
    const domain = owner.includes("@") ? owner.slice(owner.lastIndexOf("@") + 1) : undefined;
    return (domain === undefined ? undefined : this.#o.daysByDomain[domain]) ?? this.#o.days;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimer(this.#o.intervalMs ?? 3_600_000, () => {
      void this.run().finally(() => this.#schedule());
    });
  }
}
