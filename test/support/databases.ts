import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import pg from "pg";
import { missingPeer } from "./peers.ts";

export type BackendName = "sqlite" | "postgres";
export const BACKENDS: readonly BackendName[] = ["sqlite", "postgres"];

export interface TestDatabase {
  url: string;
  /** Drops the database (PostgreSQL) or deletes the file (SQLite). */
  drop(): Promise<void>;
}

/**
 * A fresh, empty database of the given backend for one test: a new SQLite file in a temp folder,
 * or a new PostgreSQL database created through PARLEY_TEST_PG_URL (the role needs CREATEDB).
 * Returns undefined after skipping the test when PostgreSQL is not configured (fails in CI).
 */
export async function freshDatabase(t: TestContext, backend: BackendName): Promise<TestDatabase | undefined> {
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "parley-db-"));
    return {
      url: `sqlite:${join(dir, "parley.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base = process.env.PARLEY_TEST_PG_URL;
  if (!base) {
    missingPeer(
      t,
      "PostgreSQL",
      "set PARLEY_TEST_PG_URL (scripts/ci/start-postgres.sh starts a local server)",
    );
    return undefined;
  }
  const name = `parley_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
