import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  BillingError,
  checkRatePlan,
  costOf,
  findRate,
  maxDurationSeconds,
  maxDurationWith,
  type Rate,
  type RatePlan,
  rate,
  ratedSecondsOf,
} from "../../../src/billing/index.ts";

const cents = (perMinute: number) => Math.round(perMinute * 1_000_000);
const tariff = (prefix: string, perMinute: number, increments: string, connectionFee = 0): Rate => {
  const [first, next] = increments.split("/").map(Number) as [number, number];
  return {
    prefix,
    perMinuteMicros: cents(perMinute),
    connectionFee,
    firstIncrement: first,
    nextIncrement: next,
  };
};

/** EUR; the default 10 ¢/min 60/60, UK 2 ¢/min 30/6 + 5 ¢, London 1.2 ¢/min 1/1, UK mobiles 15 ¢/min 6/6. */
const PLAN: RatePlan = {
  id: "retail",
  name: "Retail",
  currency: "EUR",
  rates: [
    tariff("", 10, "60/60"),
    tariff("44", 2, "30/6", 5),
    tariff("4420", 1.2, "1/1"),
    tariff("447", 15, "6/6"),
  ],
};

function billingCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof BillingError, `expected a BillingError, got ${String(error)}`);
    return error.code;
  }
  assert.fail("expected a BillingError");
}

describe("rate plans", () => {
  test("a destination takes the rate of its longest matching prefix, else the default", () => {
    assert.equal(findRate(PLAN, "+442071234567")?.prefix, "4420");
    assert.equal(findRate(PLAN, "447700900123")?.prefix, "447");
    assert.equal(findRate(PLAN, "+441632960000")?.prefix, "44");
    assert.equal(findRate(PLAN, "+33142680000")?.prefix, "");
    assert.equal(findRate(PLAN, "+4")?.prefix, "", "a prefix longer than the number does not match");
  });

  test("a destination that is not E.164 digits gets only the default rate", () => {
    assert.equal(findRate(PLAN, "sip:44@example.com")?.prefix, "");
    assert.equal(findRate(PLAN, "+44 20 7123")?.prefix, "");
  });

  test("without a default rate an unmatched destination has no rate and rating refuses it", () => {
    const plan = { ...PLAN, rates: PLAN.rates.filter((r) => r.prefix !== "") };
    assert.equal(findRate(plan, "+33142680000"), undefined);
    assert.equal(
      billingCode(() => rate(plan, "+33142680000", 60)),
      "BILLING_NO_RATE",
    );
    assert.equal(
      billingCode(() => maxDurationSeconds(plan, "+33142680000", 100)),
      "BILLING_NO_RATE",
    );
  });

  test("checkRatePlan refuses fractional prices, zero increments, repeated prefixes and bad currencies", () => {
    checkRatePlan(PLAN);
    const bad: Array<Partial<RatePlan>> = [
      { currency: "euro" },
      { rates: [{ ...tariff("", 1, "60/60"), perMinuteMicros: 1.5 }] },
      { rates: [{ ...tariff("", 1, "60/60"), connectionFee: -1 }] },
      { rates: [tariff("", 1, "0/60")] },
      { rates: [tariff("", 1, "60/0")] },
      { rates: [tariff("", 1, "7200/60")] },
      { rates: [tariff("44", 1, "60/60"), tariff("44", 2, "60/60")] },
      { rates: [tariff("+44", 1, "60/60")] },
    ];
    for (const patch of bad) {
      assert.equal(
        billingCode(() => checkRatePlan({ ...PLAN, ...patch })),
        "BILLING_INVALID_PLAN",
        JSON.stringify(patch),
      );
    }
  });
});

