import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { silentLogger } from "../../src/kernel/log.ts";
import { wavHeader } from "../../src/media/index.ts";
import { SqlDatabase, SqlRecordingAuditLog, SqlRecordingStore } from "../../src/storage/index.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";

const ALICE = "1001@localhost";
const BOB = "1002@localhost";

describe("recording access from the command line to the API", () => {
  test("token create --user makes a token for an existing user that reaches only that user's recordings, and every access is in the SQL audit log", async (t) => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-recording-access-"));
    for (const extension of ["1001", "1002"]) {
      assert.equal((await runParley(["user", "add", extension], { cwd })).code, 0);
    }

    const nobody = await runParley(["token", "create", "--user", "9999"], { cwd });
    assert.equal(nobody.code, 1);
    assert.equal(nobody.stderr.trim(), "parley: no user 9999");
    assert.notEqual((await runParley(["token", "create", "--user", "1001", "--admin"], { cwd })).code, 0);
    const neither = await runParley(["token", "create"], { cwd });
    assert.equal(neither.code, 1);
    assert.match(neither.stderr, /--admin .* --user/);

    const created = await runParley(["token", "create", "--user", "1001"], { cwd });
    assert.equal(created.code, 0, created.stderr);
    const alice = created.stdout.trim();
    assert.match(alice, /^parley_[A-Za-z0-9_-]{43}$/);
    const withDomain = await runParley(["token", "create", "--user", BOB, "--name", "bob's player"], { cwd });
    assert.equal(withDomain.code, 0, withDomain.stderr);
    const listed = (await runParley(["token", "list"], { cwd })).stdout;
    assert.match(listed, new RegExp(`\\t${ALICE}\\tuser ${ALICE}\\t`), "named after the user by default");
    assert.match(listed, new RegExp(`\\tbob's player\\tuser ${BOB}\\t`));

    // Two recordings as the recording service leaves them: one of alice's calls, one of bob's.
    const url = `sqlite:${join(cwd, "var", "parley.db")}`;
    const wav = Buffer.concat([wavHeader(8000, 2, 320), Buffer.alloc(320, 9)]);
    const db = SqlDatabase.open({ url, logger: silentLogger() });
    const store = new SqlRecordingStore(db.db);
    for (const [id, owner] of [
      ["RA", ALICE],
      ["RB", BOB],
    ] as const) {
      const path = `2026/01/05/C-${id}.wav`;
      mkdirSync(dirname(join(cwd, "var", "recordings", path)), { recursive: true });
      writeFileSync(join(cwd, "var", "recordings", path), wav);
      await store.create({
        id,
        callId: `C-${id}`,
        path,
        caller: owner,
        callee: "+15550001111",
        owners: [owner],
        reason: "caller",
        startedAt: Date.UTC(2026, 0, 5),
        endedAt: Date.UTC(2026, 0, 5, 0, 0, 1),
        sizeBytes: wav.length,
        status: "saved",
      });
    }
    await db.close();

    const proc = ParleyProcess.start({ cwd, env: { PARLEY_HTTP_PORT: "0" } });
    t.after(() => proc.kill());
    const base = `http://127.0.0.1:${await proc.httpPort()}/api/v1`;
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers: { authorization: `Bearer ${alice}`, ...headers } });

    const list = (await (await get("/recordings")).json()) as { recordings: Array<{ id: string }> };
    assert.deepEqual(
      list.recordings.map((r) => r.id),
      ["RA"],
    );
    const foreign = await get("/recordings/RB/audio");
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: { code: string } }).error.code, "RECORDING_FORBIDDEN");
    const range = await get("/recordings/RA/audio", { range: "bytes=0-3" });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get("content-range"), `bytes 0-3/${wav.length}`);
    assert.equal(Buffer.from(await range.arrayBuffer()).toString("ascii"), "RIFF");
    assert.equal((await get("/users")).status, 403, "a user token is not an admin token");
    proc.signalGroup("SIGTERM");
    assert.equal((await proc.exited).code, 0);

    const reopened = SqlDatabase.open({ url, logger: silentLogger() });
    try {
      const entries = await new SqlRecordingAuditLog(reopened.db).list({ actor: ALICE });
      assert.deepEqual(entries.map((e) => [e.action, e.recordingId ?? "-", e.outcome]).sort(), [
        ["download", "RA", "allowed"],
        ["download", "RB", "forbidden"],
        ["list", "-", "allowed"],
      ]);
    } finally {
      await reopened.close();
    }
  });

  test("user recording shows and sets a user's subscription: --policy, --announce/--no-announce, --on/--off", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-recording-cli-"));
    assert.equal((await runParley(["user", "add", "1001"], { cwd })).code, 0);
    const shown = await runParley(["user", "recording", "1001"], { cwd });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, `${ALICE}\trecording off\tpolicy both\tannounce no\n`);

    const set = await runParley(["user", "recording", "1001", "--policy", "outgoing", "--announce", "--on"], {
      cwd,
    });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, `${ALICE}\trecording on\tpolicy outgoing\tannounce yes\n`);
    const listed = JSON.parse((await runParley(["user", "list", "--json"], { cwd })).stdout);
    assert.equal(listed.features.recording, true, "--on is the user's recording feature flag");

    const partly = await runParley(["user", "recording", "1001", "--no-announce", "--off"], { cwd });
    assert.equal(
      partly.stdout,
      `${ALICE}\trecording off\tpolicy outgoing\tannounce no\n`,
      "the policy stays",
    );
    assert.notEqual((await runParley(["user", "recording", "1001", "--policy", "never"], { cwd })).code, 0);
    assert.notEqual((await runParley(["user", "recording", "1001", "--on", "--off"], { cwd })).code, 0);
    const missing = await runParley(["user", "recording", "9999"], { cwd });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), "parley: no user 9999");
  });
});
