import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MemoryPortalSessionStore,
  type PortalSessionRecord,
  type PortalSessionStore,
} from "../../../../src/http/portal/index.ts";
import { silentLogger } from "../../../../src/kernel/log.ts";
import { SqlDatabase, SqlPortalSessionStore } from "../../../../src/storage/index.ts";
import { BACKENDS, freshDatabase } from "../../../support/databases.ts";

const T0 = Date.UTC(2026, 0, 1);
const record = (idHash: string, over: Partial<PortalSessionRecord> = {}): PortalSessionRecord => ({
  idHash,
  user: "1001@pbx.example.com",
  csrfToken: `csrf-${idHash}`,
  createdAt: T0,
  lastSeenAt: T0,
  ...over,
});

async function contract(store: PortalSessionStore) {
  await store.create(record("a".repeat(64)));
  await store.create(record("b".repeat(64), { user: null, createdAt: T0 - 13 * 3600_000, lastSeenAt: T0 }));
  await store.create(record("c".repeat(64), { lastSeenAt: T0 - 31 * 60_000 }));
  assert.deepEqual(await store.get("a".repeat(64)), record("a".repeat(64)));
  assert.equal((await store.get("b".repeat(64)))?.user, null);
  assert.equal(await store.get("d".repeat(64)), undefined);
  await store.touch("a".repeat(64), T0 + 5000);
  assert.equal((await store.get("a".repeat(64)))?.lastSeenAt, T0 + 5000);
  const purged = await store.purge({ lastSeenBefore: T0 - 30 * 60_000, createdBefore: T0 - 12 * 3600_000 });
  assert.equal(purged, 2, "one too old, one idle too long");
  assert.ok(await store.get("a".repeat(64)));
  await store.delete("a".repeat(64));
  assert.equal(await store.get("a".repeat(64)), undefined);
}

describe("PortalSessionStore", () => {
  test("MemoryPortalSessionStore keeps, touches, purges and deletes sessions by id hash", async () => {
    await contract(new MemoryPortalSessionStore());
  });

  for (const backend of BACKENDS) {
    test(`SqlPortalSessionStore on ${backend} keeps, touches, purges and deletes sessions by id hash`, async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        await database.migrate();
        await contract(new SqlPortalSessionStore(database.db));
      } finally {
        await database.close();
        await db.drop();
      }
    });
  }
});
