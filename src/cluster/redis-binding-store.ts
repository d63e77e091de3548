import type { Binding, BindingChange, BindingFeed, BindingStore } from "../registrar/index.ts";
import type { RedisLink } from "./redis-link.ts";

const FIELD_SEPARATOR = "\n";

/**
 * The cluster's registrations in Redis (RFC 3261 §10 bindings): one hash of every binding, keyed
 * by AOR and contact, and a channel on which each node publishes its changes, so every node's
 * in-memory location service routes to phones registered through any node.
 */
export class RedisBindingStore implements BindingStore, BindingFeed {
  readonly #link: RedisLink;
  readonly #hash: string;

  constructor(link: RedisLink) {
    this.#link = link;
    this.#hash = link.key("bindings");
  }

  async load(now: number): Promise<Binding[]> {
    const all = await this.#link.redis.hgetall(this.#hash);
    return Object.values(all)
      .map((text) => JSON.parse(text) as Binding)
      .filter((binding) => binding.expiresAt > now);
  }

  async save(binding: Binding): Promise<void> {
    await this.#link.redis.hset(this.#hash, field(binding.aor, binding.contact), JSON.stringify(binding));
  }

  async delete(aor: string, contact: string): Promise<void> {
    await this.#link.redis.hdel(this.#hash, field(aor, contact));
  }

  async apply(changes: readonly BindingChange[]): Promise<void> {
    const batch = this.#link.redis.multi();
    for (const change of changes) {
      if (change.kind === "save")
        batch.hset(
          this.#hash,
          field(change.binding.aor, change.binding.contact),
          JSON.stringify(change.binding),
        );
      else batch.hdel(this.#hash, field(change.aor, change.contact));
    }
    await batch.exec();
  }

  publish(change: BindingChange): void {
    this.#link.publish("bindings", { from: this.#link.nodeId, change });
  }

  subscribe(listener: (change: BindingChange) => void): Promise<() => void> {
    return this.#link.subscribe("bindings", (message) => {
      const { from, change } = message as { from: string; change: BindingChange };
      if (from !== this.#link.nodeId) listener(change);
    });
  }
}

function field(aor: string, contact: string): string {
  return `${aor}${FIELD_SEPARATOR}${contact}`;
}
