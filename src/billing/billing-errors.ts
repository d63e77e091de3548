import { ParleyError } from "../kernel/parley-error.ts";

/** Billing's error catalogue: one code per reason a rating, a reservation or a ledger write is refused. */
export const BillingErrorCodes = {
  BILLING_INSUFFICIENT_BALANCE: "the available balance cannot pay for the first billing interval",
  BILLING_UNKNOWN_ACCOUNT: "no such account",
  BILLING_DUPLICATE_ACCOUNT: "the account already exists",
  BILLING_INVALID_ACCOUNT:
    "an account needs a kind (member, merchant, sponsor), an ISO 4217 currency and an owner",
  BILLING_UNKNOWN_PLAN: "no such rate plan",
  BILLING_NO_RATE: "the rate plan has no rate for the destination and no default ('') rate",
  BILLING_INVALID_PLAN: "invalid rate plan",
  BILLING_INVALID_AMOUNT: "amounts are positive integers of minor units",
  BILLING_INVALID_DURATION: "durations are non-negative integers of seconds",
  BILLING_CURRENCY_MISMATCH: "the rate plan and the account use different currencies",
  BILLING_UNKNOWN_RESERVATION: "no reservation is held for the call",
} as const;

export type BillingErrorCode = keyof typeof BillingErrorCodes;

export class BillingError extends ParleyError {
  declare readonly code: BillingErrorCode;

  constructor(code: BillingErrorCode, detail?: string) {
    super(code, detail ? `${BillingErrorCodes[code]}: ${detail}` : BillingErrorCodes[code]);
  }
}