describe("rate", () => {
  test("60/60 bills whole minutes, an answered call of 0 s included", () => {
    const at = (s: number) => rate(PLAN, "+33142680000", s);
    assert.deepEqual([at(0).ratedSeconds, at(0).cost], [60, 10]);
    assert.deepEqual([at(1).ratedSeconds, at(1).cost], [60, 10]);
    assert.deepEqual([at(60).ratedSeconds, at(60).cost], [60, 10]);
    assert.deepEqual([at(61).ratedSeconds, at(61).cost], [120, 20]);
    assert.deepEqual([at(3600).ratedSeconds, at(3600).cost], [3600, 600]);
    assert.equal(at(61).prefix, "");
  });

  test("6/6 bills six-second steps and rounds the price up to a cent once", () => {
    const at = (s: number) => rate(PLAN, "+447700900123", s);
    assert.deepEqual([at(0).ratedSeconds, at(0).cost], [6, 2], "6 s at 15 ¢/min = 1.5 ¢ → 2 ¢");
    assert.deepEqual([at(6).ratedSeconds, at(6).cost], [6, 2]);
    assert.deepEqual([at(7).ratedSeconds, at(7).cost], [12, 3], "12 s = 3 ¢ exactly");
    assert.deepEqual([at(61).ratedSeconds, at(61).cost], [66, 17], "66 s = 16.5 ¢ → 17 ¢");
  });

  test("1/1 bills per second; the fractional-cent price rounds up only at the end of the call", () => {
    const at = (s: number) => rate(PLAN, "+442071234567", s);
    assert.deepEqual([at(0).ratedSeconds, at(0).cost], [1, 1], "1 s at 1.2 ¢/min = 0.02 ¢ → 1 ¢");
    assert.deepEqual([at(100).ratedSeconds, at(100).cost], [100, 2], "100 s = 2 ¢ exactly");
    assert.deepEqual([at(101).ratedSeconds, at(101).cost], [101, 3], "101 s = 2.02 ¢ → 3 ¢, not 101 ¢");
    assert.equal(at(125).cost, 3, "125 s = 2.5 ¢ → 3 ¢");
  });

  test("30/6 bills a 30-second minimum then six-second steps, plus the connection fee", () => {
    const at = (s: number) => rate(PLAN, "+441632960000", s);
    assert.deepEqual([at(0).ratedSeconds, at(0).cost], [30, 6], "fee 5 + 30 s at 2 ¢/min = 1 ¢");
    assert.deepEqual([at(30).ratedSeconds, at(30).cost], [30, 6]);
    assert.deepEqual([at(31).ratedSeconds, at(31).cost], [36, 7], "fee 5 + 1.2 ¢ → 2 ¢");
    assert.deepEqual([at(37).ratedSeconds, at(37).cost], [42, 7], "fee 5 + 1.4 ¢ → 2 ¢");
    assert.deepEqual([at(90).ratedSeconds, at(90).cost], [90, 8], "fee 5 + 3 ¢");
  });

  test("a free destination costs only its connection fee", () => {
    const free = tariff("", 0, "60/60", 3);
    assert.equal(costOf(free, ratedSecondsOf(free, 7200)), 3);
  });

  test("negative or fractional seconds are refused", () => {
    assert.equal(
      billingCode(() => rate(PLAN, "+33142680000", -1)),
      "BILLING_INVALID_DURATION",
    );
    assert.equal(
      billingCode(() => rate(PLAN, "+33142680000", 1.5)),
      "BILLING_INVALID_DURATION",
    );
  });
});

