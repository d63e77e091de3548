import { type Kysely, type Migration, PostgresAdapter, sql } from "kysely";

/** A binary column: BYTEA on PostgreSQL, BLOB on SQLite. */
function blob(db: Kysely<unknown>) {
  return db.getExecutor().adapter instanceof PostgresAdapter ? sql`bytea` : sql`blob`;
}

/**
 * Voicemail (service 2): the IMAP mailboxes (INBOX, Old, Saved per user) with their UIDVALIDITY
 * and next UID kept in the row, so both survive restarts (RFC 3501 §2.3.1.1); the messages as
 * the MIME bytes delivered; mailbox settings (PIN, greeting, limits), senders' signatures, and the
 * SMTP outbox of messages on their way to other servers.
 */
export const migration0007Voicemail: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("mail_mailboxes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("owner", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("uid_validity", "bigint", (c) => c.notNull())
      .addColumn("uid_next", "integer", (c) => c.notNull())
      .addUniqueConstraint("mail_mailboxes_owner_name", ["owner", "name"])
      .execute();
    await db.schema
      .createTable("mail_messages")
      .addColumn("mailbox_id", "text", (c) => c.notNull())
      .addColumn("uid", "integer", (c) => c.notNull())
      .addColumn("flags", "text", (c) => c.notNull())
      .addColumn("internal_date", "text", (c) => c.notNull())
      .addColumn("size", "integer", (c) => c.notNull())
      .addColumn("source", blob(db), (c) => c.notNull())
      .addPrimaryKeyConstraint("mail_messages_pk", ["mailbox_id", "uid"])
      .execute();
    await db.schema
      .createTable("voicemail_boxes")
      .addColumn("owner", "text", (c) => c.primaryKey())
      .addColumn("settings", "text", (c) => c.notNull())
      .addColumn("greeting", blob(db))
      .execute();
    await db.schema
      .createTable("voicemail_signatures")
      .addColumn("owner", "text", (c) => c.primaryKey())
      .addColumn("text", "text")
      .addColumn("voice", blob(db))
      .addColumn("image", blob(db))
      .addColumn("image_type", "text")
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("smtp_outbox")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("envelope", "text", (c) => c.notNull())
      .addColumn("raw", blob(db), (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addColumn("enqueued_at", "bigint", (c) => c.notNull())
      .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
      .addColumn("last_failures", "text")
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("smtp_outbox").execute();
    await db.schema.dropTable("voicemail_signatures").execute();
    await db.schema.dropTable("voicemail_boxes").execute();
    await db.schema.dropTable("mail_messages").execute();
    await db.schema.dropTable("mail_mailboxes").execute();
  },
};
