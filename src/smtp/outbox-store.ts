import type { Envelope, RecipientFailure } from "./delivery-report.ts";

/** A message waiting in the outbox, as the store keeps it between attempts and across restarts. */
export interface OutboxItem {
  /** Unique per message; enqueueing an id the outbox already holds does nothing. */
  id: string;
  /** The envelope; `to` shrinks to the recipients still to be reached after each attempt. */
  envelope: Envelope;
  raw: Buffer;
  /** Attempts made so far. */
  attempts: number;
  /** Wall-clock milliseconds (Clock.now()) when the message was enqueued. */
  enqueuedAt: number;
  /** Wall-clock milliseconds of the next attempt; a restarted outbox keeps to it. */
  nextAttemptAt: number;
  /** Why the last attempt failed for the recipients still pending. */
  lastFailures?: RecipientFailure[];
}

/**
 * Where SmtpOutbox keeps its items so that a restart loses none (the port belongs to its consumer,
 * ARCHITECTURE §2.6; a SQL adapter lives in storage/). `save` inserts or replaces by id.
 */
export interface OutboxStore {
  save(item: OutboxItem): Promise<void>;
  remove(id: string): Promise<void>;
  /** Every item saved and not removed, in any order. */
  pending(): Promise<OutboxItem[]>;
}
