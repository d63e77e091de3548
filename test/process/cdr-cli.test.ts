import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { silentLogger } from "../../src/kernel/log.ts";
import { SqlCdrStore, SqlDatabase } from "../../src/storage/index.ts";
import { callRecord, legRecord, T0 } from "../support/cdr-store-contract.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";

/** A working directory whose default SQLite database (var/parley.db) is migrated and open. */
async function workspace() {
  const cwd = mkdtempSync(join(tmpdir(), "parley-cdr-"));
  const database = SqlDatabase.open({
    url: `sqlite:${join(cwd, "var", "parley.db")}`,
    logger: silentLogger(),
  });
  await database.migrate();
  return { cwd, database, store: new SqlCdrStore(database.db) };
}

describe("parley cdr", () => {
  test("cdr list prints stored records newest first, filtered, limited, as CSV or JSON", async () => {
    const { cwd, database, store } = await workspace();
    try {
      await store.openCall(
        callRecord("C1", T0, {
          caller: "1001",
          answeredAt: T0 + 4_000,
          endedAt: T0 + 64_000,
          disposition: "answered",
          cause: "NORMAL_CLEARING",
        }),
      );
      await store.openLeg(legRecord("L1", "C1", T0, { endedAt: T0 + 64_000, disposition: "answered" }));
      await store.openCall(
        callRecord("C2", T0 + 60_000, {
          from: 'sip:"Smith, J"@pbx.example.com',
          to: "tel:+15551234567",
          endedAt: T0 + 62_000,
          disposition: "busy",
          cause: "USER_BUSY",
          sipStatus: 486,
        }),
      );
      await store.openCall(callRecord("C3", T0 + 120_000));
    } finally {
      await database.close();
    }

    const listed = await runParley(["cdr", "list"], { cwd });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.split("\n"), [
      "2026-01-01T00:02:00.000Z\tC3\tsip:1001@pbx.example.com -> sip:1002@pbx.example.com\topen\t\t",
      '2026-01-01T00:01:00.000Z\tC2\tsip:"Smith, J"@pbx.example.com -> tel:+15551234567\tbusy\t2s\tUSER_BUSY',
      "2026-01-01T00:00:00.000Z\tC1\tsip:1001@pbx.example.com -> sip:1002@pbx.example.com\tanswered\t64s (talk 60s)\tNORMAL_CLEARING",
      "",
    ]);

    const csv = await runParley(["cdr", "list", "--csv", "--since", "2026-01-01T00:01:00Z"], { cwd });
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(csv.stdout.split("\r\n"), [
      "id,kind,from,to,caller,callee,service,startedAt,answeredAt,endedAt,disposition,sipStatus,cause,reason,legs,payer,cost,currency,priority,node",
      "C3,inbound,sip:1001@pbx.example.com,sip:1002@pbx.example.com,,,basic,2026-01-01T00:02:00.000Z,,,,,,,0,,,,,",
      'C2,inbound,"sip:""Smith, J""@pbx.example.com",tel:+15551234567,,,basic,2026-01-01T00:01:00.000Z,,2026-01-01T00:01:02.000Z,busy,486,USER_BUSY,,0,,,,,',
      "",
    ]);

    const party = await runParley(["cdr", "list", "--party", "SMITH", "--json"], { cwd });
    assert.equal(party.code, 0, party.stderr);
    const lines = party.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.equal(JSON.parse(lines[0] ?? "").id, "C2");

    const limited = await runParley(["cdr", "list", "--limit", "1"], { cwd });
    assert.match(limited.stdout, /^2026-01-01T00:02:00\.000Z\tC3\t[^\n]*\n$/);

    const bad = await runParley(["cdr", "list", "--since", "yesterday"], { cwd });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ISO 8601/);
  });

  test("cdr tail prints each call as it ends, and stops on Ctrl-C", async (t) => {
    const { cwd, database, store } = await workspace();
    t.after(() => database.close());
    const now = Date.now();
    await store.openCall(
      callRecord("old", now - 3_600_000, { endedAt: now - 3_000_000, disposition: "answered" }),
    );
    await store.openCall(callRecord("live", now));

    const tail = ParleyProcess.start({ cwd, args: ["cdr", "tail", "--interval", "0.1"] });
    t.after(() => tail.kill());
    await tail.waitForLine((l) => String(l.msg).startsWith("following call detail records"));
    const endedAt = Date.now();
    await store.updateCall("live", { answeredAt: now + 1_000, endedAt, disposition: "answered" });
    const line = await tail.waitForLine((l) => l.raw === true && String(l.msg).includes("\tlive\t"));
    assert.match(String(line.msg), /\tanswered\t/);

    tail.signalGroup("SIGINT");
    const exited = await tail.exited;
    assert.deepEqual(exited, { code: 0, signal: null });
    assert.ok(!tail.transcript().includes("\told\t"), "a call that ended before tail started is not shown");
    assert.equal(tail.lines.filter((l) => String(l.msg).includes("\tlive\t")).length, 1, "printed once");
  });
});
