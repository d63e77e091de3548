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
