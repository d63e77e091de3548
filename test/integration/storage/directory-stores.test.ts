import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { DirectoryError, digestHa1 } from "../../../src/directory/index.ts";
import { BACKENDS } from "../../support/databases.ts";
import { directorySuite } from "../../support/directory-fixture.ts";

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (error: unknown) => error instanceof DirectoryError && error.code === code);
}

for (const backend of BACKENDS) {
  describe(`subscriber directory on ${backend}`, () => {
    const suite = directorySuite(backend);
    after(() => suite.close());

    test("migrations leave nothing pending on a second run", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      assert.deepEqual(await f.database.migrate(), []);
      await f.database.ping();
    });

    test("ensureDomain converges when several callers race to create the same domain", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const domains = await Promise.all(
        Array.from({ length: 6 }, () => f.directory.ensureDomain("Race.Example.com")),
      );
      assert.equal(new Set(domains.map((d) => d.id)).size, 1);
      assert.equal(domains[0]?.name, "race.example.com");
      await rejectsWith(f.directory.createDomain("race.example.com"), "DIRECTORY_DUPLICATE_DOMAIN");
    });

    test("addUser stores digest HA1 for MD5 and SHA-256 and never the password itself", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const { user, generatedPassword } = await f.directory.addUser({
        extension: "1001",
        password: "s3cret-pw",
        displayName: "Alice",
        phoneNumbers: ["+15551230001", "+15551230002"],
        features: { recording: true },
      });
      assert.equal(generatedPassword, undefined);
      assert.equal(user.displayName, "Alice");
      assert.deepEqual(user.phoneNumbers, ["+15551230001", "+15551230002"]);
      assert.deepEqual(user.features, {
        recording: true,
        voicemail: false,
        backgroundCall: false,
        clickToCall: false,
      });
      const row = await f.database.db
        .selectFrom("users")
        .selectAll()
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.ha1_md5, digestHa1("MD5", "1001", "pbx.example.com", "s3cret-pw"));
      assert.equal(row.ha1_sha256, digestHa1("SHA-256", "1001", "pbx.example.com", "s3cret-pw"));
      assert.ok(!JSON.stringify(row).includes("s3cret-pw"), "the plain password is not stored");
      assert.deepEqual(Object.keys(user).sort(), [
        "createdAt",
        "displayName",
        "domainId",
        "extension",
        "features",
        "hasWebPassword",
        "id",
        "phoneNumbers",
        "updatedAt",
      ]);
    });

    test("addUser without a password generates one that matches the stored HA1", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const { user, generatedPassword } = await f.directory.addUser({ extension: "gen-1" });
      assert.ok(generatedPassword && generatedPassword.length >= 16);
      const row = await f.database.db
        .selectFrom("users")
        .select("ha1_md5")
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.ha1_md5, digestHa1("MD5", "gen-1", "pbx.example.com", generatedPassword));
    });

    test("extensions are unique per domain, numbers unique across the directory, and input is validated", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      await f.directory.addUser({
        extension: "2001",
        password: "password1",
        phoneNumbers: ["+442071234567"],
      });
      await rejectsWith(
        f.directory.addUser({ extension: "2001", password: "password1" }),
        "DIRECTORY_DUPLICATE_EXTENSION",
      );
      await f.directory.createDomain("other.example.com");
      await f.directory.addUser({ extension: "2001", password: "password1", domain: "other.example.com" });
      await rejectsWith(
        f.directory.addUser({ extension: "2002", password: "password1", phoneNumbers: ["+442071234567"] }),
        "DIRECTORY_DUPLICATE_NUMBER",
      );
      assert.equal(await f.directory.findUser("2002"), undefined, "a refused user leaves no row behind");
      await rejectsWith(f.directory.addUser({ extension: "bad ext" }), "DIRECTORY_INVALID_EXTENSION");
      await rejectsWith(
        f.directory.addUser({ extension: "2003", phoneNumbers: ["5551234"] }),
        "DIRECTORY_INVALID_NUMBER",
      );
      await rejectsWith(
        f.directory.addUser({ extension: "2003", password: "123" }),
        "DIRECTORY_INVALID_PASSWORD",
      );
      await rejectsWith(
        f.directory.addUser({ extension: "2003", domain: "nowhere.example" }),
        "DIRECTORY_UNKNOWN_DOMAIN",
      );
    });

    test("a failed number change leaves the user's old numbers in place", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const a = (await f.directory.addUser({ extension: "3001", phoneNumbers: ["+13105550001"] })).user;
      const b = (await f.directory.addUser({ extension: "3002", phoneNumbers: ["+13105550002"] })).user;
      await rejectsWith(
        f.directory.updateUser(b.id, { phoneNumbers: ["+13105550003", "+13105550001"], displayName: "Bob" }),
        "DIRECTORY_DUPLICATE_NUMBER",
      );
      const unchanged = await f.directory.getUser(b.id);
      assert.deepEqual(unchanged.phoneNumbers, ["+13105550002"]);
      assert.equal(unchanged.displayName, "3002", "the whole patch was rolled back");
      assert.equal((await f.directory.getUser(a.id)).phoneNumbers[0], "+13105550001");
    });

    test("updateUser changes only what it is given and bumps updatedAt", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const { user } = await f.directory.addUser({
        extension: "4001",
        password: "first-pw",
        phoneNumbers: ["+4930123456"],
      });
      f.clock.advance(60_000);
      const changed = await f.directory.updateUser(user.id, {
        features: { voicemail: true },
        password: "second-pw",
      });
      assert.deepEqual(changed.features, {
        recording: false,
        voicemail: true,
        backgroundCall: false,
        clickToCall: false,
      });
      assert.deepEqual(changed.phoneNumbers, ["+4930123456"]);
      assert.equal(Date.parse(changed.updatedAt) - Date.parse(user.updatedAt), 60_000);
      const row = await f.database.db
        .selectFrom("users")
        .select("ha1_sha256")
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.ha1_sha256, digestHa1("SHA-256", "4001", "pbx.example.com", "second-pw"));
      await rejectsWith(
        f.directory.updateUser("no-such-id", { displayName: "x" }),
        "DIRECTORY_USER_NOT_FOUND",
      );
    });

    test("web passwords can be set, checked and removed", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const { user } = await f.directory.addUser({ extension: "5001", webPassword: "portal-pw" });
      assert.equal(user.hasWebPassword, true);
      assert.equal((await f.directory.verifyWebPassword("5001", "portal-pw"))?.id, user.id);
      assert.equal(await f.directory.verifyWebPassword("5001", "wrong-pw"), undefined);
      assert.equal(await f.directory.verifyWebPassword("nobody", "portal-pw"), undefined);
      await f.directory.updateUser(user.id, { webPassword: null });
      assert.equal(await f.directory.verifyWebPassword("5001", "portal-pw"), undefined);
    });

    test("listUsers pages in extension order with a total, per domain", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      await f.directory.createDomain("paging.example.com");
      for (const ext of ["p3", "p1", "p5", "p2", "p4"]) {
        await f.directory.addUser({
          extension: ext,
          domain: "paging.example.com",
          phoneNumbers: [`+1999000000${ext[1]}`],
        });
      }
      const first = await f.directory.listUsers({ domain: "paging.example.com", limit: 2, offset: 0 });
      const rest = await f.directory.listUsers({ domain: "paging.example.com", limit: 10, offset: 2 });
      assert.equal(first.total, 5);
      assert.deepEqual(
        [...first.users, ...rest.users].map((u) => u.extension),
        ["p1", "p2", "p3", "p4", "p5"],
      );
      assert.deepEqual(rest.users[0]?.phoneNumbers, ["+19990000003"]);
    });

    test("removing a user releases their numbers for reuse", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const { user } = await f.directory.addUser({ extension: "6001", phoneNumbers: ["+33140000001"] });
      await f.directory.removeUser(user.id);
      await rejectsWith(f.directory.removeUser(user.id), "DIRECTORY_USER_NOT_FOUND");
      const again = await f.directory.addUser({ extension: "6002", phoneNumbers: ["+33140000001"] });
      assert.deepEqual(again.user.phoneNumbers, ["+33140000001"]);
      const orphans = await sql<{
        n: number | string;
      }>`select count(*) as n from phone_numbers where user_id not in (select id from users)`.execute(
        f.database.db,
      );
      assert.equal(Number(orphans.rows[0]?.n), 0);
    });

    test("API tokens authenticate until revoked, and only their hash is stored", async (t) => {
      const f = await suite.use(t);
      if (!f) return;
      const { token, secret } = await f.tokens.issue({ name: "ops", admin: true });
      assert.match(secret, /^parley_[A-Za-z0-9_-]{43}$/);
      const found = await f.tokens.authenticate(secret);
      assert.equal(found?.id, token.id);
      assert.equal(found?.admin, true);
      assert.ok((await f.tokens.list()).find((x) => x.id === token.id)?.lastUsedAt, "last use is recorded");
      const rows = await f.database.db.selectFrom("api_tokens").selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(secret.slice(7)), "the secret is not stored");
      assert.equal(await f.tokens.authenticate(`${secret.slice(0, -1)}x`), undefined);
      assert.equal(await f.tokens.authenticate("Bearer nonsense"), undefined);
      await f.tokens.revoke(token.id);
      assert.equal(await f.tokens.authenticate(secret), undefined);
      await assert.rejects(f.tokens.revoke(token.id), (e: unknown) => e instanceof DirectoryError);
    });
  });
}
