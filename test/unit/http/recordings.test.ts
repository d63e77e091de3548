import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildHttpServer } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import { wavHeader } from "../../../src/media/index.ts";
import {
  MemoryRecordingAuditLog,
  MemoryRecordingStore,
  type RecordingRecord,
} from "../../../src/services/recording/index.ts";
import { LocalRecordingFiles } from "../../../src/storage/index.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";

const DOMAIN = "pbx.example.com";
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const DATA_BYTES = 4000;

/** A real stereo 8 kHz WAV whose sample bytes follow a pattern, so any byte range can be checked. */
function wavBytes(seed: number): Buffer {
  const data = Buffer.alloc(DATA_BYTES);
  for (let i = 0; i < DATA_BYTES; i++) data[i] = (i * 7 + seed) & 0xff;
  return Buffer.concat([wavHeader(8000, 2, DATA_BYTES), data]);
}

describe("REST API: recordings", () => {
  let f: DirectoryFixture;
  let app: FastifyInstance;
  let dir: string;
  const store = new MemoryRecordingStore();
  const audit = new MemoryRecordingAuditLog();
  const files = new Map<string, Buffer>();
  const secrets = { admin: "", alice: "", bob: "" };

  async function addRecording(id: string, fields: Partial<RecordingRecord> & { owners: string[] }) {
    const path = `2026/01/05/C-${id}.wav`;
    const bytes = wavBytes(files.size + 1);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
    files.set(id, bytes);
    await store.create({
      id,
      callId: `C-${id}`,
      path,
      caller: fields.owners[0] ?? "trunk:provider",
      callee: "+15550001111",
      reason: "caller",
      startedAt: T0,
      endedAt: T0 + 1000,
      durationMs: 1000,
      sizeBytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      status: "saved",
      ...fields,
    });
  }

  before(async () => {
    f = await openFixture("sqlite::memory:");
    dir = mkdtempSync(join(tmpdir(), "parley-recordings-api-"));
    for (const extension of ["1001", "1002", "1003"]) await f.directory.addUser({ extension });
    secrets.admin = (await f.tokens.issue({ name: "ops", admin: true })).secret;
    secrets.alice = (await f.tokens.issue({ name: "alice", admin: false, user: `1001@${DOMAIN}` })).secret;
    secrets.bob = (await f.tokens.issue({ name: "bob", admin: false, user: `1002@${DOMAIN}` })).secret;
    // R1: 1001 called 1002; R2: 1002 called out; R3: 1003 called out; R4: 1001's call in progress.
    await addRecording("R1", { owners: [`1001@${DOMAIN}`, `1002@${DOMAIN}`], callee: `1002@${DOMAIN}` });
    await addRecording("R2", { owners: [`1002@${DOMAIN}`], startedAt: T0 + 60_000 });
    await addRecording("R3", { owners: [`1003@${DOMAIN}`], startedAt: T0 + 120_000 });
    await addRecording("R4", { owners: [`1001@${DOMAIN}`], startedAt: T0 + 180_000, status: "recording" });
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
      recordings: { store, files: new LocalRecordingFiles({ directory: dir }), audit, clock: f.clock },
    });
  });
  after(async () => {
    await app.close();
    await f.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (
    method: "GET" | "DELETE" | "HEAD",
    url: string,
    token: string,
    headers: Record<string, string> = {},
  ) => {
    f.clock.advance(1); // audit entries get distinct times, so their order is the order of requests
    return app.inject({
      method,
      url,
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  };
  const ids = (body: { recordings: Array<{ id: string }> }) => body.recordings.map((r) => r.id);

  test("a user token lists only recordings of calls its user was on; an admin token lists all", async () => {
    assert.deepEqual(ids((await call("GET", "/api/v1/recordings", secrets.alice)).json()), ["R4", "R1"]);
    assert.deepEqual(ids((await call("GET", "/api/v1/recordings", secrets.bob)).json()), ["R2", "R1"]);
    assert.deepEqual(ids((await call("GET", "/api/v1/recordings", secrets.admin)).json()), [
      "R4",
      "R3",
      "R2",
      "R1",
    ]);
    const byUser = await call("GET", `/api/v1/recordings?user=1003@${DOMAIN}`, secrets.admin);
    assert.deepEqual(ids(byUser.json()), ["R3"]);
    const own = await call("GET", `/api/v1/recordings?user=1001@${DOMAIN}`, secrets.alice);
    assert.deepEqual(ids(own.json()), ["R4", "R1"]);
  });

  test("a user token asking for another user's list gets 403 RECORDING_FORBIDDEN", async () => {
    const res = await call("GET", `/api/v1/recordings?user=1002@${DOMAIN}`, secrets.alice);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, "RECORDING_FORBIDDEN");
  });

  test("lists filter by party and by start time", async () => {
    const since = new Date(T0 + 60_000).toISOString();
    const before = new Date(T0 + 180_000).toISOString();
    const window = await call("GET", `/api/v1/recordings?since=${since}&before=${before}`, secrets.admin);
    assert.deepEqual(ids(window.json()), ["R3", "R2"]);
    const party = await call("GET", "/api/v1/recordings?party=1003", secrets.admin);
    assert.deepEqual(ids(party.json()), ["R3"]);
    const limited = await call("GET", "/api/v1/recordings?limit=1", secrets.admin);
    assert.deepEqual(ids(limited.json()), ["R4"]);
  });

  test("metadata of an own recording, without the server's file path", async () => {
    const res = await call("GET", "/api/v1/recordings/R1", secrets.bob);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.id, "R1");
    assert.deepEqual(body.owners, [`1001@${DOMAIN}`, `1002@${DOMAIN}`]);
    assert.equal(body.startedAt, new Date(T0).toISOString());
    assert.equal(body.sizeBytes, files.get("R1")?.length);
    assert.equal(body.audio, "/api/v1/recordings/R1/audio");
    assert.equal(body.path, undefined);
  });

  test("another user's recording is 403 for its metadata and its audio; an unknown one is 404", async () => {
    for (const url of ["/api/v1/recordings/R2", "/api/v1/recordings/R2/audio"]) {
      const res = await call("GET", url, secrets.alice);
      assert.equal(res.statusCode, 403, url);
      assert.equal(res.json().error.code, "RECORDING_FORBIDDEN");
      assert.doesNotMatch(String(res.headers["content-type"]), /audio/);
    }
    const missing = await call("GET", "/api/v1/recordings/R9/audio", secrets.admin);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, "RECORDING_NOT_FOUND");
  });

  test("the audio is the WAV file, whole, with Accept-Ranges", async () => {
    const res = await call("GET", "/api/v1/recordings/R1/audio", secrets.alice);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "audio/wav");
    assert.equal(res.headers["accept-ranges"], "bytes");
    assert.equal(res.headers["content-length"], String(files.get("R1")?.length));
    assert.equal(
      res.headers.etag,
      `"${createHash("sha256")
        .update(files.get("R1") as Buffer)
        .digest("hex")}"`,
    );
    assert.ok(res.rawPayload.equals(files.get("R1") as Buffer));
  });

  test("ranges get 206 with exactly the asked bytes: a-b, a- and the last n", async () => {
    const file = files.get("R2") as Buffer;
    const size = file.length;
    const cases: Array<[string, number, number]> = [
      ["bytes=0-0", 0, 0],
      ["bytes=100-199", 100, 199],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ["bytes=-50", size - 50, size - 1],
      [`bytes=-${size + 1000}`, 0, size - 1],
      [`bytes=4000-${size + 5000}`, 4000, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await call("GET", "/api/v1/recordings/R2/audio", secrets.bob, { range });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.headers["content-range"], `bytes ${start}-${end}/${size}`, range);
      assert.equal(res.headers["content-length"], String(end - start + 1), range);
      assert.ok(res.rawPayload.equals(file.subarray(start, end + 1)), `${range} body`);
    }
  });

  test("an unsatisfiable range is 416 with the size; several ranges or a stale If-Range get the whole file", async () => {
    const size = (files.get("R2") as Buffer).length;
    for (const range of [`bytes=${size}-`, `bytes=${size + 1}-${size + 9}`, "bytes=-0"]) {
      const res = await call("GET", "/api/v1/recordings/R2/audio", secrets.admin, { range });
      assert.equal(res.statusCode, 416, range);
      assert.equal(res.headers["content-range"], `bytes */${size}`);
      assert.equal(res.json().error.code, "HTTP_RANGE_NOT_SATISFIABLE");
    }
    const multi = await call("GET", "/api/v1/recordings/R2/audio", secrets.admin, { range: "bytes=0-1,5-6" });
    assert.equal(multi.statusCode, 200);
    assert.equal(multi.rawPayload.length, size);
    const stale = await call("GET", "/api/v1/recordings/R2/audio", secrets.admin, {
      range: "bytes=0-9",
      "if-range": '"not-the-etag"',
    });
    assert.equal(stale.statusCode, 200);
    const current = await call("GET", "/api/v1/recordings/R2/audio", secrets.admin, {
      range: "bytes=0-9",
      "if-range": stale.headers.etag as string,
    });
    assert.equal(current.statusCode, 206);
  });

  test("HEAD on the audio gives the headers of a GET and no body", async () => {
    const res = await call("HEAD", "/api/v1/recordings/R1/audio", secrets.admin, { range: "bytes=10-19" });
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers["content-length"], "10");
    assert.equal(res.rawPayload.length, 0);
  });

  test("only admins delete; deleting removes the file and the row; a recording in progress is 409", async () => {
    const file = join(dir, "2026/01/05/C-R3.wav");
    const refused = await call("DELETE", "/api/v1/recordings/R1", secrets.alice);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, "RECORDING_FORBIDDEN");
    assert.ok(await store.get("R1"), "a refused delete leaves the row");

    assert.equal((await call("DELETE", "/api/v1/recordings/R4", secrets.admin)).statusCode, 409);
    assert.ok(existsSync(join(dir, "2026/01/05/C-R4.wav")));

    assert.ok(existsSync(file));
    assert.equal((await call("DELETE", "/api/v1/recordings/R3", secrets.admin)).statusCode, 204);
    assert.equal(existsSync(file), false, "the file is gone");
    assert.equal(await store.get("R3"), undefined, "the row is gone");
    assert.equal((await call("GET", "/api/v1/recordings/R3", secrets.admin)).statusCode, 404);
    assert.equal((await call("DELETE", "/api/v1/recordings/R3", secrets.admin)).statusCode, 404);
  });

  test("every access is audited, refused ones too, and only admins read the audit log", async () => {
    await addRecording("R5", { owners: [`1002@${DOMAIN}`] });
    const steps: Array<[string, "GET" | "DELETE", string, number]> = [
      [secrets.alice, "GET", "/api/v1/recordings/R5", 403],
      [secrets.alice, "GET", "/api/v1/recordings/R5/audio", 403],
      [secrets.bob, "GET", "/api/v1/recordings/R5", 200],
      [secrets.bob, "GET", "/api/v1/recordings/R5/audio", 200],
      [secrets.bob, "DELETE", "/api/v1/recordings/R5", 403],
      [secrets.admin, "DELETE", "/api/v1/recordings/R5", 204],
      [secrets.bob, "GET", "/api/v1/recordings/R5", 404],
    ];
    for (const [token, method, url, status] of steps) {
      assert.equal((await call(method, url, token)).statusCode, status, `${method} ${url}`);
    }
    const log = await call("GET", "/api/v1/recordings/audit?recording=R5", secrets.admin);
    assert.equal(log.statusCode, 200, log.body);
    const entries = log.json().entries as Array<Record<string, string>>;
    assert.deepEqual(
      entries.reverse().map((e) => [e.tokenName, e.actor, e.action, e.recordingId, e.outcome]),
      [
        ["alice", `1001@${DOMAIN}`, "get", "R5", "forbidden"],
        ["alice", `1001@${DOMAIN}`, "download", "R5", "forbidden"],
        ["bob", `1002@${DOMAIN}`, "get", "R5", "allowed"],
        ["bob", `1002@${DOMAIN}`, "download", "R5", "allowed"],
        ["bob", `1002@${DOMAIN}`, "delete", "R5", "forbidden"],
        ["ops", "admin", "delete", "R5", "allowed"],
        ["bob", `1002@${DOMAIN}`, "get", "R5", "not-found"],
      ],
    );
    assert.match(entries[0]?.at ?? "", /^2026-01-01T/, "stamped by the injected clock");

    const lists = (await audit.list({ actor: `1001@${DOMAIN}`, limit: 1000 })).filter(
      (e) => e.action === "list",
    );
    assert.ok(lists.some((e) => e.outcome === "forbidden" && e.filter?.includes("1002@")));
    assert.ok(lists.every((e) => e.filter !== undefined && e.recordingId === undefined));

    const refused = await call("GET", "/api/v1/recordings/audit", secrets.bob);
    assert.equal(refused.statusCode, 403);
  });

  test("user tokens stay out of admin routes, and no token at all is 401", async () => {
    const users = await call("GET", "/api/v1/users", secrets.alice);
    assert.equal(users.statusCode, 403);
    assert.equal(users.json().error.code, "HTTP_FORBIDDEN");
    assert.equal((await call("GET", "/api/v1/cdrs", secrets.alice)).statusCode, 403);
    const anonymous = await call("GET", "/api/v1/recordings", "");
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers["www-authenticate"], 'Bearer realm="parley"');
  });

  test("a revoked user token is 401, and deleting a user revokes their tokens", async () => {
    const { user } = await f.directory.addUser({ extension: "1004" });
    const { secret } = await f.tokens.issue({ name: "dave", admin: false, user: `1004@${DOMAIN}` });
    assert.equal((await call("GET", "/api/v1/recordings", secret)).statusCode, 200);
    assert.equal((await call("DELETE", `/api/v1/users/${user.id}`, secrets.admin)).statusCode, 204);
    assert.equal((await call("GET", "/api/v1/recordings", secret)).statusCode, 401);
    await f.directory.addUser({ extension: "1004" });
    assert.equal(
      (await call("GET", "/api/v1/recordings", secret)).statusCode,
      401,
      "a new 1004 does not inherit it",
    );
  });

  test("without recordings configured the routes answer 503", async () => {
    const bare = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
    });
    try {
      const res = await bare.inject({
        url: "/api/v1/recordings",
        headers: { authorization: `Bearer ${secrets.admin}` },
      });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error.code, "HTTP_UNAVAILABLE");
    } finally {
      await bare.close();
    }
  });
});
