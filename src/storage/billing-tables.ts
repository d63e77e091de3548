/**
 * Row types of billing's tables (migration 0009). Money columns are BIGINT minor units and times
 * BIGINT epoch ms: pg returns BIGINT as a string, SQLite as a number.
 */
export interface BillingAccountRow {
  id: string;
  kind: string;
  currency: string;
  owner: string;
  balance: number | string;
  reserved: number | string;
  /** seq of the account's last ledger entry. */
  last_seq: number;
  created_at: number | string;
}

/** One ledger entry; the call columns are set on charges only, reference on credits only. */
export interface BillingLedgerEntryRow {
  account_id: string;
  seq: number;
  kind: string;
  amount: number | string;
  balance_after: number | string;
  at: number | string;
  reference: string | null;
  call_id: string | null;
  destination: string | null;
  prefix: string | null;
  billable_seconds: number | null;
  rated_seconds: number | null;
  per_minute_micros: number | string | null;
  connection_fee: number | string | null;
  cost: number | string | null;
  shortfall: number | string;
}

/** A reservation with the rate it was made at. */
export interface BillingReservationRow {
  call_id: string;
  account_id: string;
  amount: number | string;
  max_seconds: number;
  destination: string;
  prefix: string;
  per_minute_micros: number | string;
  connection_fee: number | string;
  first_increment: number;
  next_increment: number;
  /** held | settled | released */
  state: string;
  at: number | string;
  closed_at: number | string | null;
}

export interface BillingRatePlanRow {
  id: string;
  name: string;
  currency: string;
}

export interface BillingRateRow {
  plan_id: string;
  prefix: string;
  per_minute_micros: number | string;
  connection_fee: number | string;
  first_increment: number;
  next_increment: number;
}

export interface BillingTables {
  billing_accounts: BillingAccountRow;
  billing_ledger_entries: BillingLedgerEntryRow;
  billing_reservations: BillingReservationRow;
  billing_rate_plans: BillingRatePlanRow;
  billing_rates: BillingRateRow;
}
