import type { Kysely, Migration } from "kysely";

/** Registration bindings, written through from the registrar's in-memory location service. */
export const migration0002Registrations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("registrations")
      .addColumn("aor", "text", (c) => c.notNull())
      .addColumn("contact", "text", (c) => c.notNull())
      .addColumn("q", "real", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("call_id", "text", (c) => c.notNull())
      .addColumn("cseq", "integer", (c) => c.notNull())
      .addColumn("source_protocol", "text", (c) => c.notNull())
      .addColumn("source_address", "text", (c) => c.notNull())
      .addColumn("source_port", "integer", (c) => c.notNull())
      .addColumn("flow_id", "text")
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("user_agent", "text")
      .addColumn("instance_id", "text")
      .addColumn("registered_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("registrations_pkey", ["aor", "contact"])
      .execute();
    await db.schema
      .createIndex("registrations_expires_idx")
      .on("registrations")
      .column("expires_at")
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("registrations").execute();
  },
};
