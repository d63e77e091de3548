import type { Rate, RatePlan } from "./rate-plan.ts";

/** Who holds the money: a calling member, a merchant paying for its customers' calls, a sponsor. */
export type AccountKind = "member" | "merchant" | "sponsor";
export const ACCOUNT_KINDS: readonly AccountKind[] = ["member", "merchant", "sponsor"];

/**
 * A prepaid account. Money is integer minor units of `currency` (cents for EUR), never floats.
 * Invariants every store keeps, in one transaction per write: balance = Σ ledger amounts,
 * reserved = Σ held reservations, and 0 ≤ reserved ≤ balance.
 */
export interface Account {
  id: string;
  kind: AccountKind;
  /** ISO 4217 code. */
  currency: string;
  /** Whom the account belongs to (extension@domain, a merchant's id …); free text. */
  owner: string;
  balance: number;
  /** Held for calls in progress; the rest (balance − reserved) is available. */
  reserved: number;
  /** Epoch ms. */
  createdAt: number;
}

export type NewAccount = Omit<Account, "balance" | "reserved">;

/** What an account can spend now: its balance less what calls in progress hold. */
export function availableBalance(account: Pick<Account, "balance" | "reserved">): number {
  return account.balance - account.reserved;
}

export type LedgerEntryKind = "top-up" | "charge" | "refund";

/** How a call was rated, as its charge records it. */
export interface CallCharge {
  callId: string;
  /** As dialled (E.164). */
  destination: string;
  /** The rate's prefix ("" for the default rate). */
  prefix: string;
  billableSeconds: number;
  ratedSeconds: number;
  perMinuteMicros: number;
  connectionFee: number;
  /** The rated cost in minor units; the entry's amount is −(cost − shortfall). */
  cost: number;
}

/** One line of an account's ledger; entries are never changed or removed. */
export interface LedgerEntry {
  accountId: string;
  /** 1, 2, 3 … per account, in the order the entries were written. */
  seq: number;
  kind: LedgerEntryKind;
  /** Signed minor units: + for top-ups and refunds, − (or 0) for charges. */
  amount: number;
  /** The balance right after this entry: the sum of the amounts up to it. */
  balanceAfter: number;
  /** Epoch ms. */
  at: number;
  /** Top-ups and refunds: the operator's reference (a payment id …), unique per account when set. */
  reference: string | null;
  /** Charges only. */
  call: CallCharge | null;
  /** Charges only: the part of the cost the balance could not pay (0 when the call was cut in time). */
  shortfall: number;
}

/** A top-up or a refund. */
export interface Credit {
  /** Minor units, > 0. */
  amount: number;
  /** Makes the credit idempotent: a second credit with the same reference returns the first. */
  reference?: string;
  at: number;
}

export type ReservationState = "held" | "settled" | "released";

/** Money held for one call before it is dialled, so that concurrent calls cannot spend it twice. */
export interface Hold {
  /** One reservation per call id, whatever the account. */
  callId: string;
  accountId: string;
  /** Minor units held: the rated cost of maxSeconds. */
  amount: number;
  /** Where the call is to be cut. */
  maxSeconds: number;
  destination: string;
  /** The rate at reserve time; the call is settled at this rate even if the plan changes meanwhile. */
  rate: Rate;
  at: number;
}

export interface Reservation extends Hold {
  state: ReservationState;
  /** Epoch ms of settle or release. */
  closedAt: number | null;
}

export type CreditOutcome =
  | { outcome: "credited" | "duplicate"; entry: LedgerEntry }
  | { outcome: "unknown-account" };
export type ChargeOutcome =
  | { outcome: "charged" | "duplicate"; entry: LedgerEntry }
  | { outcome: "unknown-account" };
export type ReserveOutcome =
  | { outcome: "held" | "exists"; reservation: Reservation }
  | { outcome: "insufficient"; available: number }
  | { outcome: "unknown-account" };

