import type { Kysely, Migration } from "kysely";

/** Click-to-call (service 4): the merchant directory (numbers, payer and rate plan as JSON). */
export const migration0011ClickToCall: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("merchants")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("category", "text", (c) => c.notNull())
      .addColumn("active", "integer", (c) => c.notNull())
      .addColumn("merchant", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("merchants_category_idx")
      .on("merchants")
      .columns(["category", "name"])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("merchants").execute();
  },
};
