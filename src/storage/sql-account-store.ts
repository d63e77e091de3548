import type { Kysely, Transaction } from "kysely";
import type {
  Account,
  AccountKind,
  AccountStore,
  CallCharge,
  ChargeOutcome,
  Credit,
  CreditOutcome,
  Hold,
  LedgerEntry,
  LedgerEntryKind,
  NewAccount,
  RatePlan,
  Reservation,
  ReservationState,
  ReserveOutcome,
} from "../billing/index.ts";
import type {
  BillingAccountRow,
  BillingLedgerEntryRow,
  BillingRateRow,
  BillingReservationRow,
} from "./billing-tables.ts";
import { uniqueViolationTable } from "./errors.ts";
import type { Tables } from "./tables.ts";

type Trx = Transaction<Tables>;

/** BIGINT columns come back from pg as strings. */
const int = (value: number | string): number => Number(value);

/**
 * Billing's accounts, ledger, reservations and rate plans in SQL. Every write that moves money is one
 * transaction that first locks the account row (an UPDATE of it, which takes PostgreSQL's row lock and
 * which SQLite's single connection serialises anyway), so concurrent writers on one account queue up
 * and each sees the last one's result. Reservations need no lock: one conditional UPDATE
 * (`reserved = reserved + x WHERE balance - reserved >= x`) holds or refuses atomically, and a
 * CHECK constraint (0 ≤ reserved ≤ balance) backs it.
 */
