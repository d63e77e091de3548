import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { DeliveryReport, Envelope, OutgoingMessage, RecipientFailure } from "./delivery-report.ts";
import { SmtpConfigError, SmtpStateError } from "./errors.ts";
import type { OutboxItem, OutboxStore } from "./outbox-store.ts";

/** The default waits after the 1st, 2nd, 3rd and 4th failed attempt; the last one repeats. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 900_000, 3_600_000];

export interface SmtpOutboxOptions {
  clock: Clock;
  store: OutboxStore;
  /** Makes one delivery attempt (SmtpSender.send, or a fake in tests); a rejection counts as a temporary failure. */
  send(message: OutgoingMessage): Promise<DeliveryReport>;
  /** Wait after the n-th failed attempt is retryDelaysMs[n-1]; past the end the last entry repeats. */
  retryDelaysMs?: readonly number[];
  /** Attempts before temporarily failing recipients are given up (default: retryDelaysMs.length + 1). */
  maxAttempts?: number;
  /**
   * Recipients the message will never reach: a permanent failure at once, or temporary failures
   * once the attempts ran out. `item.envelope.to` holds just those recipients. The voicemail
   * service files a non-delivery notice in the sender's mailbox here. Called at least once per
   * such group (a crash right after it may repeat it on restart).
   */
  onUndeliverable(item: OutboxItem, failures: readonly RecipientFailure[]): Promise<void> | void;
  /** Recipients that accepted the message on an attempt. */
  onDelivered?(item: OutboxItem, accepted: readonly string[]): void;
  logger: Logger;
}

function describe(failures: readonly RecipientFailure[]): string {
  return failures.map((f) => `${f.recipient}: ${f.reason}`).join("; ");
}

/**
 * The queue of messages on their way to peer servers. A message is tried as soon as it is
 * enqueued; a temporary failure (4xx, no connection) keeps it and tries again after a growing
 * delay, as https://www.rfc-editor.org/rfc/rfc5321#section-4.5.4.1 asks of a sender ("mail that
 * cannot be transmitted immediately MUST be queued and periodically retried"; "the retry interval
 * SHOULD be at least 30 minutes" is relaxed by the default table for voicemail's sake, and "retries
 * continue until the message is transmitted or the sender gives up", here after maxAttempts).
 * A permanent failure (5xx) ends the attempts for that recipient at once. Recipients that accepted
 * are dropped from the envelope, so a retry goes only to those still pending.
 *
 * Items are saved in the OutboxStore before the first attempt and after every attempt; start()
 * picks up what a previous process left, keeping each item's next attempt time. Timers run on the
 * injected Clock.
 */
export class SmtpOutbox {
  readonly #options: SmtpOutboxOptions;
  readonly #delays: readonly number[];
  readonly #maxAttempts: number;
  readonly #log: Logger;
  /** Items this outbox is responsible for, by id (in flight or waiting for their timer). */
  readonly #items = new Map<string, OutboxItem>();
  readonly #timers = new Map<string, TimerHandle>();
  readonly #inFlight = new Set<Promise<void>>();
  #state: "Created" | "Started" | "Closed" = "Created";

