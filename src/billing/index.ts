/** Billing: rate plans, rating, prepaid accounts with a ledger, reservations and credit control for calls. */
export {
  ACCOUNT_KINDS,
  type Account,
  type AccountKind,
  type AccountStore,
  availableBalance,
  type CallCharge,
  type ChargeOutcome,
  type Credit,
  type CreditOutcome,
  type Hold,
  type LedgerEntry,
  type LedgerEntryKind,
  MemoryAccountStore,
  type NewAccount,
  type Reservation,
  type ReservationState,
  type ReserveOutcome,
} from "./account-store.ts";
export { BillingError, type BillingErrorCode, BillingErrorCodes } from "./billing-errors.ts";
export {
  type BalanceCheck,
  type CallTarget,
  CreditControl,
  type CreditControlOptions,
} from "./credit-control.ts";
export {
  checkRatePlan,
  destinationDigits,
  findRate,
  MAX_INCREMENT_SECONDS,
  MICROS_PER_MINOR_UNIT,
  type Rate,
  type RatePlan,
} from "./rate-plan.ts";
export {
  billableSecondsOf,
  costOf,
  MAX_CALL_SECONDS,
  maxDurationSeconds,
  maxDurationWith,
  type RatedCall,
  rate,
  ratedSecondsOf,
  rateFor,
  rateWith,
} from "./rating.ts";
