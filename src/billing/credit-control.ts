import { newId } from "../kernel/ids.ts";
import {
  ACCOUNT_KINDS,
  type Account,
  type AccountKind,
  type AccountStore,
  availableBalance,
  type LedgerEntry,
  type Reservation,
} from "./account-store.ts";
import { BillingError } from "./billing-errors.ts";
import { checkRatePlan, type Rate, type RatePlan } from "./rate-plan.ts";
import {
  costOf,
  MAX_CALL_SECONDS,
  maxDurationWith,
  type RatedCall,
  ratedSecondsOf,
  rateFor,
  rateWith,
} from "./rating.ts";

export interface CreditControlOptions {
  store: AccountStore;
  /** Epoch ms, for ledger and reservation times. */
  now: () => number;
  /** No reservation is longer than this, in seconds (free destinations would otherwise be unbounded). */
  ceilingSeconds?: number;
}

/** The answer of a balance check before a call. */
export interface BalanceCheck {
  /** balance > 0 and at least the first interval can be paid. */
  allowed: boolean;
  /** Balance less what calls in progress hold, minor units. */
  available: number;
  /** Where the call must be cut if placed now; 0 when not allowed. */
  maxSeconds: number;
  rate: Rate;
}

export interface CallTarget {
  accountId: string;
  plan: RatePlan;
  /** E.164 number dialled. */
  destination: string;
}

/** Attempts of authorize() when concurrent reservations keep taking what it had computed. */
const AUTHORIZE_ATTEMPTS = 5;

const checkAmount = (amount: number): void => {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new BillingError("BILLING_INVALID_AMOUNT", String(amount));
};

/**
 * Prepaid credit control for calls, after the Diameter Credit-Control application's model
 * (https://www.rfc-editor.org/rfc/rfc4006#section-4.1 "Reserve Units" then "Debit Units"): before
 * dialling, the cost of the longest affordable call is reserved against the account; the call is
 * cut at that duration; when it ends the rated cost is charged and the rest of the hold released.
 * Unanswered or failed calls release their hold and cost nothing.
 */
export class CreditControl {
  readonly #store: AccountStore;
  readonly #now: () => number;
  readonly #ceiling: number;

  constructor(options: CreditControlOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#ceiling = options.ceilingSeconds ?? MAX_CALL_SECONDS;
  }