/**
 * Billing's storage port: accounts, their ledger, reservations and rate plans. Every method that
 * moves money is atomic: the ledger entry, the balance and the reservation change together or not
 * at all, also under concurrent calls from several nodes. Stores validate nothing; CreditControl does.
 */
export interface AccountStore {
  createAccount(account: NewAccount): Promise<"created" | "duplicate">;
  getAccount(id: string): Promise<Account | undefined>;
  /** Oldest first; by owner when given. */
  listAccounts(query: { owner?: string; limit: number }): Promise<Account[]>;
  /** Adds a top-up or refund entry and raises the balance. */
  credit(accountId: string, kind: "top-up" | "refund", credit: Credit): Promise<CreditOutcome>;
  /**
   * Adds the call's charge entry and lowers the balance, once per (account, call id): a second
   * charge returns the first ("duplicate"). Settles the call's held reservation on this account, if
   * any. Never takes the balance below what other calls hold: the part of the cost above
   * (available + this call's hold) is recorded as the entry's shortfall instead.
   */
  charge(accountId: string, charge: CallCharge & { at: number }): Promise<ChargeOutcome>;
  /** Entries in seq order, those after `afterSeq` (default 0), at most `limit`. */
  ledger(accountId: string, query?: { afterSeq?: number; limit?: number }): Promise<LedgerEntry[]>;
  /**
   * Holds `hold.amount` if the available balance covers it (atomically: concurrent reserves never
   * hold more than the balance). A call id that already has a reservation returns it ("exists").
   */
  reserve(hold: Hold): Promise<ReserveOutcome>;
  /** Frees a held reservation; returns the reservation as it now stands (undefined: none for the call). */
  release(callId: string, at: number): Promise<Reservation | undefined>;
  getReservation(callId: string): Promise<Reservation | undefined>;
  /** The account's held reservations, oldest first. */
  heldReservations(accountId: string): Promise<Reservation[]>;
  /** Creates or replaces the plan with all its rates. */
  savePlan(plan: RatePlan): Promise<void>;
  /** Rates come back ordered by prefix. */
  getPlan(id: string): Promise<RatePlan | undefined>;
  listPlans(): Promise<RatePlan[]>;
  removePlan(id: string): Promise<boolean>;
}

const clone = <T>(value: T): T => structuredClone(value);
const sortedPlan = (plan: RatePlan): RatePlan => ({
  ...clone(plan),
  rates: [...plan.rates].map(clone).sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0)),
});

/**
 * AccountStore in memory, with the SQL store's semantics: each method does all its reading and
 * writing synchronously, so no other call interleaves and every write is atomic.
 */
