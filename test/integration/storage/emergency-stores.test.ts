import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  type EmergencyAuditEntry,
  type EmergencyAuditLog,
  type EmergencyNumber,
  type EmergencyNumberStore,
  MemoryEmergencyAuditLog,
  MemoryEmergencyNumberStore,
} from "../../../src/services/emergency/index.ts";
import { SqlDatabase, SqlEmergencyAuditLog, SqlEmergencyNumberStore } from "../../../src/storage/index.ts";
import { BACKENDS, freshDatabase } from "../../support/databases.ts";

const FIRE: EmergencyNumber = {
  number: "5000",
  label: "Fire wardens",
  users: ["1002", "1003@branch.example.com", "1004"],
  priority: 3,
  record: true,
  announcement: false,
  ringTimeout: 20,
  retries: 2,
  resourcePriority: "esnet.2",
  source: "admin",
};

let sequence = 0;
/** An audit entry with an id like the service's: time, then a sequence number within it. */
const entry = (
  at: number,
  callId: string,
  event: EmergencyAuditEntry["event"],
  party?: string,
): EmergencyAuditEntry => ({
  id: `${String(at).padStart(15, "0")}-${String(++sequence).padStart(6, "0")}`,
  at,
  callId,
  number: callId === "C2" ? "112" : "5000",
  event,
  ...(party ? { party } : {}),
  ...(event === "preempted" ? { detail: "call C9; cut off sip:1005@parley.test" } : {}),
});

type Stores = { numbers: EmergencyNumberStore; audit: EmergencyAuditLog; close(): Promise<void> };

function contract(name: string, open: (t: TestContext) => Promise<Stores | undefined>) {
  describe(name, () => {
    test("numbers are saved, read back whole and in order, replaced, and removed", async (t) => {
      const stores = await open(t);
      if (!stores) return;
      t.after(() => stores.close());
      const { numbers } = stores;
      assert.deepEqual(await numbers.list(), []);
      await numbers.save(FIRE);
      await numbers.save({ ...FIRE, number: "112", users: ["1009"], label: "Security", priority: 1 });
      assert.deepEqual(await numbers.get("5000"), FIRE);
      assert.deepEqual(
        (await numbers.list()).map((n) => n.number),
        ["112", "5000"],
      );
      await numbers.save({ ...FIRE, users: ["1004"], record: false, announcement: true });
      const changed = await numbers.get("5000");
      assert.deepEqual(changed?.users, ["1004"]);
      assert.equal(changed?.record, false);
      assert.equal(changed?.announcement, true);
      assert.equal(await numbers.remove("5000"), true);
      assert.equal(await numbers.remove("5000"), false);
      assert.equal(await numbers.get("5000"), undefined);
    });

    test("the audit keeps one call's steps in order and lists calls newest first", async (t) => {
      const stores = await open(t);
      if (!stores) return;
      t.after(() => stores.close());
      const { audit } = stores;
      const steps = [
        entry(1_000, "C1", "started", "1001@parley.test"),
        entry(1_000, "C1", "preempted", "1003"),
        entry(1_500, "C1", "ringing", "1003"),
        entry(9_000, "C2", "started", "1007@parley.test"),
        entry(4_000, "C1", "answered", "1003"),
      ];
      for (const step of steps) await audit.record(step);
      const c1 = await audit.list({ callId: "C1" });
      assert.deepEqual(
        c1.map((e) => e.event),
        ["started", "preempted", "ringing", "answered"],
      );
      assert.equal(c1[1]?.detail, "call C9; cut off sip:1005@parley.test");
      assert.equal(c1[0]?.party, "1001@parley.test");
      assert.equal(c1[0]?.detail, undefined);
      assert.deepEqual(
        (await audit.list({})).map((e) => e.callId),
        ["C2", "C1", "C1", "C1", "C1"],
      );
      assert.deepEqual(
        (await audit.list({ number: "112" })).map((e) => e.callId),
        ["C2"],
      );
      assert.equal((await audit.list({ since: 1_500, before: 9_000 })).length, 2);
      assert.equal((await audit.list({ limit: 2 })).length, 2);
    });
  });
}

contract("MemoryEmergencyNumberStore and MemoryEmergencyAuditLog", async () => ({
  numbers: new MemoryEmergencyNumberStore(),
  audit: new MemoryEmergencyAuditLog(),
  close: async () => {},
}));

for (const backend of BACKENDS) {
  contract(`SqlEmergencyNumberStore and SqlEmergencyAuditLog on ${backend}`, async (t) => {
    const db = await freshDatabase(t, backend);
    if (!db) return undefined;
    const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
    await database.migrate();
    return {
      numbers: new SqlEmergencyNumberStore(database.db, () => 0),
      audit: new SqlEmergencyAuditLog(database.db),
      close: async () => {
        await database.close();
        await db.drop();
      },
    };
  });
}
