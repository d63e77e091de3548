import type { Kysely, Migration } from "kysely";

/**
 * Access to recordings: API tokens may be scoped to one user (`user_key`, extension@domain; null
 * for admin tokens), and every access to a recording through the API is written to
 * `recording_audit`.
 */
export const migration0005RecordingAccess: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("api_tokens").addColumn("user_key", "text").execute();
    await db.schema.createIndex("api_tokens_user_idx").on("api_tokens").column("user_key").execute();
    await db.schema
      .createTable("recording_audit")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("token_id", "text", (c) => c.notNull())
      .addColumn("token_name", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("recording_id", "text")
      .addColumn("filter", "text")
      .addColumn("outcome", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("recording_audit_at_idx")
      .on("recording_audit")
      .columns(["at", "id"])
      .execute();
    await db.schema
      .createIndex("recording_audit_recording_idx")
      .on("recording_audit")
      .column("recording_id")
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("recording_audit").execute();
    await db.schema.dropIndex("api_tokens_user_idx").execute();
    await db.schema.alterTable("api_tokens").dropColumn("user_key").execute();
  },
};
