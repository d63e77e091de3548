import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Migrator } from "kysely";
import { ApiTokenIssuer, DirectoryError } from "../../../src/directory/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import type { RecordingAuditEntry } from "../../../src/services/recording/index.ts";
import { SqlApiTokenStore, SqlDatabase, SqlRecordingAuditLog } from "../../../src/storage/index.ts";
import { MIGRATIONS } from "../../../src/storage/migrations/index.ts";
import { BACKENDS, freshDatabase } from "../../support/databases.ts";
import { directorySuite } from "../../support/directory-fixture.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function entry(id: string, at: number, fields: Partial<RecordingAuditEntry> = {}): RecordingAuditEntry {
  return {
    id,
    at,
    tokenId: "tok-1",
    tokenName: "alice's player",
    actor: "1001@pbx.example.com",
    action: "download",
    recordingId: "R1",
    outcome: "allowed",
    ...fields,
  };
}

for (const backend of BACKENDS) {
  describe(`recording access storage on ${backend}`, () => {
    const suite = directorySuite(backend);
    after(() => suite.close());

    test("a user token keeps its user through the database; admin tokens have none", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const user = await f.tokens.issue({ name: "alice", admin: false, user: "1001@pbx.example.com" });
      const admin = await f.tokens.issue({ name: "ops", admin: true });
      assert.equal(user.token.user, "1001@pbx.example.com");
      const found = await f.tokens.authenticate(user.secret);
      assert.equal(found?.user, "1001@pbx.example.com");
      assert.equal(found?.admin, false);
      const foundAdmin = await f.tokens.authenticate(admin.secret);
      assert.equal(foundAdmin?.admin, true);
      assert.equal("user" in (foundAdmin ?? {}), false, "no user key on an admin token");
      const listed = await f.tokens.list();
      assert.equal(listed.find((x) => x.id === user.token.id)?.user, "1001@pbx.example.com");
      const row = await f.database.db
        .selectFrom("api_tokens")
        .select(["user_key", "admin"])
        .where("id", "=", user.token.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...row, admin: Number(row.admin) }, { user_key: "1001@pbx.example.com", admin: 0 });
    });

    test("a token is admin or one user's, never both or neither", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const scope = (e: unknown) => e instanceof DirectoryError && e.code === "DIRECTORY_INVALID_TOKEN_SCOPE";
      await assert.rejects(f.tokens.issue({ name: "x", admin: true, user: "1001@pbx.example.com" }), scope);
      await assert.rejects(f.tokens.issue({ name: "x", admin: false }), scope);
      await assert.rejects(f.tokens.issue({ name: "x", admin: false, user: "../etc@passwd/x" }), scope);
      await assert.rejects(f.tokens.issue({ name: "x", admin: false, user: "1001" }), scope);
    });

    test("revoking a user's tokens revokes all of theirs and nobody else's", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const a1 = await f.tokens.issue({ name: "a1", admin: false, user: "2001@pbx.example.com" });
      const a2 = await f.tokens.issue({ name: "a2", admin: false, user: "2001@pbx.example.com" });
      const b = await f.tokens.issue({ name: "b", admin: false, user: "2002@pbx.example.com" });
      assert.equal(await f.tokens.revokeUser("2001@pbx.example.com"), 2);
      assert.equal(await f.tokens.authenticate(a1.secret), undefined);
      assert.equal(await f.tokens.authenticate(a2.secret), undefined);
      assert.equal((await f.tokens.authenticate(b.secret))?.user, "2002@pbx.example.com");
      assert.equal(await f.tokens.revokeUser("2001@pbx.example.com"), 0, "already revoked");
    });

    test("the audit log keeps every entry and lists them newest first, by recording, actor and time", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const log = new SqlRecordingAuditLog(f.database.db);
      const { recordingId: _none, ...listing } = entry("A1", T0, { action: "list", filter: '{"limit":100}' });
      await log.record(listing);
      await log.record(entry("A2", T0 + 1000, { outcome: "forbidden", recordingId: "R2" }));
      await log.record(entry("A3", T0 + 2000, { actor: "admin", tokenName: "ops", action: "delete" }));
      await log.record(entry("A4", T0 + 3000, { outcome: "not-found", recordingId: "R9", action: "get" }));
      const all = await log.list({});
      assert.deepEqual(
        all.map((e) => e.id),
        ["A4", "A3", "A2", "A1"],
      );
      assert.deepEqual(all[3], listing);
      assert.equal("recordingId" in (all[3] ?? {}), false, "absent fields stay absent");
      assert.deepEqual(all[2], entry("A2", T0 + 1000, { outcome: "forbidden", recordingId: "R2" }));
      assert.deepEqual(
        (await log.list({ recordingId: "R1" })).map((e) => e.id),
        ["A3"],
      );
      assert.deepEqual(
        (await log.list({ actor: "admin" })).map((e) => e.id),
        ["A3"],
      );
      assert.deepEqual(
        (await log.list({ since: T0 + 1000, before: T0 + 3000 })).map((e) => e.id),
        ["A3", "A2"],
      );
      assert.deepEqual(
        (await log.list({ limit: 1 })).map((e) => e.id),
        ["A4"],
      );
    });

    test("a database from before migration 0005 keeps its admin tokens and gains user tokens", async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        const migrator = new Migrator({
          db: database.db,
          provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
        });
        const { error } = await migrator.migrateTo("0004-recordings");
        assert.equal(error, undefined);
        const clock = new FakeClock();
        const issuer = new ApiTokenIssuer({ tokens: new SqlApiTokenStore(database.db), clock });
        // A 0004 table has no user_key column: write the old row by hand, as the old code did.
        const old = await (async () => {
          const secret = `parley_${"A".repeat(43)}`;
          const { createHash } = await import("node:crypto");
          await database.db
            .insertInto("api_tokens")
            .values({
              id: "old-admin",
              name: "ops",
              admin: 1,
              secret_hash: createHash("sha256").update(secret).digest("hex"),
              created_at: new Date(T0).toISOString(),
              last_used_at: null,
              revoked_at: null,
            } as never)
            .execute();
          return secret;
        })();
        assert.deepEqual((await database.migrate()).slice(0, 1), ["0005-recording-access"]);
        const admin = await issuer.authenticate(old);
        assert.equal(admin?.id, "old-admin");
        assert.equal(admin?.admin, true);
        assert.equal(admin?.user, undefined);
        const user = await issuer.issue({ name: "alice", admin: false, user: "1001@localhost" });
        assert.equal((await issuer.authenticate(user.secret))?.user, "1001@localhost");
        await new SqlRecordingAuditLog(database.db).record(entry("A1", T0));
      } finally {
        await database.close();
        await db.drop();
      }
    });
  });
}
