import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Migrator } from "kysely";
import { silentLogger } from "../../../src/kernel/log.ts";
import type { RecordingRecord } from "../../../src/services/recording/index.ts";
import { SqlDatabase, SqlRecordingStore } from "../../../src/storage/index.ts";
import { MIGRATIONS } from "../../../src/storage/migrations/index.ts";
import { BACKENDS, freshDatabase } from "../../support/databases.ts";

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

const row = (id: string): RecordingRecord => ({
  id,
  callId: `C${id}`,
  path: `2026/11/23/C${id}-0000abcd.wav`,
  caller: "1001@example.com",
  callee: "1002@example.com",
  owners: ["1001@example.com"],
  reason: "caller",
  startedAt: T0,
  status: "recording",
});

for (const backend of BACKENDS) {
  describe(`SqlRecordingStore on ${backend}`, () => {
    test("a recording's location is written when it is archived and read back; none before", async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        await database.migrate();
        const store = new SqlRecordingStore(database.db);
        await store.create(row("a"));
        assert.equal("location" in ((await store.get("a")) ?? {}), false);
        await store.update("a", {
          status: "saved",
          location: "s3://calls/recordings/2026/11/23/Ca-0000abcd.wav",
        });
        assert.equal((await store.get("a"))?.location, "s3://calls/recordings/2026/11/23/Ca-0000abcd.wav");
        await store.create({ ...row("b"), status: "saved", location: "file:///var/parley/b.wav" });
        assert.equal((await store.list({})).find((r) => r.id === "b")?.location, "file:///var/parley/b.wav");
      } finally {
        await database.close();
        await db.drop();
      }
    });

    test("rows written before migration 0006 keep working, with no location", async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        const migrator = new Migrator({
          db: database.db,
          provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
        });
        assert.equal((await migrator.migrateTo("0005-recording-access")).error, undefined);
        const { location: _none, ...old } = { ...row("old"), status: "saved" as const };
        await database.db
          .insertInto("recordings")
          .values({
            id: old.id,
            call_id: old.callId,
            path: old.path,
            caller: old.caller,
            callee: old.callee,
            owners: JSON.stringify(old.owners),
            reason: old.reason,
            started_at: new Date(T0).toISOString(),
            ended_at: null,
            duration_ms: null,
            size_bytes: null,
            sha256: null,
            status: old.status,
            error: null,
          } as never)
          .execute();
        assert.deepEqual((await database.migrate()).slice(0, 1), ["0006-recording-location"]);
        const store = new SqlRecordingStore(database.db);
        const read = await store.get("old");
        assert.equal(read?.path, old.path);
        assert.equal(read?.location, undefined);
      } finally {
        await database.close();
        await db.drop();
      }
    });
  });
}
