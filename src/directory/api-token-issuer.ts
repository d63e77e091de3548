import { createHash } from "node:crypto";
import type { Clock } from "../kernel/clock.ts";
import { newId, randomSecret } from "../kernel/ids.ts";
import { DirectoryError } from "./errors.ts";
import type { ApiTokenStore } from "./ports.ts";
import type { ApiToken } from "./types.ts";

export interface ApiTokenIssuerOptions {
  tokens: ApiTokenStore;
  clock: Clock;
}

/** Bearer tokens start with this prefix so that secret scanners can recognise leaked ones. */
export const TOKEN_PREFIX = "parley_";
const SECRET_BYTES = 32;
const LAST_USED_RESOLUTION_MS = 60_000;
const TOKEN_SHAPE = /^parley_[A-Za-z0-9_-]{43}$/;
/** extension@domain: the directory's extension rule, then a domain name without separators. */
const USER_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}@[^\s@/\\]{1,253}$/;

/**
 * Issues and checks REST API bearer tokens. Only the SHA-256 of a token is stored: the secret has
 * 256 bits of entropy, so a fast hash is enough and lookups stay one indexed query.
 */
export class ApiTokenIssuer {
  readonly #tokens: ApiTokenStore;
  readonly #clock: Clock;

  constructor(options: ApiTokenIssuerOptions) {
    this.#tokens = options.tokens;
    this.#clock = options.clock;
  }

  /**
   * Creates a token; the secret is returned once and cannot be read back later. A token is either
   * an admin token or a user token (`user`: extension@domain, which the caller has checked exists).
   */
  async issue(options: {
    name: string;
    admin: boolean;
    user?: string;
  }): Promise<{ token: ApiToken; secret: string }> {
    if (options.admin === (options.user !== undefined)) {
      throw new DirectoryError(
        "DIRECTORY_INVALID_TOKEN_SCOPE",
        options.admin ? "an admin token has no user" : "a token that is not admin needs a user",
      );
    }
    if (options.user !== undefined && !USER_KEY.test(options.user)) {
      throw new DirectoryError("DIRECTORY_INVALID_TOKEN_SCOPE", JSON.stringify(options.user));
    }
    const secret = `${TOKEN_PREFIX}${randomSecret(SECRET_BYTES)}`;
    const record = {
      id: newId(),
      name: options.name,
      admin: options.admin,
      ...(options.user !== undefined && { user: options.user }),
      secretHash: hashSecret(secret),
      createdAt: this.#timestamp(),
    };
    await this.#tokens.create(record);
    const token: ApiToken = {
      id: record.id,
      name: record.name,
      admin: record.admin,
      ...(record.user !== undefined && { user: record.user }),
      createdAt: record.createdAt,
      lastUsedAt: null,
      revokedAt: null,
    };
    return { token, secret };
  }

  /** The live token for a presented secret, or undefined. Records when it was last used. */
  async authenticate(secret: string): Promise<ApiToken | undefined> {
    if (!TOKEN_SHAPE.test(secret)) return undefined;
    const token = await this.#tokens.findBySecretHash(hashSecret(secret));
    if (!token) return undefined;
    const now = this.#clock.now();
    // One write a minute at most, so that a busy API client does not turn every read into a write.
    if (token.lastUsedAt === null || now - Date.parse(token.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
      token.lastUsedAt = new Date(now).toISOString();
      await this.#tokens.markUsed(token.id, token.lastUsedAt);
    }
    return token;
  }

  list(): Promise<ApiToken[]> {
    return this.#tokens.list();
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.#tokens.revoke(id, this.#timestamp())))
      throw new DirectoryError("DIRECTORY_TOKEN_NOT_FOUND", id);
  }

  /** Revokes every token of a user (extension@domain), e.g. when the user is removed. */
  revokeUser(user: string): Promise<number> {
    return this.#tokens.revokeByUser(user, this.#timestamp());
  }

  #timestamp(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}
