import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Logger } from "../kernel/log.ts";
import { StorageError } from "./errors.ts";
import { MIGRATIONS } from "./migrations/index.ts";
import type { Tables } from "./tables.ts";

export type StorageBackend = "sqlite" | "postgres";

export interface SqlDatabaseOptions {
  /** "sqlite:<absolute path>", "sqlite::memory:" or "postgres://…". */
  url: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  logger: Logger;
}

/**
 * One Kysely handle over SQLite (better-sqlite3, embedded default) or PostgreSQL (pg, scale-out).
 *
 * SQLite runs in WAL mode with synchronous=NORMAL: a committed transaction survives a crash of
 * the process (SIGKILL, OOM), which is what a server must guarantee; after a power loss the last
 * transactions before the cut may be lost but the file stays consistent.
 */
export class SqlDatabase {
  readonly db: Kysely<Tables>;
  readonly backend: StorageBackend;
  readonly #logger: Logger;
  #closed = false;

  private constructor(db: Kysely<Tables>, backend: StorageBackend, logger: Logger) {
    this.db = db;
    this.backend = backend;
    this.#logger = logger;
  }

  static open(options: SqlDatabaseOptions): SqlDatabase {
    const { url, logger } = options;
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
      // An idle client losing its server must not crash the process; the next query reports it.
      pool.on("error", (error) => logger.warn({ err: error }, "postgres idle client error"));
      return new SqlDatabase(
        new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }),
        "postgres",
        logger,
      );
    }
    if (!url.startsWith("sqlite:"))
      throw new StorageError("STORAGE_UNAVAILABLE", `unsupported URL scheme in ${url}`);
    const path = url.slice("sqlite:".length);
    let handle: BetterSqlite3.Database;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      handle = new BetterSqlite3(path);
      handle.pragma("journal_mode = WAL");
      handle.pragma("synchronous = NORMAL");
      handle.pragma("foreign_keys = ON");
      handle.pragma("busy_timeout = 5000");
      cachePreparedStatements(handle);
    } catch (error) {
      throw new StorageError("STORAGE_UNAVAILABLE", `${path}: ${(error as Error).message}`, { cause: error });
    }
    return new SqlDatabase(
      new Kysely<Tables>({ dialect: new SqliteDialect({ database: handle }) }),
      "sqlite",
      logger,
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Applies every pending migration; safe to run from several nodes at once (Kysely takes a lock). */
  async migrate(): Promise<string[]> {
    const migrator = new Migrator({
      db: this.db,
      provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName);
    const failed = results.find((r) => r.status === "Error");
    if (error || failed) {
      const detail = failed ? `${failed.migrationName}: ${String(error)}` : String(error);
      throw new StorageError("STORAGE_MIGRATION_FAILED", detail, { cause: error });
    }
    if (applied.length > 0) this.#logger.info({ applied, backend: this.backend }, "database migrated");
    return applied;
  }

  /** Round trip to the database, for /readyz. */
  async ping(): Promise<void> {
    if (this.#closed) throw new StorageError("STORAGE_UNAVAILABLE", "the database is closed");
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }
}

/**
 * Kysely's SQLite dialect prepares every query anew; preparing costs about as much as running a
 * small query. The same SQL text gets the same prepared statement (bounded, oldest dropped), which
 * better-sqlite3 allows as long as a statement is not iterated by two callers at once (Parley
 * never streams from SQLite).
 */
function cachePreparedStatements(handle: BetterSqlite3.Database, max = 500): void {
  const prepare = handle.prepare.bind(handle);
  const cache = new Map<string, BetterSqlite3.Statement>();
  handle.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof handle.prepare;
}
