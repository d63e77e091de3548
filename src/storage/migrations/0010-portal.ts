import type { Kysely, Migration } from "kysely";

/**
 * The web portal's sessions: keyed by the SHA-256 of the session id (the cookie holds the id, the
 * table only its hash), with the indexes the expiry purge needs.
 */
export const migration0010Portal: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("portal_sessions")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("user_key", "text")
      .addColumn("csrf_token", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("last_seen_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("portal_sessions_last_seen_idx")
      .on("portal_sessions")
      .column("last_seen_at")
      .execute();
    await db.schema
      .createIndex("portal_sessions_created_idx")
      .on("portal_sessions")
      .column("created_at")
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("portal_sessions").execute();
  },
};
