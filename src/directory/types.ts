/**
 * The subscriber directory's entities: SIP domains (tenants), the users in them, and API tokens.
 * Kamailio calls this the `subscriber` table; Parley keeps it behind ports so that SQLite and
 * PostgreSQL adapters serve the same code.
 */

export interface Domain {
  id: string;
  /** The SIP domain (host part of AORs) and the digest realm of its users. */
  name: string;
  createdAt: string;
}

/** The services a user subscribes to; each later service reads its own flag. */
export interface UserFeatures {
  /** Automatic server-side recording of the user's calls. */
  recording: boolean;
  /** Voicemail box, reachable over IMAP. */
  voicemail: boolean;
  /** Persistent background call. */
  backgroundCall: boolean;
  /** Click-to-call from the web portal. */
  clickToCall: boolean;
}

export const NO_FEATURES: Readonly<UserFeatures> = Object.freeze({
  recording: false,
  voicemail: false,
  backgroundCall: false,
  clickToCall: false,
});

export interface User {
  id: string;
  domainId: string;
  /** The user part of the AOR, and the digest username. */
  extension: string;
  displayName: string;
  /** E.164 numbers (+15551234567) that reach this user; unique across the directory. */
  phoneNumbers: string[];
  features: UserFeatures;
  /** Whether a web portal password is set. */
  hasWebPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * Digest credentials for one user (RFC 7616 §3.4.2): HA1 = H(username ":" realm ":" password) for
 * MD5 and SHA-256, so that the plain password is never stored.
 */
export interface DigestCredentials {
  ha1Md5: string;
  ha1Sha256: string;
}

/** What the store keeps for a user beyond the public view. */
export interface StoredUser extends User {
  credentials: DigestCredentials;
  webPasswordHash: string | null;
}

/** What a store is given to create a user: the stored form before anything derived from it exists. */
export type NewUserRecord = Omit<StoredUser, "hasWebPassword" | "updatedAt">;

export interface UserPatch {
  displayName?: string;
  phoneNumbers?: string[];
  features?: Partial<UserFeatures>;
  credentials?: DigestCredentials;
  webPasswordHash?: string | null;
  updatedAt: string;
}

export interface ApiToken {
  id: string;
  name: string;
  /** Admin tokens may manage every domain and user. */
  admin: boolean;
  /**
   * The user (extension@domain) a user token acts for: it reaches only that user's own resources
   * (their recordings, ring-back tone, recording subscription) and no admin route. Absent on admin
   * tokens.
   */
  user?: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewApiTokenRecord {
  id: string;
  name: string;
  admin: boolean;
  /** extension@domain for a user token. */
  user?: string;
  /** SHA-256 of the secret part, hex. */
  secretHash: string;
  createdAt: string;
}

export interface Page {
  limit: number;
  offset: number;
}
