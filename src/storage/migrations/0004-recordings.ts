import type { Kysely, Migration } from "kysely";

/**
 * Call recordings (service 1): one row per recorded span, linked to the CDR by call id, and the
 * per-user recording subscriptions behind the `recording` feature flag.
 */
export const migration0004Recordings: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("recordings")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("call_id", "text", (c) => c.notNull())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("caller", "text", (c) => c.notNull())
      .addColumn("callee", "text", (c) => c.notNull())
      .addColumn("owners", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("started_at", "text", (c) => c.notNull())
      .addColumn("ended_at", "text")
      .addColumn("duration_ms", "integer")
      .addColumn("size_bytes", "integer")
      .addColumn("sha256", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("error", "text")
      .execute();
    await db.schema
      .createIndex("recordings_started_idx")
      .on("recordings")
      .columns(["started_at", "id"])
      .execute();
    await db.schema.createIndex("recordings_call_idx").on("recordings").column("call_id").execute();
    await db.schema.createIndex("recordings_status_idx").on("recordings").column("status").execute();
    await db.schema
      .createTable("recording_subscriptions")
      .addColumn("user_key", "text", (c) => c.primaryKey())
      .addColumn("policy", "text", (c) => c.notNull())
      .addColumn("announce", "integer", (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("recording_subscriptions").execute();
    await db.schema.dropTable("recordings").execute();
  },
};
