import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, describe, type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../../../src/kernel/log.ts";
import { SqlCdrStore, SqlDatabase } from "../../../src/storage/index.ts";
import { cdrStoreContract, T0 } from "../../support/cdr-store-contract.ts";
import { BACKENDS, type BackendName, freshDatabase, type TestDatabase } from "../../support/databases.ts";
import { cleanEnv, REPO_ROOT } from "../../support/parley-process.ts";

const WRITER = fileURLToPath(new URL("../../support/cdr-crash-writer.ts", import.meta.url));
const ACKS_BEFORE_KILL = 120;

/** One migrated database per backend, shared by the suite's tests and emptied before each. */
function sharedDatabase(backend: BackendName) {
  let opened: Promise<{ db: TestDatabase; database: SqlDatabase } | undefined> | undefined;
  return {
    async fresh(t: TestContext): Promise<SqlCdrStore | undefined> {
      opened ??= (async () => {
        const db = await freshDatabase(t, backend);
        if (!db) return undefined;
        const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
        await database.migrate();
        return { db, database };
      })();
      const result = await opened;
      if (!result) {
        opened = undefined;
        return undefined;
      }
      await result.database.db.deleteFrom("cdr_legs").execute();
      await result.database.db.deleteFrom("cdr_calls").execute();
      return new SqlCdrStore(result.database.db);
    },
    async close(): Promise<void> {
      const result = await opened;
      await result?.database.close();
      await result?.db.drop();
    },
  };
}

/**
 * Runs the CDR writer until it has acknowledged enough events, then SIGKILLs it while a call that
 * the writer never hangs up (an even one) is ringing. Returns the last acknowledged event of each
 * call (acknowledgements that arrive while the kill lands count too) and the call in progress.
 */
async function killMidCall(url: string): Promise<{ acked: Map<string, string>; inProgress: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, url], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lastEvent = new Map<string, string>();
  let acks = 0;
  let buffer = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const inProgress = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const [ok, call, event] = line.split(" ");
        if (ok !== "ok" || !call || !event) continue;
        lastEvent.set(call, event);
        acks++;
        if (acks >= ACKS_BEFORE_KILL && event === "ringing" && Number(call.slice(1)) % 2 === 0) resolve(call);
      }
    });
    child.on("exit", (code) => reject(new Error(`CDR writer exited early (${code}): ${stderr}`)));
  });
  child.kill("SIGKILL");
  const [, signal] = await once(child, "exit");
  assert.equal(signal, "SIGKILL");
  return { acked: lastEvent, inProgress };
}

for (const backend of BACKENDS) {
  const shared = sharedDatabase(backend);
  after(() => shared.close());
  cdrStoreContract(`SqlCdrStore on ${backend}`, (t) => shared.fresh(t));

  describe(`CDRs after a SIGKILL on ${backend}`, () => {
    let db: TestDatabase | undefined;
    after(() => db?.drop());

    test("every acknowledged event is stored, and completeInterrupted leaves no record open and every call ending after its legs", async (t) => {
      db = await freshDatabase(t, backend);
      if (!db) return;
      const { acked, inProgress } = await killMidCall(db.url);
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        assert.deepEqual(await database.migrate(), [], "the schema is intact");
        const store = new SqlCdrStore(database.db);
        const open = await database.db
          .selectFrom("cdr_calls")
          .select("id")
          .where("ended_at", "is", null)
          .execute();
        const openIds = new Set(open.map((r) => r.id));
        for (const [id, event] of acked) {
          const call = await store.get(id);
          assert.ok(call, `${id} was acknowledged (${event}) and is stored`);
          if (event === "ended") assert.ok(!openIds.has(id), `${id} ended before the kill`);
          if (event === "answered" || event === "ended") assert.equal(call.answeredAt, call.startedAt + 30);
        }
        assert.ok(openIds.has(inProgress), "the call in progress at the kill is open");

        assert.equal(await store.completeInterrupted(), openIds.size);
        const all = await store.list({ limit: 1_000, since: T0 });
        assert.ok(all.length >= acked.size);
        for (const call of all) {
          assert.ok(call.endedAt !== undefined && call.disposition !== undefined, `${call.id} is closed`);
          assert.equal(call.disposition, openIds.has(call.id) ? "interrupted" : "answered", call.id);
          for (const leg of call.legs) {
            assert.ok(leg.endedAt !== undefined && leg.endedAt >= leg.startedAt, `${leg.id} is closed`);
            assert.ok(call.endedAt >= leg.endedAt, `${call.id} ends no earlier than ${leg.id}`);
          }
          // A kill between a leg's end and its call's end leaves the leg's end as the latest time.
          const latest = Math.max(
            call.startedAt,
            ...call.legs.flatMap((l) => [l.startedAt, l.ringingAt ?? 0, l.answeredAt ?? 0, l.endedAt ?? 0]),
          );
          if (openIds.has(call.id)) assert.equal(call.endedAt, latest, `${call.id} ends at its last event`);
        }
        // The writes in flight at the kill may or may not have landed; the acknowledged ring has.
        const interrupted = await store.get(inProgress);
        assert.equal(interrupted?.disposition, "interrupted");
        assert.ok(
          (interrupted?.endedAt ?? 0) >= (interrupted?.startedAt ?? 0) + 20,
          "ended no earlier than its ring",
        );
      } finally {
        await database.close();
      }
    });
  });
}
