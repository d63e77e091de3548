import type { OutboxItem, OutboxStore } from "./outbox-store.ts";

function copy(item: OutboxItem): OutboxItem {
  const out: OutboxItem = { ...item, envelope: { from: item.envelope.from, to: [...item.envelope.to] } };
  if (item.lastFailures) out.lastFailures = item.lastFailures.map((failure) => ({ ...failure }));
  return out;
}

/**
 * The in-process OutboxStore: items survive an SmtpOutbox being closed and a new one started on
 * the same store (what tests use to model a restart), not the process ending. Items are copied in
 * and out, so callers never share state with the store; `raw` is treated as immutable and shared.
 */
export class MemoryOutboxStore implements OutboxStore {
  readonly #items = new Map<string, OutboxItem>();

  async save(item: OutboxItem): Promise<void> {
    this.#items.set(item.id, copy(item));
  }

  async remove(id: string): Promise<void> {
    this.#items.delete(id);
  }

  async pending(): Promise<OutboxItem[]> {
    return [...this.#items.values()].map(copy);
  }

  /** How many items are stored. */
  get size(): number {
    return this.#items.size;
  }
}
