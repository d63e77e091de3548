import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import {
  type AccountStore,
  availableBalance,
  BillingError,
  type CallCharge,
  CreditControl,
  type Hold,
  type Rate,
  type RatePlan,
} from "../../src/billing/index.ts";

/** 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** EUR: 10 ¢/min 60/60 by default; UK mobiles 15 ¢/min 6/6 with a 5 ¢ connection fee. */
export const PLAN: RatePlan = {
  id: "retail",
  name: "Retail",
  currency: "EUR",
  rates: [
    { prefix: "", perMinuteMicros: 10_000_000, connectionFee: 0, firstIncrement: 60, nextIncrement: 60 },
    { prefix: "447", perMinuteMicros: 15_000_000, connectionFee: 5, firstIncrement: 6, nextIncrement: 6 },
  ],
};
const FRANCE = "+33142680000";
const UK_MOBILE = "+447700900123";
const DEFAULT_RATE = PLAN.rates[0] as Rate;

/** A clock that moves one millisecond each time it is read. */
function ticking(): () => number {
  let t = T0;
  return () => t++;
}

const callCharge = (
  callId: string,
  cost: number,
  extra: Partial<CallCharge> = {},
): CallCharge & { at: number } => ({
  callId,
  destination: FRANCE,
  prefix: "",
  billableSeconds: 60,
  ratedSeconds: 60,
  perMinuteMicros: 10_000_000,
  connectionFee: 0,
  cost,
  at: T0,
  ...extra,
});

const hold = (callId: string, accountId: string, amount: number): Hold => ({
  callId,
  accountId,
  amount,
  maxSeconds: 60,
  destination: FRANCE,
  rate: DEFAULT_RATE,
  at: T0,
});

async function billingCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BillingError, `expected a BillingError, got ${String(error)}`);
    return error.code;
  }
  assert.fail("expected a BillingError");
}

/**
 * The books of an account balance: balance = Σ ledger amounts, each entry's balanceAfter is the
 * running sum, seq counts 1, 2, 3 …, reserved = Σ held reservations and 0 ≤ reserved ≤ balance.
 */
export async function assertBooksBalance(store: AccountStore, accountId: string): Promise<void> {
  const account = await store.getAccount(accountId);
  assert.ok(account, `account ${accountId} exists`);
  const entries = await store.ledger(accountId);
  let sum = 0;
  entries.forEach((entry, i) => {
    sum += entry.amount;
    assert.equal(entry.seq, i + 1, "seq counts from 1 without gaps");
    assert.equal(entry.balanceAfter, sum, `entry ${entry.seq}: balanceAfter is the running sum`);
  });
  assert.equal(account.balance, sum, "balance = Σ ledger amounts");
  const held = await store.heldReservations(accountId);
  assert.equal(
    account.reserved,
    held.reduce((total, r) => total + r.amount, 0),
    "reserved = Σ held reservations",
  );
  assert.ok(account.reserved >= 0 && account.reserved <= account.balance, "0 ≤ reserved ≤ balance");
}

/**
 * What every AccountStore does, as tests, directly and through CreditControl. `fresh(t)` returns an
 * empty store (undefined, after skipping t, when its backend is missing).
 */
