import { BillingError } from "./billing-errors.ts";
import { findRate, MICROS_PER_MINOR_UNIT, type Rate, type RatePlan } from "./rate-plan.ts";

/** The default ceiling of maxDurationSeconds: a day, for free or very cheap destinations. */
export const MAX_CALL_SECONDS = 86_400;

/** Micro-units per minute → micro-units per second is a division by 60; costs are kept as this numerator. */
const MICROS_PER_MINOR_UNIT_MINUTE = BigInt(MICROS_PER_MINOR_UNIT) * 60n;

/** What an answered call costs under one rate. */
export interface RatedCall {
  /** Minor units: the connection fee plus the rated seconds' price, rounded up once. */
  cost: number;
  /** The billable seconds rounded up to the rate's increments (never less than the first interval). */
  ratedSeconds: number;
  /** The prefix of the rate that applied ("" for the default). */
  prefix: string;
  rate: Rate;
}

function checkSeconds(seconds: number, what: string): void {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new BillingError("BILLING_INVALID_DURATION", `${what} = ${seconds}`);
  }
}

/** Whole billable seconds of an answered call lasting `ms` milliseconds: any started second counts. */
export function billableSecondsOf(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * Billable seconds rounded up to the rate's increments: the first interval is the minimum (an
 * answered call of 0 s is billed one first interval), then whole next intervals.
 * 30/6: 0 → 30, 30 → 30, 31 → 36, 37 → 42.
 */
export function ratedSecondsOf(rate: Rate, billableSeconds: number): number {
  checkSeconds(billableSeconds, "billable seconds");
  const { firstIncrement: first, nextIncrement: next } = rate;
  if (billableSeconds <= first) return first;
  return first + Math.ceil((billableSeconds - first) / next) * next;
}

/**
 * Minor units for `ratedSeconds` under the rate: connectionFee + ⌈ratedSeconds × perMinuteMicros ÷
 * 60 000 000⌉. Exact integer arithmetic; the only rounding is this one, up, per call, so a call
 * never costs more than one minor unit above its exact price.
 */
export function costOf(rate: Rate, ratedSeconds: number): number {
  checkSeconds(ratedSeconds, "rated seconds");
  const micros = BigInt(ratedSeconds) * BigInt(rate.perMinuteMicros);
  const cost =
    BigInt(rate.connectionFee) + (micros + MICROS_PER_MINOR_UNIT_MINUTE - 1n) / MICROS_PER_MINOR_UNIT_MINUTE;
  if (cost > BigInt(Number.MAX_SAFE_INTEGER))
    throw new BillingError("BILLING_INVALID_DURATION", "cost overflows");
  return Number(cost);
}

/** Rates an answered call of `billableSeconds` under one rate (settle uses the rate held at reserve time). */
export function rateWith(rate: Rate, billableSeconds: number): RatedCall {
  const ratedSeconds = ratedSecondsOf(rate, billableSeconds);
  return { cost: costOf(rate, ratedSeconds), ratedSeconds, prefix: rate.prefix, rate };
}

/** The rate a destination gets in the plan; BILLING_NO_RATE when no prefix matches and there is no default. */
export function rateFor(plan: RatePlan, destination: string): Rate {
  const found = findRate(plan, destination);
  if (!found) throw new BillingError("BILLING_NO_RATE", `${destination} in plan ${plan.id}`);
  return found;
}

/**
 * What an answered call to `destination` lasting `billableSeconds` costs under the plan.
 *
 * Unanswered calls are never rated and cost nothing: their reservation is released. An answered
 * call of 0 s costs the connection fee plus the first interval.
 */
export function rate(plan: RatePlan, destination: string, billableSeconds: number): RatedCall {
  return rateWith(rateFor(plan, destination), billableSeconds);
}

/**
 * The longest duration, in seconds, whose rated cost under `rate` is ≤ `balance` (minor units),
 * capped at `ceilingSeconds`; 0 when even the connection fee plus the first interval cannot be paid.
 * Below the ceiling the answer is an interval boundary D with costOf(D) ≤ balance < costOf(D + 1).
 */
export function maxDurationWith(rate: Rate, balance: number, ceilingSeconds = MAX_CALL_SECONDS): number {
  checkSeconds(ceilingSeconds, "ceiling");
  const left = BigInt(Math.max(0, Math.floor(balance))) - BigInt(rate.connectionFee);
  if (left < 0n) return 0;
  if (rate.perMinuteMicros === 0) return ceilingSeconds;
  // ⌈R × p ÷ M⌉ ≤ left  ⇔  R × p ≤ left × M  ⇔  R ≤ ⌊left × M ÷ p⌋ (M = micro-units per minor-unit minute).
  const affordable = (left * MICROS_PER_MINOR_UNIT_MINUTE) / BigInt(rate.perMinuteMicros);
  const first = BigInt(rate.firstIncrement);
  if (affordable < first) return 0;
  const next = BigInt(rate.nextIncrement);
  const longest = first + ((affordable - first) / next) * next;
  return longest > BigInt(ceilingSeconds) ? ceilingSeconds : Number(longest);
}

/** maxDurationWith for the destination's rate in the plan (BILLING_NO_RATE when there is none). */
export function maxDurationSeconds(
  plan: RatePlan,
  destination: string,
  balance: number,
  ceilingSeconds = MAX_CALL_SECONDS,
): number {
  return maxDurationWith(rateFor(plan, destination), balance, ceilingSeconds);
}
