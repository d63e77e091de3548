import type { Kysely, Migration } from "kysely";

/** Domains, users with their digest credentials and numbers, and API tokens. */
export const migration0001Directory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("domains")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addUniqueConstraint("domains_name_key", ["name"])
      .execute();

    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("domain_id", "text", (c) => c.notNull().references("domains.id").onDelete("restrict"))
      .addColumn("extension", "text", (c) => c.notNull())
      .addColumn("display_name", "text", (c) => c.notNull())
      .addColumn("ha1_md5", "text", (c) => c.notNull())
      .addColumn("ha1_sha256", "text", (c) => c.notNull())
      .addColumn("web_password_hash", "text")
      .addColumn("feature_recording", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("feature_voicemail", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("feature_background_call", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("feature_click_to_call", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addUniqueConstraint("users_domain_extension_key", ["domain_id", "extension"])
      .execute();

    await db.schema
      .createTable("phone_numbers")
      .addColumn("number", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("position", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("phone_numbers_user_idx").on("phone_numbers").column("user_id").execute();

    await db.schema
      .createTable("api_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("admin", "integer", (c) => c.notNull())
      .addColumn("secret_hash", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("last_used_at", "text")
      .addColumn("revoked_at", "text")
      .addUniqueConstraint("api_tokens_secret_hash_key", ["secret_hash"])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    for (const table of ["api_tokens", "phone_numbers", "users", "domains"]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
