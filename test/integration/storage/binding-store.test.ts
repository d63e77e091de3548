import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import type { Binding } from "../../../src/registrar/index.ts";
import { SqlBindingStore, SqlDatabase } from "../../../src/storage/index.ts";
import { BACKENDS, freshDatabase, type TestDatabase } from "../../support/databases.ts";

const binding = (contact: string, expiresAt: number, extra: Partial<Binding> = {}): Binding => ({
  aor: "sip:1001@parley.test",
  contact,
  q: 0.7,
  expiresAt,
  callId: "c1",
  cseq: 3,
  source: { protocol: "tcp", address: "203.0.113.9", port: 40000, flowId: "tcp-7" },
  path: ["<sip:edge.example.com;lr>"],
  userAgent: "baresip",
  instanceId: "<urn:uuid:00000000-0000-0000-0000-000000000001>",
  registeredAt: 1_000,
  ...extra,
});

for (const backend of BACKENDS) {
  describe(`SqlBindingStore on ${backend}`, () => {
    let db: TestDatabase | undefined;
    let database: SqlDatabase | undefined;
    after(async () => {
      await database?.close();
      await db?.drop();
    });

    test("saves, updates in place, loads only unexpired bindings, and deletes", async (t) => {
      db = await freshDatabase(t, backend);
      if (!db) return;
      database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      await database.migrate();
      const store = new SqlBindingStore(database.db);
      const now = Date.UTC(2026, 0, 1);
      await store.save(binding("sip:1001@10.0.0.5", now + 60_000));
      await store.save(binding("sip:1001@10.0.0.6", now - 1));
      await store.save(binding("sip:1001@10.0.0.5", now + 120_000, { cseq: 4 }));
      const loaded = await store.load(now);
      assert.deepEqual(loaded, [binding("sip:1001@10.0.0.5", now + 120_000, { cseq: 4 })]);
      await store.delete("sip:1001@parley.test", "sip:1001@10.0.0.5");
      assert.deepEqual(await store.load(now), []);
      await store.apply([
        { kind: "save", binding: binding("sip:1001@10.0.0.8", now + 60_000) },
        { kind: "save", binding: binding("sip:1001@10.0.0.9", now + 60_000) },
        { kind: "delete", aor: "sip:1001@parley.test", contact: "sip:1001@10.0.0.8" },
      ]);
      assert.deepEqual(
        (await store.load(now)).map((b) => b.contact),
        ["sip:1001@10.0.0.9"],
        "a batch applies saves and deletes in order",
      );
    });
  });
}
