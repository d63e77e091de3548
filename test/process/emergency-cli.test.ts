import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { silentLogger } from "../../src/kernel/log.ts";
import { SqlDatabase, SqlEmergencyAuditLog } from "../../src/storage/index.ts";
import { runParley } from "../support/parley-process.ts";

test("parley emergency: set, list, remove numbers with the API's rules, and print one call's audit in order", async () => {
  const cwd = mkdtempSync(join(tmpdir(), "parley-emergency-cli-"));
  writeFileSync(
    join(cwd, "parley.toml"),
    '[[emergency_numbers]]\nnumber = "112"\nlabel = "Security"\nusers = ["2001"]\npriority = 2\n',
  );
  for (const extension of ["2001", "2002", "2003"])
    assert.equal((await runParley(["user", "add", extension], { cwd })).code, 0);

  const set = await runParley(
    [
      "emergency",
      "set",
      "5000",
      "--users",
      "2002, 2003",
      "--label",
      "Fire wardens",
      "--priority",
      "3",
      "--record",
    ],
    { cwd },
  );
  assert.equal(set.code, 0, set.stderr);
  assert.equal(
    set.stdout.trim(),
    "5000\tpriority 3\t2002,2003\trecord announcement ring 30s retries 1 esnet.0\tadmin\tFire wardens",
  );
  const listed = await runParley(["emergency", "list"], { cwd });
  assert.deepEqual(listed.stdout.trim().split("\n"), [
    "112\tpriority 2\t2001\tannouncement ring 30s retries 1 esnet.0\tconfig\tSecurity",
    "5000\tpriority 3\t2002,2003\trecord announcement ring 30s retries 1 esnet.0\tadmin\tFire wardens",
  ]);

  const configOwned = await runParley(["emergency", "set", "112", "--users", "2003"], { cwd });
  assert.equal(configOwned.code, 1);
  assert.equal(configOwned.stderr.trim(), "parley: 112 is set in the config file; change it there");
  const unknown = await runParley(["emergency", "set", "5001", "--users", "2002,9999"], { cwd });
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim(), "parley: no user 9999");
  const badPriority = await runParley(["emergency", "set", "5001", "--users", "2002", "--priority", "0"], {
    cwd,
  });
  assert.notEqual(badPriority.code, 0);
  assert.match(badPriority.stderr, /--priority.*must be an integer from 1 to 9/);

  assert.equal((await runParley(["emergency", "remove", "5000"], { cwd })).stdout.trim(), "removed 5000");
  const gone = await runParley(["emergency", "remove", "5000"], { cwd });
  assert.equal(gone.stderr.trim(), "parley: no emergency number 5000");

  const database = SqlDatabase.open({
    url: `sqlite:${join(cwd, "var", "parley.db")}`,
    logger: silentLogger(),
  });
  const audit = new SqlEmergencyAuditLog(database.db);
  const at = Date.UTC(2026, 10, 23, 12);
  await audit.record({
    id: "a2",
    at: at + 2000,
    callId: "C1",
    number: "112",
    event: "answered",
    party: "2001",
  });
  await audit.record({
    id: "a1",
    at,
    callId: "C1",
    number: "112",
    event: "started",
    party: "2002@parley.local",
  });
  await database.close();
  const steps = await runParley(["emergency", "audit", "--call", "C1"], { cwd });
  assert.deepEqual(steps.stdout.trim().split("\n"), [
    "2026-11-23T12:00:00.000Z\tC1\t112\tstarted\t2002@parley.local",
    "2026-11-23T12:00:02.000Z\tC1\t112\tanswered\t2001",
  ]);
});
