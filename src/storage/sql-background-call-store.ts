import type { Kysely } from "kysely";
import type { CallbackBlockList, CallbackJob, CallbackJobStore } from "../services/background-call/index.ts";
import type { Tables } from "./tables.ts";

const FINAL = new Set(["bridged", "caller-missed", "stopped", "exhausted"]);

/** Background-call jobs in SQL: the job as JSON, with the columns the look-ups need beside it. */
export class SqlCallbackJobStore implements CallbackJobStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async save(job: CallbackJob): Promise<void> {
    const values = {
      state: job.state,
      active: FINAL.has(job.state) ? 0 : 1,
      job: JSON.stringify(job),
    };
    await this.#db
      .insertInto("background_calls")
      .values({ id: job.id, caller: job.caller, callee: job.callee, created_at: job.createdAt, ...values })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }

  async get(id: string): Promise<CallbackJob | undefined> {
    const row = await this.#db
      .selectFrom("background_calls")
      .select("job")
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.job) as CallbackJob) : undefined;
  }

  async active(): Promise<CallbackJob[]> {
    const rows = await this.#db
      .selectFrom("background_calls")
      .select("job")
      .where("active", "=", 1)
      .execute();
    return rows.map((row) => JSON.parse(row.job) as CallbackJob);
  }

  async list(query: { caller?: string; limit: number }): Promise<CallbackJob[]> {
    let select = this.#db.selectFrom("background_calls").select("job");
    if (query.caller !== undefined) select = select.where("caller", "=", query.caller);
    const rows = await select
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(query.limit)
      .execute();
    return rows.map((row) => JSON.parse(row.job) as CallbackJob);
  }
}

/** Callees' background-call blocks in SQL. */
export class SqlCallbackBlockList implements CallbackBlockList {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async block(callee: string, blocked: string): Promise<void> {
    await this.#db
      .insertInto("background_call_blocks")
      .values({ callee, blocked })
      .onConflict((oc) => oc.columns(["callee", "blocked"]).doNothing())
      .execute();
  }

  async unblock(callee: string, blocked: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("background_call_blocks")
      .where("callee", "=", callee)
      .where("blocked", "=", blocked)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async isBlocked(callee: string, blocked: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom("background_call_blocks")
      .select("blocked")
      .where("callee", "=", callee)
      .where("blocked", "=", blocked)
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(callee: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("background_call_blocks")
      .select("blocked")
      .where("callee", "=", callee)
      .orderBy("blocked")
      .execute();
    return rows.map((row) => row.blocked);
  }
}
