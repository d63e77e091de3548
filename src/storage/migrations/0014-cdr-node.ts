import type { Kysely, Migration } from "kysely";

/**
 * Call records name the cluster node that ran the call, so a node completes only its own open
 * records at start, and the others complete those of a node that died.
 */
export const migration0014CdrNode: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("cdr_calls").addColumn("node", "text").execute();
    await db.schema.createIndex("cdr_calls_open_idx").on("cdr_calls").columns(["ended_at", "node"]).execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("cdr_calls_open_idx").execute();
    await db.schema.alterTable("cdr_calls").dropColumn("node").execute();
  },
};