  constructor(options: SmtpOutboxOptions) {
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (delays.length === 0 || delays.some((d) => !Number.isFinite(d) || d < 0)) {
      throw new SmtpConfigError("retryDelaysMs needs at least one non-negative delay");
    }
    const maxAttempts = options.maxAttempts ?? delays.length + 1;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new SmtpConfigError(`maxAttempts ${maxAttempts} is not a positive integer`);
    }
    this.#options = options;
    this.#delays = delays;
    this.#maxAttempts = maxAttempts;
    this.#log = options.logger.child({ component: "smtp-outbox" });
  }

  get closed(): boolean {
    return this.#state === "Closed";
  }

  /** Items waiting or in flight. */
  get size(): number {
    return this.#items.size;
  }

  /** Re-reads the store and schedules every pending item (after a restart). Call once. */
  async start(): Promise<void> {
    if (this.#state !== "Created") throw new SmtpStateError(`start() on an outbox that is ${this.#state}`);
    this.#state = "Started";
    const pending = await this.#options.store.pending();
    this.#log.debug({ pending: pending.length }, "start()");
    for (const item of pending) {
      if (this.closed) return;
      if (this.#items.has(item.id)) continue;
      this.#items.set(item.id, item);
      this.#schedule(item);
    }
  }

  /**
   * Stores the message and tries it at once. Resolves once it is stored (not when delivered);
   * an id already in the outbox is ignored.
   */
  async enqueue(message: { id: string; envelope: Envelope; raw: Buffer }): Promise<void> {
    if (this.#state === "Closed") throw new SmtpStateError("enqueue() on a closed outbox");
    if (this.#items.has(message.id)) return;
    if (message.envelope.to.length === 0)
      throw new SmtpConfigError(`message ${message.id} has no recipients`);
    const now = this.#options.clock.now();
    const item: OutboxItem = {
      id: message.id,
      envelope: { from: message.envelope.from, to: [...message.envelope.to] },
      raw: message.raw,
      attempts: 0,
      enqueuedAt: now,
      nextAttemptAt: now,
    };
    this.#items.set(item.id, item);
    await this.#options.store.save(item);
    this.#run(item);
  }

  /** Resolves when no attempt is in flight (timers may still be armed). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Cancels the timers and waits for attempts in flight; items stay in the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === "Closed") return;
    this.#state = "Closed";
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    this.#log.debug("close()");
    await this.idle();
    this.#items.clear();
  }

  #schedule(item: OutboxItem): void {
    const delay = Math.max(0, item.nextAttemptAt - this.#options.clock.now());
    this.#timers.get(item.id)?.cancel();
    this.#timers.set(
      item.id,
      this.#options.clock.setTimer(delay, () => {
        this.#timers.delete(item.id);
        this.#run(item);
      }),
    );
  }

  #run(item: OutboxItem): void {
    if (this.#state === "Closed") return;
    const attempt = this.#attempt(item).catch((error: unknown) => {
      this.#log.error({ err: error, id: item.id }, "outbox attempt failed unexpectedly");
    });
    this.#inFlight.add(attempt);
    void attempt.finally(() => this.#inFlight.delete(attempt));
  }

  async #deliver(item: OutboxItem): Promise<DeliveryReport> {
    try {
      return await this.#options.send({ envelope: item.envelope, raw: item.raw });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        accepted: [],
        failed: item.envelope.to.map((recipient) => ({
          recipient,
          permanent: false,
          status: "4.0.0",
          reason,
        })),
      };
    }
  }

  /** One attempt: §4.5.4.1 bookkeeping of who accepted, who failed for good and who is retried. */
  async #attempt(item: OutboxItem): Promise<void> {
    item.attempts += 1;
    const report = await this.#deliver(item);
    const accepted = item.envelope.to.filter((r) => report.accepted.includes(r));
    const failures = item.envelope.to
      .filter((r) => !accepted.includes(r))
      .map(
        (recipient): RecipientFailure =>
          report.failed.find((f) => f.recipient === recipient) ?? {
            recipient,
            permanent: false,
            status: "4.0.0",
            reason: "the sender reported nothing for this recipient",
          },
      );
    const permanent = failures.filter((f) => f.permanent);
    const temporary = failures.filter((f) => !f.permanent);
    this.#log.debug(
      {
        id: item.id,
        attempt: item.attempts,
        accepted: accepted.length,
        permanent: permanent.length,
        temporary: temporary.length,
      },
      "attempt",
    );
    if (accepted.length > 0) this.#notifyDelivered(item, accepted);
    if (permanent.length > 0) await this.#giveUp(item, permanent);

    if (temporary.length === 0) {
      await this.#forget(item);
      return;
    }
    if (item.attempts >= this.#maxAttempts) {
      await this.#giveUp(item, temporary);
      await this.#forget(item);
      return;
    }
    const delay = this.#delays[Math.min(item.attempts, this.#delays.length) - 1] ?? 0;
    item.envelope = { from: item.envelope.from, to: temporary.map((f) => f.recipient) };
    item.lastFailures = temporary;
    item.nextAttemptAt = this.#options.clock.now() + delay;
    await this.#options.store.save(item);
    this.#log.info(
      { id: item.id, attempt: item.attempts, retryInMs: delay, why: describe(temporary) },
      "deferred",
    );
    if (this.#state !== "Closed") this.#schedule(item);
  }

  #notifyDelivered(item: OutboxItem, accepted: readonly string[]): void {
    try {
      this.#options.onDelivered?.(item, accepted);
    } catch (error) {
      this.#log.warn({ err: error, id: item.id }, "onDelivered threw");
    }
  }

  async #giveUp(item: OutboxItem, failures: readonly RecipientFailure[]): Promise<void> {
    const undeliverable: OutboxItem = {
      ...item,
      envelope: { from: item.envelope.from, to: failures.map((f) => f.recipient) },
      lastFailures: [...failures],
    };
    this.#log.info({ id: item.id, attempts: item.attempts, why: describe(failures) }, "undeliverable");
    try {
      await this.#options.onUndeliverable(undeliverable, failures);
    } catch (error) {
      this.#log.error({ err: error, id: item.id }, "onUndeliverable failed; the sender gets no notice");
    }
  }

  async #forget(item: OutboxItem): Promise<void> {
    this.#items.delete(item.id);
    await this.#options.store.remove(item.id);
  }
}
