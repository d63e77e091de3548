import type { PortalSessionRecord, PortalSessionStore } from "./ports.ts";

/** Portal sessions in this process's memory: for one node, and for tests. */
export class MemoryPortalSessionStore implements PortalSessionStore {
  readonly #sessions = new Map<string, PortalSessionRecord>();

  async create(session: PortalSessionRecord): Promise<void> {
    this.#sessions.set(session.idHash, { ...session });
  }

  async get(idHash: string): Promise<PortalSessionRecord | undefined> {
    const found = this.#sessions.get(idHash);
    return found && { ...found };
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    const found = this.#sessions.get(idHash);
    if (found) found.lastSeenAt = lastSeenAt;
  }

  async delete(idHash: string): Promise<void> {
    this.#sessions.delete(idHash);
  }

  async purge(limits: { lastSeenBefore: number; createdBefore: number }): Promise<number> {
    let removed = 0;
    for (const [key, session] of this.#sessions) {
      if (session.lastSeenAt < limits.lastSeenBefore || session.createdAt < limits.createdBefore) {
        this.#sessions.delete(key);
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.#sessions.size;
  }
}
