import type { Kysely } from "kysely";
import type { PortalSessionRecord, PortalSessionStore } from "../http/portal/index.ts";
import type { PortalSessionRow } from "./portal-tables.ts";
import type { Tables } from "./tables.ts";

/** Portal sessions in SQL, shared by every node on the database (only hashes of session ids). */
export class SqlPortalSessionStore implements PortalSessionStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async create(session: PortalSessionRecord): Promise<void> {
    await this.#db
      .insertInto("portal_sessions")
      .values({
        id_hash: session.idHash,
        user_key: session.user,
        csrf_token: session.csrfToken,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
      })
      .execute();
  }

  async get(idHash: string): Promise<PortalSessionRecord | undefined> {
    const row = await this.#db
      .selectFrom("portal_sessions")
      .selectAll()
      .where("id_hash", "=", idHash)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    await this.#db
      .updateTable("portal_sessions")
      .set({ last_seen_at: lastSeenAt })
      .where("id_hash", "=", idHash)
      .execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.#db.deleteFrom("portal_sessions").where("id_hash", "=", idHash).execute();
  }

  async purge(limits: { lastSeenBefore: number; createdBefore: number }): Promise<number> {
    const result = await this.#db
      .deleteFrom("portal_sessions")
      .where((eb) =>
        eb.or([eb("last_seen_at", "<", limits.lastSeenBefore), eb("created_at", "<", limits.createdBefore)]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRecord(row: PortalSessionRow): PortalSessionRecord {
  return {
    idHash: row.id_hash,
    user: row.user_key,
    csrfToken: row.csrf_token,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
  };
}
