import { type CallbackJob, isActive } from "./callback-job.ts";

/** Where background calls are kept so a restart resumes them (SQL by default). */
export interface CallbackJobStore {
  save(job: CallbackJob): Promise<void>;
  get(id: string): Promise<CallbackJob | undefined>;
  /** Jobs not yet in a final state. */
  active(): Promise<CallbackJob[]>;
  /** Newest first; by caller when given. */
  list(query: { caller?: string; limit: number }): Promise<CallbackJob[]>;
}

/** Callees' blocks: numbers or users whose background calls they refuse. */
export interface CallbackBlockList {
  block(callee: string, blocked: string): Promise<void>;
  unblock(callee: string, blocked: string): Promise<boolean>;
  isBlocked(callee: string, blocked: string): Promise<boolean>;
  list(callee: string): Promise<string[]>;
}

const copy = (job: CallbackJob): CallbackJob => structuredClone(job);

export class MemoryCallbackJobStore implements CallbackJobStore {
  readonly #jobs = new Map<string, CallbackJob>();

  async save(job: CallbackJob): Promise<void> {
    this.#jobs.set(job.id, copy(job));
  }

  async get(id: string): Promise<CallbackJob | undefined> {
    const job = this.#jobs.get(id);
    return job && copy(job);
  }

  async active(): Promise<CallbackJob[]> {
    return [...this.#jobs.values()].filter(isActive).map(copy);
  }

  async list(query: { caller?: string; limit: number }): Promise<CallbackJob[]> {
    return [...this.#jobs.values()]
      .filter((job) => query.caller === undefined || job.caller === query.caller)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, query.limit)
      .map(copy);
  }
}

export class MemoryCallbackBlockList implements CallbackBlockList {
  readonly #blocks = new Map<string, Set<string>>();

  async block(callee: string, blocked: string): Promise<void> {
    const set = this.#blocks.get(callee) ?? new Set<string>();
    set.add(blocked);
    this.#blocks.set(callee, set);
  }

  async unblock(callee: string, blocked: string): Promise<boolean> {
    return this.#blocks.get(callee)?.delete(blocked) ?? false;
  }

  async isBlocked(callee: string, blocked: string): Promise<boolean> {
    return this.#blocks.get(callee)?.has(blocked) ?? false;
  }

  async list(callee: string): Promise<string[]> {
    return [...(this.#blocks.get(callee) ?? [])].sort();
  }
}