describe("maxDurationSeconds", () => {
  test("is the longest interval boundary whose cost the balance covers", () => {
    assert.equal(maxDurationSeconds(PLAN, "+33142680000", 100), 600, "10 minutes at 10 ¢");
    assert.equal(maxDurationSeconds(PLAN, "+33142680000", 95), 540);
    assert.equal(maxDurationSeconds(PLAN, "+33142680000", 9), 0, "the first minute costs 10 ¢");
    assert.equal(maxDurationSeconds(PLAN, "+442071234567", 3), 150, "3 ¢ at 1.2 ¢/min, per second");
    assert.equal(maxDurationSeconds(PLAN, "+447700900123", 17), 66, "66 s = 16.5 ¢ → 17 ¢");
  });

  test("counts the connection fee before the first interval", () => {
    assert.equal(maxDurationSeconds(PLAN, "+441632960000", 5), 0, "the fee alone, not the first 30 s");
    assert.equal(maxDurationSeconds(PLAN, "+441632960000", 6), 30);
    assert.equal(maxDurationSeconds(PLAN, "+441632960000", 7), 60, "fee 5 + 60 s = 2 ¢");
  });

  test("a free destination is capped by the ceiling, and still needs its connection fee", () => {
    const free = tariff("", 0, "60/60", 3);
    assert.equal(maxDurationWith(free, 3), 86_400);
    assert.equal(maxDurationWith(free, 3, 3600), 3600);
    assert.equal(maxDurationWith(free, 2), 0);
  });

  test("the ceiling caps a long affordable duration", () => {
    assert.equal(maxDurationSeconds(PLAN, "+33142680000", 1_000_000, 7200), 7200);
  });

  test("is exact in each plan's worked cases: cost(max) ≤ balance < cost(max + 1) and < cost(max + next)", () => {
    for (const destination of ["+33142680000", "+441632960000", "+442071234567", "+447700900123"]) {
      const found = findRate(PLAN, destination) as Rate;
      for (let balance = 0; balance <= 250; balance++) {
        const max = maxDurationWith(found, balance);
        const cost = (s: number) => costOf(found, ratedSecondsOf(found, s));
        if (max === 0) {
          assert.ok(cost(0) > balance, `${destination} ${balance}: the first interval is affordable`);
          continue;
        }
        assert.ok(cost(max) <= balance, `${destination} ${balance}: cost(${max}) > balance`);
        assert.ok(cost(max + 1) > balance, `${destination} ${balance}: ${max + 1} s is affordable`);
        assert.ok(cost(max + found.nextIncrement) > balance);
      }
    }
  });
});

const arbitraryRate = fc.record({
  prefix: fc.constant(""),
  perMinuteMicros: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 200_000_000 })),
  connectionFee: fc.integer({ min: 0, max: 50 }),
  firstIncrement: fc.oneof(fc.constantFrom(1, 6, 30, 60), fc.integer({ min: 1, max: 3600 })),
  nextIncrement: fc.oneof(fc.constantFrom(1, 6, 60), fc.integer({ min: 1, max: 3600 })),
});

describe("rating properties", () => {
  test("maxDuration is exact for any rate and balance: cost(max) ≤ balance < cost(max + 1)", () => {
    fc.assert(
      fc.property(arbitraryRate, fc.integer({ min: 0, max: 10_000_000 }), (found, balance) => {
        const max = maxDurationWith(found, balance, Number.MAX_SAFE_INTEGER);
        const cost = (s: number) => costOf(found, ratedSecondsOf(found, s));
        if (max === 0) return cost(0) > balance;
        return (
          ratedSecondsOf(found, max) === max &&
          cost(max) <= balance &&
          cost(max + 1) > balance &&
          cost(max + found.nextIncrement) > balance
        );
      }),
      { numRuns: 2000 },
    );
  });

  test("rated seconds are the smallest interval boundary covering the call, and the cost is at most one minor unit above the exact price", () => {
    fc.assert(
      fc.property(arbitraryRate, fc.integer({ min: 0, max: 100_000 }), (found, seconds) => {
        const rated = ratedSecondsOf(found, seconds);
        const { firstIncrement: first, nextIncrement: next } = found;
        const boundary = rated === first || (rated > first && (rated - first) % next === 0);
        const smallest = rated === first || rated - next < seconds;
        const exact = (rated * found.perMinuteMicros) / 60_000_000;
        const price = costOf(found, rated) - found.connectionFee;
        return rated >= seconds && boundary && smallest && price >= exact && price < exact + 1;
      }),
      { numRuns: 2000 },
    );
  });

  test("cost never decreases with the duration", () => {
    fc.assert(
      fc.property(arbitraryRate, fc.nat(20_000), fc.nat(20_000), (found, a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        return costOf(found, ratedSecondsOf(found, short)) <= costOf(found, ratedSecondsOf(found, long));
      }),
    );
  });
});
