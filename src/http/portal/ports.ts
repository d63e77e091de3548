/**
 * What the portal needs from the rest of Parley, declared here (ports belong to their consumer) so
 * that it can be tested with in-memory fakes. The click-to-call service's MerchantStore and
 * ClickToCallService, the directory and billing satisfy these shapes structurally; node/ wires them.
 */

/** One merchant as the directory pages show it (a subset of click-to-call's Merchant). */
export interface PortalMerchant {
  id: string;
  name: string;
  description: string;
  category: string;
  numbers: ReadonlyArray<{ label: string; number: string }>;
  /** The portal user (extension@domain) who manages the merchant: that user has the merchant role. */
  owner?: string;
  active: boolean;
}

export interface PortalMerchantQuery {
  search?: string;
  category?: string;
  limit?: number;
  offset?: number;
  /** Inactive merchants too. */
  all?: boolean;
}

/** The merchant directory (click-to-call's MerchantStore fits). */
export interface PortalMerchants {
  list(query: PortalMerchantQuery): Promise<{ merchants: PortalMerchant[]; total: number }>;
  get(id: string): Promise<PortalMerchant | undefined>;
  /** Categories of active merchants, sorted. */
  categories(): Promise<string[]>;
}

export type PortalClickStep =
  | "checking"
  | "calling-member"
  | "member-answered"
  | "calling-merchant"
  | "connected"
  | "warning"
  | "ended"
  | "refused"
  | "failed";

export interface PortalClickEvent {
  seq: number;
  step: PortalClickStep;
  /** Epoch milliseconds. */
  at: number;
  message: string;
}

/** One click-to-call (a subset of click-to-call's ClickCall). */
export interface PortalClickCall {
  id: string;
  member?: string;
  memberNumber: string;
  merchantId: string;
  merchantNumber: string;
  step: PortalClickStep;
  durationSeconds?: number;
  /** Minor units of `currency`. */
  cost?: number;
  currency?: string;
  events: readonly PortalClickEvent[];
}

export interface PortalClickRequest {
  member?: string;
  memberNumber: string;
  merchantId: string;
  numberIndex?: number;
}

/**
 * The click-to-call service. `place` rejects with a refusal (an Error whose `code` starts with
 * `CLICK_`, click-to-call's ClickToCallRefused) when the call cannot be placed, before any call is
 * made; its message is shown to the member as it is.
 */
export interface PortalClickToCall {
  place(request: PortalClickRequest): Promise<PortalClickCall>;
  get(id: string): PortalClickCall | undefined;
  on(event: "progress", listener: (call: PortalClickCall, event: PortalClickEvent) => void): unknown;
  off(event: "progress", listener: (call: PortalClickCall, event: PortalClickEvent) => void): unknown;
}

/** Balances of billing accounts, by the portal user (extension@domain) who owns them. */
export interface PortalBalances {
  /** Minor units; undefined when the user has no account. */
  balance(user: string): Promise<{ amount: number; currency: string } | undefined>;
}

/** The subscriber directory's web-login side (SubscriberDirectory fits). */
export interface PortalDirectory {
  /** The user when the web password matches; throws for an unknown domain. */
  verifyWebPassword(
    extension: string,
    password: string,
    domain?: string,
  ): Promise<{ extension: string; displayName: string; phoneNumbers: string[] } | undefined>;
  findUser(
    extension: string,
    domain?: string,
  ): Promise<{ extension: string; displayName: string; phoneNumbers: string[] } | undefined>;
  /** The default domain when no name is given. */
  domain(name?: string): Promise<{ name: string }>;
}

/** A portal session as stored: keyed by the SHA-256 of its id, never by the id itself. */
export interface PortalSessionRecord {
  /** SHA-256 of the session id (the cookie's value), hex. */
  idHash: string;
  /** extension@domain once logged in; null for the anonymous session that carries the login form. */
  user: string | null;
  /** The session's CSRF token. */
  csrfToken: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last request seen (updated at most once a minute). */
  lastSeenAt: number;
}

