import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { BACKENDS, freshDatabase, type TestDatabase } from "../support/databases.ts";
import { openFixture } from "../support/directory-fixture.ts";
import { cleanEnv, REPO_ROOT, runParley } from "../support/parley-process.ts";

const BURST = fileURLToPath(new URL("../support/insert-burst.ts", import.meta.url));
const ACKS_BEFORE_KILL = 300;

/** Runs the inserter until it has acknowledged `count` commits, then SIGKILLs it mid-burst. */
async function killMidBurst(url: string, parallel: number): Promise<string[]> {
  const child = spawn(process.execPath, ["--import", "tsx", BURST, url, String(parallel)], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const acked: string[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const enough = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("ok ")) acked.push(line.slice(3));
      if (acked.length >= ACKS_BEFORE_KILL) resolve();
    });
    child.on("exit", (code) => reject(new Error(`inserter exited early (${code}): ${stderr}`)));
  });
  await enough;
  child.kill("SIGKILL");
  const [, signal] = await once(child, "exit");
  assert.equal(signal, "SIGKILL");
  return acked;
}

for (const backend of BACKENDS) {
  describe(`SIGKILL during a burst of user inserts (${backend})`, () => {
    let db: TestDatabase | undefined;
    after(() => db?.drop());

    test("the database reopens consistent: every acknowledged user is there, whole, and nothing is half-written", async (t) => {
      db = await freshDatabase(t, backend);
      if (!db) return;
      const acked = await killMidBurst(db.url, backend === "postgres" ? 4 : 1);

      if (backend === "sqlite") {
        const raw = new BetterSqlite3(db.url.slice("sqlite:".length));
        assert.equal(raw.pragma("integrity_check", { simple: true }), "ok");
        assert.deepEqual(raw.pragma("foreign_key_check"), []);
        raw.close();
      }

      const f = await openFixture(db.url);
      try {
        assert.deepEqual(await f.database.migrate(), [], "the schema is intact; nothing to re-apply");
        const users = await f.database.db.selectFrom("users").select(["id", "extension"]).execute();
        const present = new Set(users.map((u) => u.extension));
        const lost = acked.filter((e) => !present.has(e));
        assert.deepEqual(lost, [], "no acknowledged insert is lost");
        const perUser = await sql<{ user_id: string; n: number | string }>`
          select u.id as user_id, count(p.number) as n from users u
          left join phone_numbers p on p.user_id = u.id group by u.id`.execute(f.database.db);
        const partial = perUser.rows.filter((r) => Number(r.n) !== 2);
        assert.deepEqual(partial, [], "every user has both numbers: no transaction was half-applied");
        const orphans = await sql<{ n: number | string }>`
          select count(*) as n from phone_numbers where user_id not in (select id from users)`.execute(
          f.database.db,
        );
        assert.equal(Number(orphans.rows[0]?.n), 0);
        await f.directory.addUser({ extension: "after-crash", phoneNumbers: ["+15550000000"] });
      } finally {
        await f.database.close();
      }

      const listed = await runParley(["user", "list"], {
        cwd: mkdtempSync(join(tmpdir(), "parley-crash-")),
        env: { PARLEY_DATABASE_URL: db.url, PARLEY_SIP_DOMAIN: "pbx.example.com" },
      });
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(
        listed.stdout.split("\n").filter(Boolean).length >= acked.length + 1,
        "the server's own CLI reads them all",
      );
    });
  });
}
