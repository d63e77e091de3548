import { type Kysely, type Migration, sql } from "kysely";

/**
 * Billing: prepaid accounts (balance and reserved in integer minor units, with a CHECK that holds
 * can never exceed the balance), their append-only ledger numbered per account (a charge is unique
 * per account and call id, a reference per account), reservations held for calls in progress, and
 * rate plans with their per-prefix rates.
 */
export const migration0009Billing: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("billing_accounts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("currency", "text", (c) => c.notNull())
      .addColumn("owner", "text", (c) => c.notNull())
      .addColumn("balance", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("reserved", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("last_seq", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addCheckConstraint("billing_accounts_reserved_check", sql`reserved >= 0 and reserved <= balance`)
      .execute();
    await db.schema
      .createIndex("billing_accounts_owner_idx")
      .on("billing_accounts")
      .columns(["owner", "created_at"])
      .execute();
    await db.schema
      .createTable("billing_ledger_entries")
      .addColumn("account_id", "text", (c) => c.notNull().references("billing_accounts.id"))
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("amount", "bigint", (c) => c.notNull())
      .addColumn("balance_after", "bigint", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("reference", "text")
      .addColumn("call_id", "text")
      .addColumn("destination", "text")
      .addColumn("prefix", "text")
      .addColumn("billable_seconds", "integer")
      .addColumn("rated_seconds", "integer")
      .addColumn("per_minute_micros", "bigint")
      .addColumn("connection_fee", "bigint")
      .addColumn("cost", "bigint")
      .addColumn("shortfall", "bigint", (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint("billing_ledger_entries_pk", ["account_id", "seq"])
      .execute();
    // Only charges carry a call id and only credits a reference; NULLs never collide.
    await db.schema
      .createIndex("billing_ledger_entries_call_uq")
      .on("billing_ledger_entries")
      .columns(["account_id", "call_id"])
      .unique()
      .execute();
    await db.schema
      .createIndex("billing_ledger_entries_reference_uq")
      .on("billing_ledger_entries")
      .columns(["account_id", "reference"])
      .unique()
      .execute();
    await db.schema
      .createTable("billing_reservations")
      .addColumn("call_id", "text", (c) => c.primaryKey())
      .addColumn("account_id", "text", (c) => c.notNull().references("billing_accounts.id"))
      .addColumn("amount", "bigint", (c) => c.notNull())
      .addColumn("max_seconds", "integer", (c) => c.notNull())
      .addColumn("destination", "text", (c) => c.notNull())
      .addColumn("prefix", "text", (c) => c.notNull())
      .addColumn("per_minute_micros", "bigint", (c) => c.notNull())
      .addColumn("connection_fee", "bigint", (c) => c.notNull())
      .addColumn("first_increment", "integer", (c) => c.notNull())
      .addColumn("next_increment", "integer", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("closed_at", "bigint")
      .execute();
    await db.schema
      .createIndex("billing_reservations_account_idx")
      .on("billing_reservations")
      .columns(["account_id", "state"])
      .execute();
    await db.schema
      .createTable("billing_rate_plans")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("currency", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("billing_rates")
      .addColumn("plan_id", "text", (c) =>
        c.notNull().references("billing_rate_plans.id").onDelete("cascade"),
      )
      .addColumn("prefix", "text", (c) => c.notNull())
      .addColumn("per_minute_micros", "bigint", (c) => c.notNull())
      .addColumn("connection_fee", "bigint", (c) => c.notNull())
      .addColumn("first_increment", "integer", (c) => c.notNull())
      .addColumn("next_increment", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("billing_rates_pk", ["plan_id", "prefix"])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("billing_rates").execute();
    await db.schema.dropTable("billing_rate_plans").execute();
    await db.schema.dropTable("billing_reservations").execute();
    await db.schema.dropTable("billing_ledger_entries").execute();
    await db.schema.dropTable("billing_accounts").execute();
  },
};
