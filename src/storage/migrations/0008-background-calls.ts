import type { Kysely, Migration } from "kysely";

/**
 * Background calls (service 3): one row per job with its state, counters and step log (JSON), so
 * a restarted node resumes every active job; and callees' blocks.
 */
export const migration0008BackgroundCalls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("background_calls")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("caller", "text", (c) => c.notNull())
      .addColumn("callee", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("active", "integer", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("job", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("background_calls_active_idx")
      .on("background_calls")
      .column("active")
      .execute();
    await db.schema
      .createIndex("background_calls_caller_idx")
      .on("background_calls")
      .columns(["caller", "created_at"])
      .execute();
    await db.schema
      .createTable("background_call_blocks")
      .addColumn("callee", "text", (c) => c.notNull())
      .addColumn("blocked", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("background_call_blocks_pk", ["callee", "blocked"])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("background_call_blocks").execute();
    await db.schema.dropTable("background_calls").execute();
  },
};
