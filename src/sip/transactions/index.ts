export { ackForNon2xx } from "./ack-request.ts";
export {
  type ClientInviteState,
  ClientInviteTransaction,
  type ClientTransactionUser,
} from "./client-invite-transaction.ts";
export { type ClientNonInviteState, ClientNonInviteTransaction } from "./client-non-invite-transaction.ts";
export {
  type ServerInviteState,
  ServerInviteTransaction,
  type ServerTransactionUser,
} from "./server-invite-transaction.ts";
export { type ServerNonInviteState, ServerNonInviteTransaction } from "./server-non-invite-transaction.ts";
export { DEFAULT_TIMERS, type TimerName, type TimerSettings, timerDuration } from "./timers.ts";
export type { Transaction, TransactionOptions, TransactionTransport } from "./transaction.ts";
export {
  type ClientTransaction,
  newBranch,
  type ServerTransaction,
  TransactionLayer,
  type TransactionLayerOptions,
  type TransactionLayerUser,
} from "./transaction-layer.ts";