export class SqlAccountStore implements AccountStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async createAccount(account: NewAccount): Promise<"created" | "duplicate"> {
    try {
      await this.#db
        .insertInto("billing_accounts")
        .values({
          id: account.id,
          kind: account.kind,
          currency: account.currency,
          owner: account.owner,
          balance: 0,
          reserved: 0,
          last_seq: 0,
          created_at: account.createdAt,
        })
        .execute();
      return "created";
    } catch (error) {
      if (uniqueViolationTable(error) === "billing_accounts") return "duplicate";
      throw error;
    }
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const row = await this.#db
      .selectFrom("billing_accounts")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toAccount(row);
  }

  async listAccounts(query: { owner?: string; limit: number }): Promise<Account[]> {
    let select = this.#db.selectFrom("billing_accounts").selectAll();
    if (query.owner !== undefined) select = select.where("owner", "=", query.owner);
    const rows = await select.orderBy("created_at").orderBy("id").limit(query.limit).execute();
    return rows.map(toAccount);
  }

  async credit(accountId: string, kind: "top-up" | "refund", credit: Credit): Promise<CreditOutcome> {
    return this.#db.transaction().execute(async (trx): Promise<CreditOutcome> => {
      const account = await lockAccount(trx, accountId);
      if (!account) return { outcome: "unknown-account" };
      const reference = credit.reference ?? null;
      if (reference !== null) {
        const earlier = await trx
          .selectFrom("billing_ledger_entries")
          .selectAll()
          .where("account_id", "=", accountId)
          .where("reference", "=", reference)
          .executeTakeFirst();
        if (earlier) return { outcome: "duplicate", entry: toEntry(earlier) };
      }
      const entry = await append(trx, account, {
        kind,
        amount: credit.amount,
        at: credit.at,
        reference,
        call: null,
        shortfall: 0,
      });
      return { outcome: "credited", entry };
    });
  }

  async charge(accountId: string, charge: CallCharge & { at: number }): Promise<ChargeOutcome> {
    return this.#db.transaction().execute(async (trx): Promise<ChargeOutcome> => {
      const account = await lockAccount(trx, accountId);
      if (!account) return { outcome: "unknown-account" };
      const earlier = await trx
        .selectFrom("billing_ledger_entries")
        .selectAll()
        .where("account_id", "=", accountId)
        .where("call_id", "=", charge.callId)
        .executeTakeFirst();
      if (earlier) return { outcome: "duplicate", entry: toEntry(earlier) };
      const settled = await trx
        .updateTable("billing_reservations")
        .set({ state: "settled", closed_at: charge.at })
        .where("call_id", "=", charge.callId)
        .where("account_id", "=", accountId)
        .where("state", "=", "held")
        .returning("amount")
        .executeTakeFirst();
      if (settled) account.reserved -= int(settled.amount);
      const debit = Math.min(charge.cost, account.balance - account.reserved);
      const { at, ...call } = charge;
      const entry = await append(trx, account, {
        kind: "charge",
        amount: debit === 0 ? 0 : -debit,
        at,
        reference: null,
        call,
        shortfall: charge.cost - debit,
      });
      return { outcome: "charged", entry };
    });
  }

  async ledger(accountId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<LedgerEntry[]> {
    let select = this.#db
      .selectFrom("billing_ledger_entries")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("seq", ">", query.afterSeq ?? 0)
      .orderBy("seq");
    if (query.limit !== undefined) select = select.limit(query.limit);
    return (await select.execute()).map(toEntry);
  }

  async reserve(hold: Hold): Promise<ReserveOutcome> {
    const existing = await this.getReservation(hold.callId);
    if (existing) return { outcome: "exists", reservation: existing };
    try {
      return await this.#db.transaction().execute(async (trx): Promise<ReserveOutcome> => {
        const held = await trx
          .updateTable("billing_accounts")
          .set((eb) => ({ reserved: eb("reserved", "+", hold.amount) }))
          .where("id", "=", hold.accountId)
          .where((eb) => eb(eb("balance", "-", eb.ref("reserved")), ">=", hold.amount))
          .executeTakeFirst();
        if (Number(held.numUpdatedRows) === 0) {
          const account = await trx
            .selectFrom("billing_accounts")
            .selectAll()
            .where("id", "=", hold.accountId)
            .executeTakeFirst();
          if (!account) return { outcome: "unknown-account" };
          return { outcome: "insufficient", available: int(account.balance) - int(account.reserved) };
        }
        await trx
          .insertInto("billing_reservations")
          .values({
            call_id: hold.callId,
            account_id: hold.accountId,
            amount: hold.amount,
            max_seconds: hold.maxSeconds,
            destination: hold.destination,
            prefix: hold.rate.prefix,
            per_minute_micros: hold.rate.perMinuteMicros,
            connection_fee: hold.rate.connectionFee,
            first_increment: hold.rate.firstIncrement,
            next_increment: hold.rate.nextIncrement,
            state: "held",
            at: hold.at,
            closed_at: null,
          })
          .execute();
        return {
          outcome: "held",
          reservation: { ...hold, rate: { ...hold.rate }, state: "held", closedAt: null },
        };
      });
    } catch (error) {
      // Another reserve of the same call id committed first; this one rolled back.
      if (uniqueViolationTable(error) !== "billing_reservations") throw error;
      const reservation = await this.getReservation(hold.callId);
      if (!reservation) throw error;
      return { outcome: "exists", reservation };
    }
  }

  async release(callId: string, at: number): Promise<Reservation | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom("billing_reservations")
        .select("account_id")
        .where("call_id", "=", callId)
        .executeTakeFirst();
      if (!found) return undefined;
      await lockAccount(trx, found.account_id);
      const released = await trx
        .updateTable("billing_reservations")
        .set({ state: "released", closed_at: at })
        .where("call_id", "=", callId)
        .where("state", "=", "held")
        .returning("amount")
        .executeTakeFirst();
      if (released) {
        await trx
          .updateTable("billing_accounts")
          .set((eb) => ({ reserved: eb("reserved", "-", int(released.amount)) }))
          .where("id", "=", found.account_id)
          .execute();
      }
      const row = await trx
        .selectFrom("billing_reservations")
        .selectAll()
        .where("call_id", "=", callId)
        .executeTakeFirstOrThrow();
      return toReservation(row);
    });
  }

  async getReservation(callId: string): Promise<Reservation | undefined> {
    const row = await this.#db
      .selectFrom("billing_reservations")
      .selectAll()
      .where("call_id", "=", callId)
      .executeTakeFirst();
    return row && toReservation(row);
  }

  async heldReservations(accountId: string): Promise<Reservation[]> {
    const rows = await this.#db
      .selectFrom("billing_reservations")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("state", "=", "held")
      .orderBy("at")
      .orderBy("call_id")
      .execute();
    return rows.map(toReservation);
  }

  async savePlan(plan: RatePlan): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto("billing_rate_plans")
        .values({ id: plan.id, name: plan.name, currency: plan.currency })
        .onConflict((oc) => oc.column("id").doUpdateSet({ name: plan.name, currency: plan.currency }))
        .execute();
      await trx.deleteFrom("billing_rates").where("plan_id", "=", plan.id).execute();
      if (plan.rates.length === 0) return;
      await trx
        .insertInto("billing_rates")
        .values(
          plan.rates.map((rate) => ({
            plan_id: plan.id,
            prefix: rate.prefix,
            per_minute_micros: rate.perMinuteMicros,
            connection_fee: rate.connectionFee,
            first_increment: rate.firstIncrement,
            next_increment: rate.nextIncrement,
          })),
        )
        .execute();
    });
  }

  async getPlan(id: string): Promise<RatePlan | undefined> {
    const row = await this.#db
      .selectFrom("billing_rate_plans")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return undefined;
    const rates = await this.#db
      .selectFrom("billing_rates")
      .selectAll()
      .where("plan_id", "=", id)
      .orderBy("prefix")
      .execute();
    return { ...row, rates: rates.map(toRate) };
  }

  async listPlans(): Promise<RatePlan[]> {
    const rows = await this.#db.selectFrom("billing_rate_plans").selectAll().orderBy("id").execute();
    const rates = await this.#db.selectFrom("billing_rates").selectAll().orderBy("prefix").execute();
    return rows.map((row) => ({ ...row, rates: rates.filter((r) => r.plan_id === row.id).map(toRate) }));
  }

  async removePlan(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("billing_rates").where("plan_id", "=", id).execute();
      const result = await trx.deleteFrom("billing_rate_plans").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}

