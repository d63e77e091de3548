import assert from "node:assert/strict";
import { after, describe, type TestContext, test } from "node:test";
import { Migrator } from "kysely";
import pg from "pg";
import { CreditControl, type Rate } from "../../../src/billing/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { SqlAccountStore, SqlDatabase } from "../../../src/storage/index.ts";
import { MIGRATIONS } from "../../../src/storage/migrations/index.ts";
import { accountStoreContract, assertBooksBalance, PLAN, T0 } from "../../support/account-store-contract.ts";
import { BACKENDS, type BackendName, freshDatabase, type TestDatabase } from "../../support/databases.ts";

/** One migrated database per backend, shared by the suite's tests and emptied before each. */
function sharedDatabase(backend: BackendName) {
  let opened: Promise<{ db: TestDatabase; database: SqlDatabase } | undefined> | undefined;
  return {
    async open(t: TestContext): Promise<{ db: TestDatabase; database: SqlDatabase } | undefined> {
      opened ??= (async () => {
        const db = await freshDatabase(t, backend);
        if (!db) return undefined;
        const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
        await database.migrate();
        return { db, database };
      })();
      const result = await opened;
      if (!result) {
        opened = undefined;
        return undefined;
      }
      const { db } = result.database;
      await db.deleteFrom("billing_ledger_entries").execute();
      await db.deleteFrom("billing_reservations").execute();
      await db.deleteFrom("billing_accounts").execute();
      await db.deleteFrom("billing_rates").execute();
      await db.deleteFrom("billing_rate_plans").execute();
      return result;
    },
    async close(): Promise<void> {
      const result = await opened;
      await result?.database.close();
      await result?.db.drop();
    },
  };
}

for (const backend of BACKENDS) {
  const shared = sharedDatabase(backend);
  after(() => shared.close());
  accountStoreContract(`SqlAccountStore on ${backend}`, async (t) => {
    const opened = await shared.open(t);
    return opened && new SqlAccountStore(opened.database.db);
  });

  describe(`SqlAccountStore schema on ${backend}`, () => {
    test("the database refuses to hold more than the balance even when the store is bypassed", async (t) => {
      const opened = await shared.open(t);
      if (!opened) return;
      const { db } = opened.database;
      await db
        .insertInto("billing_accounts")
        .values({
          id: "A1",
          kind: "member",
          currency: "EUR",
          owner: "o",
          balance: 10,
          reserved: 0,
          last_seq: 0,
          created_at: T0,
        })
        .execute();
      await assert.rejects(
        db.updateTable("billing_accounts").set({ reserved: 11 }).where("id", "=", "A1").execute(),
      );
      await assert.rejects(
        db.updateTable("billing_accounts").set({ balance: -1 }).where("id", "=", "A1").execute(),
      );
    });

    test("migration 0009 goes down and up again", async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        await database.migrate();
        const migrator = new Migrator({
          db: database.db,
          provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
        });
        assert.equal((await migrator.migrateTo("0008-background-calls")).error, undefined);
        await assert.rejects(database.db.selectFrom("billing_accounts").selectAll().execute());
        assert.ok((await database.migrate()).includes("0009-billing"));
        assert.deepEqual(await new SqlAccountStore(database.db).listPlans(), []);
      } finally {
        await database.close();
        await db.drop();
      }
    });

    test("money beyond 2^31 minor units is kept exactly", async (t) => {
      const opened = await shared.open(t);
      if (!opened) return;
      const store = new SqlAccountStore(opened.database.db);
      const billing = new CreditControl({ store, now: () => T0 });
      await billing.openAccount({ id: "A1", kind: "merchant", currency: "EUR", owner: "shop" });
      await billing.topUp("A1", { amount: 9_000_000_000_000 });
      await billing.topUp("A1", { amount: 1 });
      assert.equal((await billing.account("A1")).balance, 9_000_000_000_001);
      await assertBooksBalance(store, "A1");
    });
  });
}

describe("SqlAccountStore on postgres runs reservations in concurrent transactions", () => {
  const shared = sharedDatabase("postgres");
  after(() => shared.close());

  test("20 reservations wait together on the account's row lock, then hold no more than the balance", async (t) => {
    const opened = await shared.open(t);
    if (!opened) return;
    const store = new SqlAccountStore(opened.database.db);
    const billing = new CreditControl({ store, now: () => T0 });
    await billing.openAccount({ id: "A1", kind: "member", currency: "EUR", owner: "1001@example.com" });
    await billing.topUp("A1", { amount: 1000 });
    const rate = PLAN.rates[0] as Rate;

    // A blocker holds the row lock; every reservation's UPDATE must queue behind it in its own transaction.
    const blocker = new pg.Client({ connectionString: opened.db.url });
    await blocker.connect();
    // pg_stat_activity is read outside the blocker's transaction, which would see one frozen snapshot.
    const monitor = new pg.Client({ connectionString: opened.db.url });
    await monitor.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT * FROM billing_accounts WHERE id = 'A1' FOR UPDATE");
      const pending = Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.reserve({
            callId: `C${i}`,
            accountId: "A1",
            amount: 70,
            maxSeconds: 420,
            destination: "+33142680000",
            rate,
            at: T0,
          }),
        ),
      );
      // The pool (10 connections by default) runs 10 of them at once, all waiting on the lock.
      let waiting = 0;
      for (let i = 0; i < 100 && waiting < 10; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        const { rows } = await monitor.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        waiting = Number(rows[0]?.n ?? 0);
        if (waiting < 10) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(waiting, 10, "ten reservations wait on the lock at the same time");
      await blocker.query("COMMIT");
      const results = await pending;
      assert.equal(results.filter((r) => r.outcome === "held").length, 14);
      assert.equal((await store.getAccount("A1"))?.reserved, 980);
      await assertBooksBalance(store, "A1");
    } finally {
      await blocker.end();
      await monitor.end();
    }
  });
});