export class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<string, Account>();
  readonly #entries = new Map<string, LedgerEntry[]>();
  readonly #reservations = new Map<string, Reservation>();
  readonly #plans = new Map<string, RatePlan>();

  async createAccount(account: NewAccount): Promise<"created" | "duplicate"> {
    if (this.#accounts.has(account.id)) return "duplicate";
    this.#accounts.set(account.id, { ...clone(account), balance: 0, reserved: 0 });
    this.#entries.set(account.id, []);
    return "created";
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const account = this.#accounts.get(id);
    return account && clone(account);
  }

  async listAccounts(query: { owner?: string; limit: number }): Promise<Account[]> {
    return [...this.#accounts.values()]
      .filter((account) => query.owner === undefined || account.owner === query.owner)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .slice(0, query.limit)
      .map(clone);
  }

  async credit(accountId: string, kind: "top-up" | "refund", credit: Credit): Promise<CreditOutcome> {
    const account = this.#accounts.get(accountId);
    const entries = this.#entries.get(accountId);
    if (!account || !entries) return { outcome: "unknown-account" };
    const reference = credit.reference ?? null;
    const earlier = reference === null ? undefined : entries.find((e) => e.reference === reference);
    if (earlier) return { outcome: "duplicate", entry: clone(earlier) };
    account.balance += credit.amount;
    const entry = this.#append(account, entries, {
      kind,
      amount: credit.amount,
      at: credit.at,
      reference,
      call: null,
      shortfall: 0,
    });
    return { outcome: "credited", entry: clone(entry) };
  }

  async charge(accountId: string, charge: CallCharge & { at: number }): Promise<ChargeOutcome> {
    const account = this.#accounts.get(accountId);
    const entries = this.#entries.get(accountId);
    if (!account || !entries) return { outcome: "unknown-account" };
    const earlier = entries.find((e) => e.kind === "charge" && e.call?.callId === charge.callId);
    if (earlier) return { outcome: "duplicate", entry: clone(earlier) };
    const reservation = this.#reservations.get(charge.callId);
    let held = 0;
    if (reservation?.state === "held" && reservation.accountId === accountId) {
      held = reservation.amount;
      reservation.state = "settled";
      reservation.closedAt = charge.at;
      account.reserved -= held;
    }
    const debit = Math.min(charge.cost, availableBalance(account));
    account.balance -= debit;
    const { at, ...call } = charge;
    const entry = this.#append(account, entries, {
      kind: "charge",
      amount: debit === 0 ? 0 : -debit,
      at,
      reference: null,
      call,
      shortfall: charge.cost - debit,
    });
    return { outcome: "charged", entry: clone(entry) };
  }

  async ledger(accountId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<LedgerEntry[]> {
    const after = query.afterSeq ?? 0;
    const entries = (this.#entries.get(accountId) ?? []).filter((e) => e.seq > after);
    return entries.slice(0, query.limit ?? entries.length).map(clone);
  }

  async reserve(hold: Hold): Promise<ReserveOutcome> {
    const existing = this.#reservations.get(hold.callId);
    if (existing) return { outcome: "exists", reservation: clone(existing) };
    const account = this.#accounts.get(hold.accountId);
    if (!account) return { outcome: "unknown-account" };
    const available = availableBalance(account);
    if (available < hold.amount) return { outcome: "insufficient", available };
    account.reserved += hold.amount;
    const reservation: Reservation = { ...clone(hold), state: "held", closedAt: null };
    this.#reservations.set(hold.callId, reservation);
    return { outcome: "held", reservation: clone(reservation) };
  }

  async release(callId: string, at: number): Promise<Reservation | undefined> {
    const reservation = this.#reservations.get(callId);
    if (!reservation) return undefined;
    const account = this.#accounts.get(reservation.accountId);
    if (reservation.state === "held" && account) {
      account.reserved -= reservation.amount;
      reservation.state = "released";
      reservation.closedAt = at;
    }
    return clone(reservation);
  }

  async getReservation(callId: string): Promise<Reservation | undefined> {
    const reservation = this.#reservations.get(callId);
    return reservation && clone(reservation);
  }

  async heldReservations(accountId: string): Promise<Reservation[]> {
    return [...this.#reservations.values()]
      .filter((r) => r.accountId === accountId && r.state === "held")
      .sort((a, b) => a.at - b.at || (a.callId < b.callId ? -1 : 1))
      .map(clone);
  }

  async savePlan(plan: RatePlan): Promise<void> {
    this.#plans.set(plan.id, sortedPlan(plan));
  }

  async getPlan(id: string): Promise<RatePlan | undefined> {
    const plan = this.#plans.get(id);
    return plan && clone(plan);
  }

  async listPlans(): Promise<RatePlan[]> {
    return [...this.#plans.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(clone);
  }

  async removePlan(id: string): Promise<boolean> {
    return this.#plans.delete(id);
  }

  #append(
    account: Account,
    entries: LedgerEntry[],
    entry: Omit<LedgerEntry, "accountId" | "seq" | "balanceAfter">,
  ) {
    const full: LedgerEntry = {
      accountId: account.id,
      seq: entries.length + 1,
      balanceAfter: account.balance,
      ...entry,
    };
    entries.push(full);
    return full;
  }
}
