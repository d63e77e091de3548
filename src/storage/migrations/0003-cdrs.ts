import type { Kysely, Migration } from "kysely";

/**
 * Call detail records: one row per call and one per leg attempt. Call control opens a row when a
 * call or leg starts and updates it on each event, so a row without `ended_at` is a call in
 * progress, or one that was in progress when its node died.
 */
export const migration0003Cdrs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("cdr_calls")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("from_uri", "text", (c) => c.notNull())
      .addColumn("to_uri", "text", (c) => c.notNull())
      .addColumn("service", "text", (c) => c.notNull())
      .addColumn("caller", "text")
      .addColumn("callee", "text")
      .addColumn("started_at", "text", (c) => c.notNull())
      .addColumn("answered_at", "text")
      .addColumn("ended_at", "text")
      .addColumn("disposition", "text")
      .addColumn("sip_status", "integer")
      .addColumn("cause", "text")
      .addColumn("reason", "text")
      .execute();
    // Newest first with keyset paging reads this index backwards; (ended_at, id) serves followers.
    await db.schema
      .createIndex("cdr_calls_started_idx")
      .on("cdr_calls")
      .columns(["started_at", "id"])
      .execute();
    await db.schema.createIndex("cdr_calls_ended_idx").on("cdr_calls").columns(["ended_at", "id"]).execute();

    await db.schema
      .createTable("cdr_legs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("call_id", "text", (c) => c.notNull().references("cdr_calls.id").onDelete("cascade"))
      .addColumn("direction", "text", (c) => c.notNull())
      .addColumn("sip_call_id", "text", (c) => c.notNull())
      .addColumn("from_uri", "text", (c) => c.notNull())
      .addColumn("to_uri", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("started_at", "text", (c) => c.notNull())
      .addColumn("ringing_at", "text")
      .addColumn("answered_at", "text")
      .addColumn("ended_at", "text")
      .addColumn("disposition", "text")
      .addColumn("sip_status", "integer")
      .addColumn("cause", "text")
      .addColumn("reason", "text")
      .execute();
    await db.schema
      .createIndex("cdr_legs_call_idx")
      .on("cdr_legs")
      .columns(["call_id", "started_at"])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("cdr_legs").execute();
    await db.schema.dropTable("cdr_calls").execute();
  },
};
