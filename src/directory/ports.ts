import type {
  ApiToken,
  DigestCredentials,
  Domain,
  NewApiTokenRecord,
  NewUserRecord,
  Page,
  StoredUser,
  UserPatch,
} from "./types.ts";

/**
 * Storage ports of the subscriber directory. Adapters (SqlDomainStore, SqlUserStore,
 * SqlApiTokenStore) live in storage/; the directory code never knows which backend it has.
 * Uniqueness (domain name, extension per domain, phone number) is enforced by the store, inside
 * the database, and reported as an outcome, so that two nodes racing on one insert get the same
 * answer and the directory turns it into its own error codes.
 */
export interface DomainStore {
  create(domain: Domain): Promise<"created" | "duplicate">;
  get(id: string): Promise<Domain | undefined>;
  findByName(name: string): Promise<Domain | undefined>;
  list(): Promise<Domain[]>;
}

export interface UserStore {
  /** Inserts the user and its phone numbers in one transaction. */
  create(user: NewUserRecord): Promise<"created" | "duplicate-extension" | "duplicate-number">;
  get(id: string): Promise<StoredUser | undefined>;
  findByExtension(domainId: string, extension: string): Promise<StoredUser | undefined>;
  findByPhoneNumber(number: string): Promise<StoredUser | undefined>;
  /** Only the digest credentials: one indexed read, for the registrar's hot path. */
  credentials(domainId: string, extension: string): Promise<DigestCredentials | undefined>;
  list(query: Page & { domainId?: string }): Promise<{ users: StoredUser[]; total: number }>;
  /** Applies the patch in one transaction. */
  update(id: string, patch: UserPatch): Promise<"updated" | "not-found" | "duplicate-number">;
  /** false when the user does not exist. */
  remove(id: string): Promise<boolean>;
}

export interface ApiTokenStore {
  create(token: NewApiTokenRecord): Promise<void>;
  /** The live (not revoked) token whose secret hashes to `secretHash`. */
  findBySecretHash(secretHash: string): Promise<ApiToken | undefined>;
  list(): Promise<ApiToken[]>;
  revoke(id: string, at: string): Promise<boolean>;
  /** Revokes every live token of a user (extension@domain); how many there were. */
  revokeByUser(user: string, at: string): Promise<number>;
  markUsed(id: string, at: string): Promise<void>;
}