export function accountStoreContract(
  suite: string,
  fresh: (t: TestContext) => Promise<AccountStore | undefined>,
): void {
  async function setUp(t: TestContext, balance = 0) {
    const store = await fresh(t);
    if (!store) return undefined;
    const billing = new CreditControl({ store, now: ticking() });
    const account = await billing.openAccount({
      id: "A1",
      kind: "member",
      currency: "EUR",
      owner: "1001@example.com",
    });
    if (balance > 0) await billing.topUp(account.id, { amount: balance });
    return { store, billing, accountId: account.id };
  }

  describe(suite, () => {
    test("a new account has no money; ids are unique; unknown ids are undefined", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      const account = {
        id: "A1",
        kind: "merchant" as const,
        currency: "EUR",
        owner: "shop-7",
        createdAt: T0,
      };
      assert.equal(await store.createAccount(account), "created");
      assert.equal(await store.createAccount({ ...account, kind: "sponsor" }), "duplicate");
      assert.deepEqual(await store.getAccount("A1"), { ...account, balance: 0, reserved: 0 });
      assert.equal(await store.getAccount("nope"), undefined);
      await store.createAccount({ ...account, id: "A2", owner: "other", createdAt: T0 + 1 });
      await store.createAccount({ ...account, id: "A3", createdAt: T0 + 2 });
      const byOwner = await store.listAccounts({ owner: "shop-7", limit: 10 });
      assert.deepEqual(
        byOwner.map((a) => a.id),
        ["A1", "A3"],
      );
      assert.deepEqual(
        (await store.listAccounts({ limit: 2 })).map((a) => a.id),
        ["A1", "A2"],
      );
    });

    test("top-ups and refunds append ledger entries whose sum is the balance", async (t) => {
      const ctx = await setUp(t);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const first = await billing.topUp(accountId, { amount: 500, reference: "pay-1" });
      assert.deepEqual(
        { kind: first.kind, seq: first.seq, amount: first.amount, balanceAfter: first.balanceAfter },
        { kind: "top-up", seq: 1, amount: 500, balanceAfter: 500 },
      );
      await billing.charge(accountId, { callId: "C1", destination: FRANCE, billableSeconds: 61, plan: PLAN });
      const refund = await billing.refund(accountId, { amount: 20, reference: "refund C1" });
      assert.deepEqual([refund.kind, refund.amount, refund.balanceAfter], ["refund", 20, 500]);
      assert.equal((await billing.account(accountId)).balance, 500);
      assert.deepEqual(
        (await store.ledger(accountId)).map((e) => [e.seq, e.kind, e.amount]),
        [
          [1, "top-up", 500],
          [2, "charge", -20],
          [3, "refund", 20],
        ],
      );
      assert.deepEqual(
        (await store.ledger(accountId, { afterSeq: 1, limit: 1 })).map((e) => e.seq),
        [2],
      );
      await assertBooksBalance(store, accountId);
    });

    test("a credit repeated with the same reference is applied once", async (t) => {
      const ctx = await setUp(t);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const first = await billing.topUp(accountId, { amount: 500, reference: "pay-1" });
      const again = await store.credit(accountId, "top-up", { amount: 500, reference: "pay-1", at: T0 + 9 });
      assert.equal(again.outcome, "duplicate");
      assert.deepEqual(again.outcome === "duplicate" && again.entry, first);
      await billing.topUp(accountId, { amount: 100 });
      await billing.topUp(accountId, { amount: 100 });
      assert.equal((await billing.account(accountId)).balance, 700, "credits without a reference all count");
      await assertBooksBalance(store, accountId);
    });

    test("credits and charges on an unknown account are refused; amounts must be positive integers", async (t) => {
      const ctx = await setUp(t);
      if (!ctx) return;
      const { billing, store } = ctx;
      assert.deepEqual(await store.credit("nope", "top-up", { amount: 1, at: T0 }), {
        outcome: "unknown-account",
      });
      assert.deepEqual(await store.charge("nope", callCharge("C1", 1)), { outcome: "unknown-account" });
      assert.deepEqual(await store.reserve(hold("C1", "nope", 1)), { outcome: "unknown-account" });
      assert.equal(await billingCode(billing.topUp("nope", { amount: 1 })), "BILLING_UNKNOWN_ACCOUNT");
      for (const amount of [0, -5, 1.5]) {
        assert.equal(await billingCode(billing.topUp("A1", { amount })), "BILLING_INVALID_AMOUNT");
      }
      assert.equal(
        await billingCode(
          billing.check({ accountId: "A1", plan: { ...PLAN, currency: "USD" }, destination: FRANCE }),
        ),
        "BILLING_CURRENCY_MISMATCH",
      );
    });

    test("a call is charged once per (account, call id), however often it is charged", async (t) => {
      const ctx = await setUp(t, 1000);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const request = { callId: "C1", destination: UK_MOBILE, billableSeconds: 61, plan: PLAN };
      const first = await billing.charge(accountId, request);
      assert.deepEqual(first.call, {
        callId: "C1",
        destination: UK_MOBILE,
        prefix: "447",
        billableSeconds: 61,
        ratedSeconds: 66,
        perMinuteMicros: 15_000_000,
        connectionFee: 5,
        cost: 22,
      });
      assert.deepEqual([first.amount, first.balanceAfter, first.shortfall], [-22, 978, 0]);
      assert.deepEqual(await billing.charge(accountId, request), first);
      assert.deepEqual(await billing.charge(accountId, { ...request, billableSeconds: 600 }), first);
      const raw = await store.charge(accountId, callCharge("C1", 99));
      assert.equal(raw.outcome, "duplicate");
      assert.equal((await billing.account(accountId)).balance, 978);
      await assertBooksBalance(store, accountId);
    });

    test("a charge larger than the available balance takes it to zero and records the shortfall", async (t) => {
      const ctx = await setUp(t, 30);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const entry = await billing.charge(accountId, {
        callId: "C1",
        destination: FRANCE,
        billableSeconds: 300,
        plan: PLAN,
      });
      assert.deepEqual(
        [entry.call?.cost, entry.amount, entry.shortfall, entry.balanceAfter],
        [50, -30, 20, 0],
      );
      const broke = await billing.charge(accountId, {
        callId: "C2",
        destination: FRANCE,
        billableSeconds: 1,
        plan: PLAN,
      });
      assert.deepEqual([broke.amount, broke.shortfall, broke.balanceAfter], [0, 10, 0]);
      assert.equal((await billing.account(accountId)).balance, 0);
      await assertBooksBalance(store, accountId);
    });

    test("an unreserved charge never takes what other calls hold", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { store, accountId } = ctx;
      assert.equal((await store.reserve(hold("HELD", accountId, 80))).outcome, "held");
      const result = await store.charge(accountId, callCharge("C1", 50));
      assert.ok(result.outcome === "charged");
      assert.deepEqual([result.entry.amount, result.entry.shortfall], [-20, 30]);
      const account = await store.getAccount(accountId);
      assert.deepEqual([account?.balance, account?.reserved], [80, 80]);
      await assertBooksBalance(store, accountId);
    });

    test("check allows a call only with a positive balance that pays the first interval", async (t) => {
      const ctx = await setUp(t, 14);
      if (!ctx) return;
      const { billing, accountId } = ctx;
      const france = await billing.check({ accountId, plan: PLAN, destination: FRANCE });
      assert.deepEqual([france.allowed, france.available, france.maxSeconds], [true, 14, 60]);
      const mobile = await billing.check({ accountId, plan: PLAN, destination: UK_MOBILE });
      assert.deepEqual([mobile.allowed, mobile.maxSeconds], [true, 36], "5 ¢ fee + 36 s at 15 ¢/min = 9 ¢");
      await billing.charge(accountId, { callId: "C1", destination: FRANCE, billableSeconds: 1, plan: PLAN });
      const short = await billing.check({ accountId, plan: PLAN, destination: FRANCE });
      assert.deepEqual([short.allowed, short.available, short.maxSeconds], [false, 4, 0]);
    });

    test("authorize holds the longest affordable call; settle charges the call and frees the rest", async (t) => {
      const ctx = await setUp(t, 95);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const reservation = await billing.authorize({
        accountId,
        callId: "C1",
        plan: PLAN,
        destination: FRANCE,
      });
      assert.deepEqual(
        [reservation.state, reservation.maxSeconds, reservation.amount, reservation.rate.prefix],
        ["held", 540, 90, ""],
      );
      let account = await billing.account(accountId);
      assert.deepEqual([account.balance, account.reserved, availableBalance(account)], [95, 90, 5]);
      assert.equal(
        await billingCode(billing.authorize({ accountId, callId: "C2", plan: PLAN, destination: FRANCE })),
        "BILLING_INSUFFICIENT_BALANCE",
      );
      const entry = await billing.settle("C1", 125);
      assert.deepEqual(
        [entry.kind, entry.amount, entry.call?.ratedSeconds, entry.shortfall],
        ["charge", -30, 180, 0],
      );
      account = await billing.account(accountId);
      assert.deepEqual([account.balance, account.reserved], [65, 0]);
      assert.equal((await store.getReservation("C1"))?.state, "settled");
      assert.deepEqual(await billing.settle("C1", 125), entry, "settling twice charges once");
      assert.equal((await billing.release("C1"))?.state, "settled", "release after settle changes nothing");
      assert.equal((await billing.account(accountId)).balance, 65);
      await assertBooksBalance(store, accountId);
    });

    test("settle uses the rate held at reserve time, even if the plan changed since", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { billing, accountId } = ctx;
      await billing.reserve({ accountId, callId: "C1", plan: PLAN, destination: FRANCE, maxSeconds: 120 });
      const dearer = {
        ...PLAN,
        rates: PLAN.rates.map((r) => ({ ...r, perMinuteMicros: r.perMinuteMicros * 10 })),
      };
      await billing.savePlan(dearer);
      const entry = await billing.settle("C1", 60);
      assert.equal(entry.amount, -10);
    });

    test("release frees the hold of an unanswered call, which costs nothing", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const reservation = await billing.reserve({
        accountId,
        callId: "C1",
        plan: PLAN,
        destination: FRANCE,
        maxSeconds: 300,
      });
      assert.equal(reservation.amount, 50);
      assert.equal((await billing.account(accountId)).reserved, 50);
      const released = await billing.release("C1");
      assert.equal(released?.state, "released");
      assert.equal(typeof released?.closedAt, "number");
      assert.equal((await billing.release("C1"))?.state, "released", "releasing twice is harmless");
      assert.equal(await billing.release("unknown"), undefined);
      const account = await billing.account(accountId);
      assert.deepEqual([account.balance, account.reserved], [100, 0]);
      assert.deepEqual(await store.ledger(accountId).then((l) => l.map((e) => e.kind)), ["top-up"]);
      assert.deepEqual(await store.heldReservations(accountId), []);
      await assertBooksBalance(store, accountId);
    });

    test("settling a call whose hold was released still charges it, from the available balance", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      await billing.reserve({ accountId, callId: "C1", plan: PLAN, destination: FRANCE, maxSeconds: 60 });
      await billing.release("C1");
      const entry = await billing.settle("C1", 90);
      assert.deepEqual([entry.amount, entry.shortfall, entry.balanceAfter], [-20, 0, 80]);
      assert.equal((await store.getReservation("C1"))?.state, "released");
      await assertBooksBalance(store, accountId);
    });

    test("a call id is reserved once; reserving it again returns the first reservation", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const first = await billing.reserve({
        accountId,
        callId: "C1",
        plan: PLAN,
        destination: FRANCE,
        maxSeconds: 60,
      });
      const again = await billing.reserve({
        accountId,
        callId: "C1",
        plan: PLAN,
        destination: FRANCE,
        maxSeconds: 600,
      });
      assert.deepEqual(again, first);
      assert.equal((await billing.account(accountId)).reserved, 10);
      assert.equal((await store.reserve(hold("C1", accountId, 1))).outcome, "exists");
      assert.deepEqual(await store.reserve(hold("C2", accountId, 91)), {
        outcome: "insufficient",
        available: 90,
      });
      assert.equal(await billingCode(billing.settle("C9", 10)), "BILLING_UNKNOWN_RESERVATION");
      assert.equal(
        await billingCode(
          billing.reserve({ accountId, callId: "C3", plan: PLAN, destination: FRANCE, maxSeconds: 0 }),
        ),
        "BILLING_INVALID_DURATION",
      );
    });

    test("a call cut at its maximum duration pays in full; one that ran over records the shortfall", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const first = await billing.authorize({ accountId, callId: "C1", plan: PLAN, destination: UK_MOBILE });
      assert.deepEqual(
        [first.maxSeconds, first.amount],
        [378, 100],
        "5 ¢ + 378 s at 15 ¢/min = 99.5 → 100 ¢",
      );
      const paid = await billing.settle("C1", first.maxSeconds);
      assert.deepEqual([paid.amount, paid.shortfall, paid.balanceAfter], [-100, 0, 0]);

      await billing.topUp(accountId, { amount: 100 });
      const second = await billing.authorize({ accountId, callId: "C2", plan: PLAN, destination: UK_MOBILE });
      // 385 s → 390 rated: 5 ¢ + 97.5 → 98 ¢ = 103 ¢, of which 100 ¢ are left.
      const over = await billing.settle("C2", second.maxSeconds + 7);
      assert.deepEqual([over.call?.cost, over.amount, over.shortfall, over.balanceAfter], [103, -100, 3, 0]);
      await assertBooksBalance(store, accountId);
    });

    test("20 concurrent reservations against one balance never hold more than it", async (t) => {
      const ctx = await setUp(t, 1000);
      if (!ctx) return;
      const { store, accountId } = ctx;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.reserve(hold(`C${i}`, accountId, 70))),
      );
      assert.equal(results.filter((r) => r.outcome === "held").length, 14, "14 × 70 = 980 fit in 1000");
      assert.equal(results.filter((r) => r.outcome === "insufficient").length, 6);
      const account = await store.getAccount(accountId);
      assert.deepEqual([account?.balance, account?.reserved], [1000, 980]);
      await assertBooksBalance(store, accountId);
    });

    test("20 concurrent authorizations, settlements and releases keep the books exact", async (t) => {
      const ctx = await setUp(t, 300);
      if (!ctx) return;
      const { billing, store, accountId } = ctx;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const callId = `C${i}`;
          try {
            await billing.reserve({ accountId, callId, plan: PLAN, destination: FRANCE, maxSeconds: 120 });
          } catch (error) {
            assert.ok(error instanceof BillingError && error.code === "BILLING_INSUFFICIENT_BALANCE");
            return "refused";
          }
          if (i % 3 === 0) {
            await billing.release(callId);
            return "released";
          }
          // Settled twice at once: charged once.
          await Promise.all([billing.settle(callId, 61), billing.settle(callId, 61)]);
          return "settled";
        }),
      );
      const settled = outcomes.filter((o) => o === "settled").length;
      assert.ok(settled > 0);
      const account = await billing.account(accountId);
      assert.equal(account.reserved, 0);
      assert.equal(account.balance, 300 - 20 * settled, "each settled call cost 2 minutes at 10 ¢");
      assert.equal((await store.ledger(accountId)).length, 1 + settled);
      await assertBooksBalance(store, accountId);
    });

    test("10 concurrent charges of the same call charge it once", async (t) => {
      const ctx = await setUp(t, 100);
      if (!ctx) return;
      const { store, accountId } = ctx;
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.charge(accountId, callCharge("C1", 30))),
      );
      assert.equal(results.filter((r) => r.outcome === "charged").length, 1);
      assert.equal((await store.getAccount(accountId))?.balance, 70);
      await assertBooksBalance(store, accountId);
    });

    test("rate plans are saved whole, replaced whole, listed and removed", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      const billing = new CreditControl({ store, now: ticking() });
      await billing.savePlan(PLAN);
      assert.deepEqual(await store.getPlan("retail"), PLAN);
      const replaced: RatePlan = { ...PLAN, name: "Retail 2026", rates: [PLAN.rates[1] as Rate] };
      await billing.savePlan(replaced);
      assert.deepEqual(await billing.plan("retail"), replaced);
      await store.savePlan({ id: "empty", name: "Empty", currency: "USD", rates: [] });
      assert.deepEqual(
        (await store.listPlans()).map((p) => [p.id, p.rates.length]),
        [
          ["empty", 0],
          ["retail", 1],
        ],
      );
      assert.equal(await store.removePlan("retail"), true);
      assert.equal(await store.removePlan("retail"), false);
      assert.equal(await billingCode(billing.plan("retail")), "BILLING_UNKNOWN_PLAN");
      assert.equal(
        await billingCode(billing.savePlan({ ...PLAN, rates: [{ ...DEFAULT_RATE, firstIncrement: 0 }] })),
        "BILLING_INVALID_PLAN",
      );
    });
  });
}
