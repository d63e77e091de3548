import type { Kysely } from "kysely";
import type { ApiToken, ApiTokenStore, NewApiTokenRecord } from "../directory/index.ts";
import type { ApiTokenRow, Tables } from "./tables.ts";

export class SqlApiTokenStore implements ApiTokenStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async create(token: NewApiTokenRecord): Promise<void> {
    await this.#db
      .insertInto("api_tokens")
      .values({
        id: token.id,
        name: token.name,
        admin: token.admin ? 1 : 0,
        secret_hash: token.secretHash,
        created_at: token.createdAt,
        last_used_at: null,
        revoked_at: null,
        user_key: token.user ?? null,
      })
      .execute();
  }

  async findBySecretHash(secretHash: string): Promise<ApiToken | undefined> {
    const row = await this.#db
      .selectFrom("api_tokens")
      .selectAll()
      .where("secret_hash", "=", secretHash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row && toToken(row);
  }

  async list(): Promise<ApiToken[]> {
    const rows = await this.#db
      .selectFrom("api_tokens")
      .selectAll()
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toToken);
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("api_tokens")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async revokeByUser(user: string, at: string): Promise<number> {
    const result = await this.#db
      .updateTable("api_tokens")
      .set({ revoked_at: at })
      .where("user_key", "=", user)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async markUsed(id: string, at: string): Promise<void> {
    await this.#db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", id).execute();
  }
}

function toToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    admin: Number(row.admin) === 1,
    ...(row.user_key !== null && { user: row.user_key }),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
