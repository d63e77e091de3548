import type { Kysely, Migration } from "kysely";

/**
 * Emergency calls (service 5): the routing-point numbers admins manage through the API (those in
 * the config file are not stored), the audit trail of every emergency call, and the priority
 * flag on call records.
 */
export const migration0013Emergency: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("cdr_calls").addColumn("priority", "integer").execute();
    await db.schema
      .createTable("emergency_numbers")
      .addColumn("number", "text", (c) => c.primaryKey())
      .addColumn("label", "text", (c) => c.notNull())
      .addColumn("users", "text", (c) => c.notNull())
      .addColumn("priority", "integer", (c) => c.notNull())
      .addColumn("record", "integer", (c) => c.notNull())
      .addColumn("announcement", "integer", (c) => c.notNull())
      .addColumn("ring_timeout", "integer", (c) => c.notNull())
      .addColumn("retries", "integer", (c) => c.notNull())
      .addColumn("resource_priority", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("emergency_audit")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("call_id", "text", (c) => c.notNull())
      .addColumn("number", "text", (c) => c.notNull())
      .addColumn("event", "text", (c) => c.notNull())
      .addColumn("party", "text")
      .addColumn("detail", "text")
      .execute();
    await db.schema
      .createIndex("emergency_audit_call_idx")
      .on("emergency_audit")
      .columns(["call_id", "at"])
      .execute();
    await db.schema
      .createIndex("emergency_audit_at_idx")
      .on("emergency_audit")
      .columns(["at", "id"])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("emergency_audit").execute();
    await db.schema.dropTable("emergency_numbers").execute();
    await db.schema.alterTable("cdr_calls").dropColumn("priority").execute();
  },
};
