import { BillingError } from "./billing-errors.ts";

/** Micro-units in one minor unit: a per-minute price of 1_000_000 is one cent (or penny …) a minute. */
export const MICROS_PER_MINOR_UNIT = 1_000_000;

/** The longest billing interval a rate may use, in seconds. */
export const MAX_INCREMENT_SECONDS = 3600;

/**
 * The price of calls to one destination prefix.
 *
 * Per-minute prices are integers in **micro-units of the minor unit** so that fractional-cent rates
 * (0.4 ¢/min = 400_000) are exact; the cost of a call is rounded up to a whole minor unit once, at the
 * end (see `rate()` in rating.ts). Increments follow the usual "first/next" notation: 60/60 bills
 * whole minutes, 6/6 six-second steps, 1/1 per second, 30/6 a 30-second minimum then 6-second steps.
 */
export interface Rate {
  /** E.164 digits without "+" ("4420" for London); "" is the plan's default rate. */
  prefix: string;
  /** Price of a minute, in micro-units of the currency's minor unit; 0 is free. */
  perMinuteMicros: number;
  /** Charged once per answered call, in minor units. */
  connectionFee: number;
  /** Seconds of the first billing interval, the minimum an answered call is billed (60 in 60/60). */
  firstIncrement: number;
  /** Seconds of every later interval (6 in 30/6). */
  nextIncrement: number;
}

/** A named set of rates in one currency; a destination takes the rate of its longest matching prefix. */
export interface RatePlan {
  id: string;
  name: string;
  /** ISO 4217 code; minor units are this currency's (cents for EUR/USD). */
  currency: string;
  rates: readonly Rate[];
}

const DIGITS = /^[0-9]*$/;
const CURRENCY = /^[A-Z]{3}$/;
const isCount = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;

/** The digits of an E.164 destination ("+442071234567" → "442071234567"); undefined when not E.164 digits. */
export function destinationDigits(destination: string): string | undefined {
  const digits = destination.startsWith("+") ? destination.slice(1) : destination;
  return DIGITS.test(digits) ? digits : undefined;
}

/** Throws BILLING_INVALID_PLAN naming the first thing wrong with the plan. */
export function checkRatePlan(plan: RatePlan): void {
  const invalid = (detail: string) => new BillingError("BILLING_INVALID_PLAN", `${plan.id}: ${detail}`);
  if (plan.id.length === 0) throw invalid("the id is empty");
  if (!CURRENCY.test(plan.currency)) throw invalid(`currency ${plan.currency} is not an ISO 4217 code`);
  const seen = new Set<string>();
  for (const rate of plan.rates) {
    const at = `rate "${rate.prefix}"`;
    if (!DIGITS.test(rate.prefix) || rate.prefix.length > 15)
      throw invalid(`${at}: prefixes are 0 to 15 digits`);
    if (seen.has(rate.prefix)) throw invalid(`${at} appears twice`);
    seen.add(rate.prefix);
    if (!isCount(rate.perMinuteMicros, 0)) throw invalid(`${at}: perMinuteMicros must be an integer ≥ 0`);
    if (!isCount(rate.connectionFee, 0)) throw invalid(`${at}: connectionFee must be an integer ≥ 0`);
    for (const [name, seconds] of [
      ["firstIncrement", rate.firstIncrement],
      ["nextIncrement", rate.nextIncrement],
    ] as const) {
      if (!isCount(seconds, 1) || seconds > MAX_INCREMENT_SECONDS) {
        throw invalid(`${at}: ${name} must be 1 to ${MAX_INCREMENT_SECONDS} seconds`);
      }
    }
  }
}

/**
 * The rate of the longest prefix of the destination's digits, the default ("") rate when none
 * matches, or undefined when the plan has no default either. A destination that is not E.164
 * digits gets only the default rate. A linear scan: a call is rated a couple of times, and plans
 * of a few thousand prefixes cost microseconds.
 */
export function findRate(plan: RatePlan, destination: string): Rate | undefined {
  const digits = destinationDigits(destination) ?? "";
  let best: Rate | undefined;
  for (const rate of plan.rates) {
    if (digits.startsWith(rate.prefix) && (!best || rate.prefix.length > best.prefix.length)) best = rate;
  }
  return best;
}
