import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { silentLogger } from "../../src/kernel/log.ts";
import { SqlBindingStore, SqlDatabase } from "../../src/storage/index.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";

describe("parley CLI", () => {
  test("user add, then GET /api/v1/users with an admin token lists the user; without a token 401", async (t) => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-cli-"));
    const added = await runParley(["user", "add", "1001", "--password", "s3cret", "--name", "Alice"], {
      cwd,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^added 1001\t"Alice"/);
    assert.doesNotMatch(added.stdout, /SIP password/, "a given password is not printed");

    const token = await runParley(["token", "create", "--admin"], { cwd });
    assert.equal(token.code, 0, token.stderr);
    const secret = token.stdout.trim();
    assert.match(secret, /^parley_[A-Za-z0-9_-]{43}$/);

    const proc = ParleyProcess.start({ cwd, env: { PARLEY_HTTP_PORT: "0" } });
    t.after(() => proc.kill());
    const base = `http://127.0.0.1:${await proc.httpPort()}`;
    const listed = await fetch(`${base}/api/v1/users`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(listed.status, 200);
    const body = (await listed.json()) as {
      users: Array<{ extension: string; displayName: string }>;
      total: number;
    };
    assert.equal(body.total, 1);
    assert.deepEqual(
      body.users.map((u) => [u.extension, u.displayName]),
      [["1001", "Alice"]],
    );

    const anonymous = await fetch(`${base}/api/v1/users`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("content-type") ?? "", /application\/json/);
    assert.deepEqual(await anonymous.json(), {
      error: { code: "HTTP_UNAUTHORIZED", message: "missing bearer token" },
    });
    assert.ok(
      proc.lines.some((l) => typeof l.reqId === "string" && l.msg === "request completed"),
      "HTTP log lines carry the request id",
    );
  });

  test("config check prints the effective configuration with secrets masked; version prints the version", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-cli-"));
    const check = await runParley(["config", "check"], {
      cwd,
      env: { PARLEY_DATABASE_URL: "postgres://parley:hunter2@db.internal/parley", PARLEY_SIP_PORT: "5070" },
    });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /url = "postgres:\/\/parley:\*\*\*\*\*@db\.internal\/parley"/);
    assert.doesNotMatch(check.stdout, /hunter2/);
    assert.match(check.stdout, /\[sip\][^[]*port = 5070/);
    const migrate = await runParley(["migrate"], { cwd });
    const db = SqlDatabase.open({ url: `sqlite:${join(cwd, "var", "parley.db")}`, logger: silentLogger() });
    await new SqlBindingStore(db.db).save({
      aor: "sip:1001@localhost",
      contact: "sip:1001@10.0.0.5:5060",
      q: 1,
      expiresAt: Date.now() + 600_000,
      callId: "c",
      cseq: 1,
      source: { protocol: "udp", address: "203.0.113.9", port: 40000 },
      path: [],
      registeredAt: Date.now(),
    });
    await db.close();
    const registrations = await runParley(["registrations"], { cwd });
    assert.equal(registrations.code, 0, registrations.stderr);
    assert.match(
      registrations.stdout,
      /^sip:1001@localhost\tsip:1001@10\.0\.0\.5:5060\tudp:203\.0\.113\.9:40000\texpires in \d+s/,
    );
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.equal(migrate.stdout.trim(), "database schema is current (sqlite)");
    const version = await runParley(["version"], { cwd });
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