/**
 * Takes the account row's write lock for the rest of the transaction and reads it: a no-op UPDATE
 * … RETURNING, valid on both backends (SQLite has no SELECT … FOR UPDATE). On PostgreSQL a second
 * writer waits here until the first commits, then reads the committed row.
 */
async function lockAccount(trx: Trx, id: string): Promise<(Account & { lastSeq: number }) | undefined> {
  const row = await trx
    .updateTable("billing_accounts")
    .set((eb) => ({ last_seq: eb.ref("last_seq") }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return row && { ...toAccount(row), lastSeq: row.last_seq };
}

/** Writes the next entry of a locked account and its new balance and reserved amount. */
async function append(
  trx: Trx,
  account: Account & { lastSeq: number },
  entry: Omit<LedgerEntry, "accountId" | "seq" | "balanceAfter">,
): Promise<LedgerEntry> {
  const full: LedgerEntry = {
    accountId: account.id,
    seq: account.lastSeq + 1,
    balanceAfter: account.balance + entry.amount,
    ...entry,
  };
  const { call } = full;
  await trx
    .insertInto("billing_ledger_entries")
    .values({
      account_id: full.accountId,
      seq: full.seq,
      kind: full.kind,
      amount: full.amount,
      balance_after: full.balanceAfter,
      at: full.at,
      reference: full.reference,
      call_id: call?.callId ?? null,
      destination: call?.destination ?? null,
      prefix: call?.prefix ?? null,
      billable_seconds: call?.billableSeconds ?? null,
      rated_seconds: call?.ratedSeconds ?? null,
      per_minute_micros: call?.perMinuteMicros ?? null,
      connection_fee: call?.connectionFee ?? null,
      cost: call?.cost ?? null,
      shortfall: full.shortfall,
    })
    .execute();
  await trx
    .updateTable("billing_accounts")
    .set({ balance: full.balanceAfter, reserved: account.reserved, last_seq: full.seq })
    .where("id", "=", account.id)
    .execute();
  return full;
}

function toAccount(row: BillingAccountRow): Account {
  return {
    id: row.id,
    kind: row.kind as AccountKind,
    currency: row.currency,
    owner: row.owner,
    balance: int(row.balance),
    reserved: int(row.reserved),
    createdAt: int(row.created_at),
  };
}

function toEntry(row: BillingLedgerEntryRow): LedgerEntry {
  return {
    accountId: row.account_id,
    seq: row.seq,
    kind: row.kind as LedgerEntryKind,
    amount: int(row.amount),
    balanceAfter: int(row.balance_after),
    at: int(row.at),
    reference: row.reference,
    call:
      row.call_id === null
        ? null
        : {
            callId: row.call_id,
            destination: row.destination ?? "",
            prefix: row.prefix ?? "",
            billableSeconds: row.billable_seconds ?? 0,
            ratedSeconds: row.rated_seconds ?? 0,
            perMinuteMicros: int(row.per_minute_micros ?? 0),
            connectionFee: int(row.connection_fee ?? 0),
            cost: int(row.cost ?? 0),
          },
    shortfall: int(row.shortfall),
  };
}

function toRate(row: Omit<BillingRateRow, "plan_id">) {
  return {
    prefix: row.prefix,
    perMinuteMicros: int(row.per_minute_micros),
    connectionFee: int(row.connection_fee),
    firstIncrement: row.first_increment,
    nextIncrement: row.next_increment,
  };
}

function toReservation(row: BillingReservationRow): Reservation {
  return {
    callId: row.call_id,
    accountId: row.account_id,
    amount: int(row.amount),
    maxSeconds: row.max_seconds,
    destination: row.destination,
    rate: toRate(row),
    at: int(row.at),
    state: row.state as ReservationState,
    closedAt: row.closed_at === null ? null : int(row.closed_at),
  };
}
