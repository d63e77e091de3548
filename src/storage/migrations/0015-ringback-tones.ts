import { type Kysely, type Migration, PostgresAdapter, sql } from "kysely";

/** Users' personal ring-back tones in the database, so every node of a cluster plays them. */
export const migration0015RingbackTones: Migration = {
  async up(db: Kysely<unknown>) {
    const blob = db.getExecutor().adapter instanceof PostgresAdapter ? sql`bytea` : sql`blob`;
    await db.schema
      .createTable("ringback_tones")
      .addColumn("user_key", "text", (c) => c.primaryKey())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("wav", blob, (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("ringback_tones").execute();
  },
};