  async openAccount(input: {
    id?: string;
    kind: AccountKind;
    currency: string;
    owner: string;
  }): Promise<Account> {
    const id = input.id ?? newId();
    if (!ACCOUNT_KINDS.includes(input.kind) || !/^[A-Z]{3}$/.test(input.currency) || input.owner === "") {
      throw new BillingError("BILLING_INVALID_ACCOUNT", `${input.kind}, ${input.currency}, "${input.owner}"`);
    }
    const created = await this.#store.createAccount({
      id,
      kind: input.kind,
      currency: input.currency,
      owner: input.owner,
      createdAt: this.#now(),
    });
    if (created === "duplicate") throw new BillingError("BILLING_DUPLICATE_ACCOUNT", id);
    return this.account(id);
  }

  async account(id: string): Promise<Account> {
    const account = await this.#store.getAccount(id);
    if (!account) throw new BillingError("BILLING_UNKNOWN_ACCOUNT", id);
    return account;
  }

  /** An administrator's top-up; with a reference, repeating it returns the first entry. */
  async topUp(accountId: string, input: { amount: number; reference?: string }): Promise<LedgerEntry> {
    return this.#credit(accountId, "top-up", input);
  }

  async refund(accountId: string, input: { amount: number; reference?: string }): Promise<LedgerEntry> {
    return this.#credit(accountId, "refund", input);
  }

  /** BalanceCheck: may the account place this call now, and for how long at most. */
  async check(target: CallTarget): Promise<BalanceCheck> {
    const { account, rate } = await this.#target(target);
    const available = availableBalance(account);
    const maxSeconds = available > 0 ? maxDurationWith(rate, available, this.#ceiling) : 0;
    return { allowed: maxSeconds > 0, available, maxSeconds, rate };
  }

  /**
   * Reserves the longest call the available balance pays for and returns it: `maxSeconds` is where
   * the call is cut. BILLING_INSUFFICIENT_BALANCE when not even the first interval is covered.
   * A call id already reserved returns its reservation.
   */
  async authorize(target: CallTarget & { callId: string }): Promise<Reservation> {
    for (let attempt = 0; attempt < AUTHORIZE_ATTEMPTS; attempt++) {
      const { account, rate } = await this.#target(target);
      const available = availableBalance(account);
      const maxSeconds = available > 0 ? maxDurationWith(rate, available, this.#ceiling) : 0;
      if (maxSeconds === 0) break;
      const held = await this.#hold(target, rate, maxSeconds);
      if (held) return held;
    }
    throw new BillingError("BILLING_INSUFFICIENT_BALANCE", `account ${target.accountId}`);
  }

  /** Holds the rated cost of `maxSeconds` (≥ 1) for the call; BILLING_INSUFFICIENT_BALANCE when not available. */
  async reserve(target: CallTarget & { callId: string; maxSeconds: number }): Promise<Reservation> {
    if (!Number.isSafeInteger(target.maxSeconds) || target.maxSeconds < 1) {
      throw new BillingError("BILLING_INVALID_DURATION", `maxSeconds = ${target.maxSeconds}`);
    }
    const { rate } = await this.#target(target);
    const held = await this.#hold(target, rate, target.maxSeconds);
    if (!held) throw new BillingError("BILLING_INSUFFICIENT_BALANCE", `account ${target.accountId}`);
    return held;
  }

  /**
   * Charges the answered call at the rate held by its reservation and frees the rest of the hold.
   * Settling twice charges once. A call that ran past maxSeconds is charged from what is left and
   * the entry records the shortfall.
   */
  async settle(callId: string, billableSeconds: number): Promise<LedgerEntry> {
    const reservation = await this.#store.getReservation(callId);
    if (!reservation) throw new BillingError("BILLING_UNKNOWN_RESERVATION", callId);
    const rated = rateWith(reservation.rate, billableSeconds);
    return this.#charge(reservation.accountId, {
      callId,
      destination: reservation.destination,
      billableSeconds,
      rated,
    });
  }

  /** Frees the call's hold (unanswered or failed call); does nothing when it is no longer held. */
  async release(callId: string): Promise<Reservation | undefined> {
    return this.#store.release(callId, this.#now());
  }

  /** Rates and charges an answered call that had no reservation; once per (account, call id). */
  async charge(
    accountId: string,
    input: { callId: string; destination: string; billableSeconds: number; plan: RatePlan },
  ): Promise<LedgerEntry> {
    const { rate } = await this.#target({ accountId, plan: input.plan, destination: input.destination });
    return this.#charge(accountId, { ...input, rated: rateWith(rate, input.billableSeconds) });
  }

  /** Checks the plan (BILLING_INVALID_PLAN) and stores it. */
  async savePlan(plan: RatePlan): Promise<void> {
    checkRatePlan(plan);
    await this.#store.savePlan(plan);
  }

  async plan(id: string): Promise<RatePlan> {
    const plan = await this.#store.getPlan(id);
    if (!plan) throw new BillingError("BILLING_UNKNOWN_PLAN", id);
    return plan;
  }

  async ledger(accountId: string, query?: { afterSeq?: number; limit?: number }): Promise<LedgerEntry[]> {
    await this.account(accountId);
    return this.#store.ledger(accountId, query);
  }

  async #target(target: CallTarget): Promise<{ account: Account; rate: Rate }> {
    checkRatePlan(target.plan);
    const account = await this.account(target.accountId);
    if (account.currency !== target.plan.currency) {
      throw new BillingError(
        "BILLING_CURRENCY_MISMATCH",
        `account ${account.id} is in ${account.currency}, plan ${target.plan.id} in ${target.plan.currency}`,
      );
    }
    return { account, rate: rateFor(target.plan, target.destination) };
  }

  /** The reservation, or undefined when the available balance does not cover it. */
  async #hold(
    target: CallTarget & { callId: string },
    rate: Rate,
    maxSeconds: number,
  ): Promise<Reservation | undefined> {
    const result = await this.#store.reserve({
      callId: target.callId,
      accountId: target.accountId,
      amount: costOf(rate, ratedSecondsOf(rate, maxSeconds)),
      maxSeconds,
      destination: target.destination,
      rate,
      at: this.#now(),
    });
    if (result.outcome === "unknown-account")
      throw new BillingError("BILLING_UNKNOWN_ACCOUNT", target.accountId);
    return result.outcome === "insufficient" ? undefined : result.reservation;
  }

  async #charge(
    accountId: string,
    input: { callId: string; destination: string; billableSeconds: number; rated: RatedCall },
  ): Promise<LedgerEntry> {
    const { rated } = input;
    const result = await this.#store.charge(accountId, {
      callId: input.callId,
      destination: input.destination,
      prefix: rated.prefix,
      billableSeconds: input.billableSeconds,
      ratedSeconds: rated.ratedSeconds,
      perMinuteMicros: rated.rate.perMinuteMicros,
      connectionFee: rated.rate.connectionFee,
      cost: rated.cost,
      at: this.#now(),
    });
    if (result.outcome === "unknown-account") throw new BillingError("BILLING_UNKNOWN_ACCOUNT", accountId);
    return result.entry;
  }

  async #credit(
    accountId: string,
    kind: "top-up" | "refund",
    input: { amount: number; reference?: string },
  ): Promise<LedgerEntry> {
    checkAmount(input.amount);
    const result = await this.#store.credit(accountId, kind, { ...input, at: this.#now() });
    if (result.outcome === "unknown-account") throw new BillingError("BILLING_UNKNOWN_ACCOUNT", accountId);
    return result.entry;
  }
}
