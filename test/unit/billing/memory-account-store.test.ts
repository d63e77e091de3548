import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CreditControl, MemoryAccountStore } from "../../../src/billing/index.ts";
import { accountStoreContract, PLAN, T0 } from "../../support/account-store-contract.ts";

accountStoreContract("MemoryAccountStore", async () => new MemoryAccountStore());

describe("MemoryAccountStore", () => {
  test("hands out copies: changing what it returned does not change the books", async () => {
    const store = new MemoryAccountStore();
    const billing = new CreditControl({ store, now: () => T0 });
    const account = await billing.openAccount({ id: "A1", kind: "sponsor", currency: "EUR", owner: "ngo" });
    account.balance = 1_000_000;
    const entry = await billing.topUp("A1", { amount: 10 });
    entry.amount = 99;
    await store.savePlan(PLAN);
    const plan = await store.getPlan(PLAN.id);
    assert.ok(plan?.rates[0]);
    plan.rates[0].prefix = "999";
    assert.equal((await store.getAccount("A1"))?.balance, 10);
    assert.equal((await store.ledger("A1"))[0]?.amount, 10);
    assert.equal((await store.getPlan(PLAN.id))?.rates[0]?.prefix, "");
  });

  test("openAccount gives an id when none is asked for and refuses a kind, currency or owner it does not know", async () => {
    const billing = new CreditControl({ store: new MemoryAccountStore(), now: () => T0 });
    const account = await billing.openAccount({ kind: "member", currency: "EUR", owner: "1001@example.com" });
    assert.match(account.id, /^[0-9a-f-]{36}$/);
    assert.equal(account.createdAt, T0);
    await assert.rejects(
      billing.openAccount({ id: account.id, kind: "member", currency: "EUR", owner: "x" }),
      { code: "BILLING_DUPLICATE_ACCOUNT" },
    );
    for (const bad of [
      { kind: "customer" as "member", currency: "EUR", owner: "x" },
      { kind: "member" as const, currency: "eur", owner: "x" },
      { kind: "member" as const, currency: "EUR", owner: "" },
    ]) {
      await assert.rejects(billing.openAccount(bad), { code: "BILLING_INVALID_ACCOUNT" });
    }
  });
});
