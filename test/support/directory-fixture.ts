import type { TestContext } from "node:test";
import { ApiTokenIssuer, SubscriberDirectory, type WebPasswordHasher } from "../../src/directory/index.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { SqlApiTokenStore, SqlDatabase, SqlDomainStore, SqlUserStore } from "../../src/storage/index.ts";
import { type BackendName, freshDatabase, type TestDatabase } from "./databases.ts";
import { FakeClock } from "./fake-clock.ts";

export interface DirectoryFixture {
  database: SqlDatabase;
  directory: SubscriberDirectory;
  tokens: ApiTokenIssuer;
  clock: FakeClock;
  url: string;
}

/** Reversible stand-in for argon2 so repository tests stay fast; argon2 itself is tested on its own. */
export const plainWebPasswords: WebPasswordHasher = {
  hash: async (password) => `plain$${password}`,
  verify: async (hash, password) => hash === `plain$${password}`,
};

/**
 * One migrated database of `backend` shared by the tests of a suite, created on first use and
 * dropped by `close()`. `use(t)` returns undefined (after skipping t) when the backend is missing.
 */
export function directorySuite(backend: BackendName) {
  let created: Promise<{ db: TestDatabase; fixture: DirectoryFixture } | undefined> | undefined;
  return {
    async use(t: TestContext): Promise<DirectoryFixture | undefined> {
      created ??= (async () => {
        const db = await freshDatabase(t, backend);
        if (!db) return undefined;
        return { db, fixture: await openFixture(db.url) };
      })();
      const result = await created;
      if (!result) {
        created = undefined;
        return undefined;
      }
      return result.fixture;
    },
    async close(): Promise<void> {
      const result = await created;
      if (!result) return;
      await result.fixture.database.close();
      await result.db.drop();
    },
  };
}

export async function openFixture(url: string, webPasswords: WebPasswordHasher = plainWebPasswords) {
  const clock = new FakeClock();
  const database = SqlDatabase.open({ url, logger: silentLogger() });
  await database.migrate();
  const directory = new SubscriberDirectory({
    domains: new SqlDomainStore(database.db),
    users: new SqlUserStore(database.db),
    webPasswords,
    clock,
  });
  await directory.useDefaultDomain("pbx.example.com");
  const tokens = new ApiTokenIssuer({ tokens: new SqlApiTokenStore(database.db), clock });
  return { database, directory, tokens, clock, url };
}
