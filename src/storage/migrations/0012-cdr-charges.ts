import type { Kysely, Migration } from "kysely";

/** Call records carry who paid and what it cost (click-to-call charges). */
export const migration0012CdrCharges: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("cdr_calls").addColumn("payer", "text").execute();
    await db.schema.alterTable("cdr_calls").addColumn("cost", "bigint").execute();
    await db.schema.alterTable("cdr_calls").addColumn("currency", "text").execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.alterTable("cdr_calls").dropColumn("currency").execute();
    await db.schema.alterTable("cdr_calls").dropColumn("cost").execute();
    await db.schema.alterTable("cdr_calls").dropColumn("payer").execute();
  },
};
