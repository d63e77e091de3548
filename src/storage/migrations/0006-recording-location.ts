import type { Kysely, Migration } from "kysely";

/**
 * Where each saved recording is kept (recording.storage): `file:///…` on the local disk or
 * `s3://bucket/key` in an object store. Rows written before have none: their files are on the
 * local disk, under recording.dir at their path.
 */
export const migration0006RecordingLocation: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("recordings").addColumn("location", "text").execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.alterTable("recordings").dropColumn("location").execute();
  },
};