/** Where portal sessions live (MemoryPortalSessionStore in one process, SqlPortalSessionStore shared). */
export interface PortalSessionStore {
  create(session: PortalSessionRecord): Promise<void>;
  get(idHash: string): Promise<PortalSessionRecord | undefined>;
  touch(idHash: string, lastSeenAt: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Deletes sessions idle since before `lastSeenBefore` or created before `createdBefore`; returns how many. */
  purge(limits: { lastSeenBefore: number; createdBefore: number }): Promise<number>;
}

/** Who holds the money of a billing account (billing's AccountKind). */
export type PortalAccountKind = "member" | "merchant" | "sponsor";

/** A prepaid account (billing's Account fits): money in integer minor units of `currency`. */
export interface PortalAccount {
  id: string;
  kind: PortalAccountKind;
  currency: string;
  owner: string;
  balance: number;
  /** Held for calls in progress. */
  reserved: number;
  /** Epoch ms. */
  createdAt: number;
}

/** One line of an account's ledger (billing's LedgerEntry fits). */
export interface PortalLedgerEntry {
  seq: number;
  kind: "top-up" | "charge" | "refund";
  /** Signed minor units. */
  amount: number;
  balanceAfter: number;
  /** Epoch ms. */
  at: number;
  reference: string | null;
  call: { callId: string; destination: string; billableSeconds: number; cost: number } | null;
  shortfall: number;
}

/** A rate of a plan (billing's Rate fits): the per-minute price in micro-units of the minor unit. */
export interface PortalRate {
  prefix: string;
  perMinuteMicros: number;
  /** Minor units. */
  connectionFee: number;
  firstIncrement: number;
  nextIncrement: number;
}

/** A rate plan (billing's RatePlan fits). */
export interface PortalRatePlan {
  id: string;
  name: string;
  currency: string;
  rates: readonly PortalRate[];
}

/** Who pays calls to a merchant (click-to-call's PayerRule). */
export type PortalPayer =
  | { kind: "member" }
  | { kind: "merchant"; accountId: string }
  | { kind: "sponsor"; accountId: string };

/**
 * A merchant as the admin pages edit it (click-to-call's Merchant fits). A merchant read from the
 * store may carry more fields than these (campaigns …): the edit form spreads the stored record
 * under its changes, so saving keeps what the form does not show.
 */
export interface PortalAdminMerchant {
  id: string;
  name: string;
  description: string;
  category: string;
  numbers: Array<{ label: string; number: string }>;
  payer: PortalPayer;
  planId: string;
  owner?: string;
  widgetOrigins: string[];
  active: boolean;
}

/** A call in progress, as call control holds it. */
export interface PortalCallInProgress {
  id: string;
  service: string;
  /** The caller (a URI or a number) and what was dialled. */
  from: string;
  dialled: string;
  parties: ReadonlyArray<{ id: string; direction: "inbound" | "outbound"; state: string }>;
  /** Epoch ms, when the call's record says. */
  startedAt?: number;
}

/** A call detail record (call control's CallRecord fits). */
export interface PortalCdr {
  id: string;
  kind: string;
  from: string;
  to: string;
  service: string;
  /** Epoch ms. */
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  disposition?: string;
  payer?: string;
  /** Minor units of `currency`. */
  cost?: number;
  currency?: string;
}

/** A user of the directory (SubscriberDirectory's User fits). */
export interface PortalUser {
  extension: string;
  domainId: string;
  displayName: string;
  phoneNumbers: string[];
  hasWebPassword: boolean;
}

/**
 * What the admin pages need from billing, click-to-call, the directory and call control. Methods
 * that name a missing account or plan reject with billing's coded error (`BILLING_UNKNOWN_ACCOUNT`,
 * `BILLING_UNKNOWN_PLAN`); invalid input rejects with `BILLING_INVALID_*`.
 */
export interface PortalAdmin {
  /** Oldest first (AccountStore.listAccounts). */
  accounts(query: { owner?: string; limit: number }): Promise<PortalAccount[]>;
  account(id: string): Promise<PortalAccount>;
  openAccount(input: {
    id: string;
    kind: PortalAccountKind;
    currency: string;
    owner: string;
  }): Promise<PortalAccount>;
  /** With a reference, repeating the top-up returns the first entry and credits nothing. */
  topUp(accountId: string, input: { amount: number; reference?: string }): Promise<PortalLedgerEntry>;
  ledger(accountId: string, query?: { afterSeq?: number; limit?: number }): Promise<PortalLedgerEntry[]>;
  plans(): Promise<PortalRatePlan[]>;
  plan(id: string): Promise<PortalRatePlan>;
  /** Creates or replaces the plan with all its rates. */
  savePlan(plan: PortalRatePlan): Promise<void>;
  /** Inactive merchants included when `all`. */
  merchants(query: PortalMerchantQuery): Promise<{ merchants: PortalAdminMerchant[]; total: number }>;
  merchant(id: string): Promise<PortalAdminMerchant | undefined>;
  saveMerchant(merchant: PortalAdminMerchant): Promise<void>;
  listUsers(query: { limit: number; offset: number }): Promise<{ users: PortalUser[]; total: number }>;
  listDomains(): Promise<Array<{ id: string; name: string }>>;
  /** undefined while call control is not running. */
  callsInProgress(): Promise<PortalCallInProgress[] | undefined>;
  /** Newest first. */
  cdrs(query: { limit: number }): Promise<PortalCdr[]>;
}
