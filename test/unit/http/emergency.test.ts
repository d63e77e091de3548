import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildHttpServer } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import {
  type EmergencyAuditEntry,
  type EmergencyNumber,
  EmergencyService,
  MemoryEmergencyAuditLog,
  MemoryEmergencyNumberStore,
} from "../../../src/services/emergency/index.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";

const DOMAIN = "pbx.example.com";
const CONFIG_NUMBER: EmergencyNumber = {
  number: "112",
  label: "Site security",
  users: ["6002"],
  priority: 2,
  record: false,
  announcement: true,
  ringTimeout: 30,
  retries: 1,
  resourcePriority: "esnet.1",
  source: "config",
};
/** The users that exist for the service (its userExists stub). */
const KNOWN_USERS = new Set([`6002@${DOMAIN}`, `6003@${DOMAIN}`, "6004@other.example.com"]);

describe("emergency REST API (/api/v1/emergency-*)", () => {
  let f: DirectoryFixture;
  let app: FastifyInstance;
  let service: EmergencyService | undefined;
  let audit: MemoryEmergencyAuditLog;
  let admin: string;
  let user: string;

  const newService = () => {
    audit = new MemoryEmergencyAuditLog();
    return new EmergencyService({
      store: new MemoryEmergencyNumberStore(),
      configNumbers: [CONFIG_NUMBER],
      audit,
      userExists: async (extension, domain) => KNOWN_USERS.has(`${extension}@${domain}`),
      busyCallee: "preempt",
      preemptionAnnouncement: "call-preempted",
      retryDelaySeconds: 5,
      profiles: [],
      defaultDomain: DOMAIN,
      clock: f.clock,
      logger: silentLogger(),
    });
  };

  before(async () => {
    f = await openFixture("sqlite::memory:");
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
      emergency: () => service,
    });
    admin = (await f.tokens.issue({ name: "ops", admin: true })).secret;
    await f.directory.addUser({ extension: "6002", password: "sip-secret-6002" });
    user = (await f.tokens.issue({ name: "6002", admin: false, user: `6002@${DOMAIN}` })).secret;
  });
  beforeEach(async () => {
    service?.stop();
    service = newService();
    await service.start();
  });
  after(async () => {
    service?.stop();
    await app.close();
    await f.database.close();
  });

  const call = (
    method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE",
    url: string,
    payload?: object,
    token = admin,
  ) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      ...(payload === undefined ? {} : { payload }),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  test("PUT adds a number with the config file's defaults (201 and Location), a second PUT replaces it (200), DELETE removes it", async () => {
    const created = await call("PUT", "/emergency-numbers/5000", { users: ["6002", "6003"] });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers.location, "/api/v1/emergency-numbers/5000");
    assert.deepEqual(created.json(), {
      number: "5000",
      label: "",
      users: ["6002", "6003"],
      priority: 1,
      record: false,
      announcement: true,
      ringTimeout: 30,
      retries: 1,
      resourcePriority: "esnet.0",
      source: "admin",
    });
    assert.deepEqual(service?.number("5000")?.users, ["6002", "6003"], "the service claims it now");

    const replaced = await call("PUT", "/emergency-numbers/5000", {
      label: "Plant security",
      users: ["6004@other.example.com"],
      priority: 9,
      record: true,
      announcement: false,
      ringTimeout: 5,
      retries: 0,
      resourcePriority: "ets.2",
    });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.headers.location, undefined);
    const one = await call("GET", "/emergency-numbers/5000");
    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json(), {
      number: "5000",
      label: "Plant security",
      users: ["6004@other.example.com"],
      priority: 9,
      record: true,
      announcement: false,
      ringTimeout: 5,
      retries: 0,
      resourcePriority: "ets.2",
      source: "admin",
    });

    const list = await call("GET", "/emergency-numbers");
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().emergencyNumbers.map((n: EmergencyNumber) => [n.number, n.source]),
      [
        ["112", "config"],
        ["5000", "admin"],
      ],
    );

    const removed = await call("DELETE", "/emergency-numbers/5000");
    assert.equal(removed.statusCode, 204);
    assert.equal(removed.body, "");
    assert.equal(service?.number("5000"), undefined);
    const gone = await call("GET", "/emergency-numbers/5000");
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().error.code, "EMERGENCY_NOT_FOUND");
  });

  test("a number with * and # travels percent-encoded in the path", async () => {
    const created = await call("PUT", "/emergency-numbers/*99%23", { users: ["6003"] });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().number, "*99#");
    assert.equal(created.headers.location, "/api/v1/emergency-numbers/*99%23");
    assert.equal((await call("GET", "/emergency-numbers/*99%23")).json().number, "*99#");
  });

  test("a bad body or number is 400 HTTP_VALIDATION naming the key, and nothing is saved", async () => {
    const cases: Array<[string, object, RegExp]> = [
      ["5000", { users: ["6002"], priority: 10 }, /priority/],
      ["5000", { users: ["6002"], priority: 0 }, /priority/],
      ["5000", { users: ["6002"], ringTimeout: 4 }, /ringTimeout/],
      ["5000", { users: ["6002"], ringTimeout: 301 }, /ringTimeout/],
      ["5000", { users: ["6002"], retries: 6 }, /retries/],
      ["5000", { users: ["6002"], resourcePriority: "esnet" }, /resourcePriority/],
      ["5000", { users: [] }, /users/],
      ["5000", {}, /users/],
      ["5000", { users: ["60 02"] }, /users/],
      ["5000", { users: ["6002"], record: "sometimes" }, /record/],
      ["5000", { users: ["6002"], colour: "red" }, /colour|additional/],
      ["50a0", { users: ["6002"] }, /number/],
    ];
    for (const [number, body, key] of cases) {
      const res = await call("PUT", `/emergency-numbers/${number}`, body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.code, "HTTP_VALIDATION");
      assert.match(res.json().error.message, key, JSON.stringify(body));
    }
    assert.deepEqual(
      service?.numbers().map((n) => n.number),
      ["112"],
    );
  });

  test("numbers of the config file are read-only: PUT and DELETE are 409 EMERGENCY_CONFLICT and it stays as it was", async () => {
    const put = await call("PUT", "/emergency-numbers/112", { users: ["6003"] });
    assert.equal(put.statusCode, 409, put.body);
    assert.equal(put.json().error.code, "EMERGENCY_CONFLICT");
    assert.match(put.json().error.message, /config file/);
    const del = await call("DELETE", "/emergency-numbers/112");
    assert.equal(del.statusCode, 409);
    assert.equal(del.json().error.code, "EMERGENCY_CONFLICT");
    const still = (await call("GET", "/emergency-numbers/112")).json();
    assert.deepEqual(still.users, ["6002"]);
    assert.equal(still.source, "config");
    assert.equal(still.resourcePriority, "esnet.1");
  });

  test("a bound user who does not exist is 422 EMERGENCY_UNKNOWN_USER naming that user, and nothing is saved", async () => {
    const res = await call("PUT", "/emergency-numbers/5001", { users: ["6002", "6999"] });
    assert.equal(res.statusCode, 422, res.body);
    assert.deepEqual(res.json(), { error: { code: "EMERGENCY_UNKNOWN_USER", message: "no user 6999" } });
    const elsewhere = await call("PUT", "/emergency-numbers/5001", { users: ["6002@other.example.com"] });
    assert.equal(elsewhere.statusCode, 422, "users are checked in their own domain");
    assert.equal((await call("GET", "/emergency-numbers/5001")).statusCode, 404);
  });

  test("unknown numbers and calls are 404 EMERGENCY_NOT_FOUND; no emergency call is in progress without calls", async () => {
    assert.deepEqual((await call("GET", "/emergency-calls")).json(), { emergencyCalls: [] });
    for (const [method, url, body] of [
      ["GET", "/emergency-numbers/999", undefined],
      ["DELETE", "/emergency-numbers/999", undefined],
      ["GET", "/emergency-calls/c-1", undefined],
      ["GET", "/emergency-calls/c-1/audit", undefined],
      ["POST", "/emergency-calls/c-1/participants", { user: "6002" }],
      ["PATCH", "/emergency-calls/c-1/participants/p-1", { muted: true }],
      ["DELETE", "/emergency-calls/c-1/participants/p-1", undefined],
    ] as const) {
      const res = await call(method, url, body);
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, "EMERGENCY_NOT_FOUND", `${method} ${url}`);
    }
  });

  test("call bodies are validated too: PATCH needs a boolean muted, POST a user", async () => {
    const patch = await call("PATCH", "/emergency-calls/c-1/participants/p-1", { muted: "loud" });
    assert.equal(patch.statusCode, 400);
    assert.match(patch.json().error.message, /muted/);
    const post = await call("POST", "/emergency-calls/c-1/participants", { who: "6002" });
    assert.equal(post.statusCode, 400);
    assert.match(post.json().error.message, /user|who/);
  });

  test("a user token is 403 HTTP_FORBIDDEN on every emergency route, no token 401, and nothing changes", async () => {
    for (const [method, url, body] of [
      ["GET", "/emergency-numbers", undefined],
      ["GET", "/emergency-numbers/112", undefined],
      ["PUT", "/emergency-numbers/5000", { users: ["6002"] }],
      ["DELETE", "/emergency-numbers/112", undefined],
      ["GET", "/emergency-calls", undefined],
      ["GET", "/emergency-calls/c-1", undefined],
      ["POST", "/emergency-calls/c-1/participants", { user: "6002" }],
      ["PATCH", "/emergency-calls/c-1/participants/p-1", { muted: true }],
      ["DELETE", "/emergency-calls/c-1/participants/p-1", undefined],
      ["GET", "/emergency-calls/c-1/audit", undefined],
      ["GET", "/emergency-audit", undefined],
    ] as const) {
      const forbidden = await call(method, url, body, user);
      assert.equal(forbidden.statusCode, 403, `${method} ${url}`);
      assert.equal(forbidden.json().error.code, "HTTP_FORBIDDEN");
      const anonymous = await call(method, url, body, "");
      assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
    }
    assert.equal(service?.number("5000"), undefined);
  });

  test("the audit lists steps newest first with ISO times and filters by number, since, before and limit", async () => {
    const t0 = f.clock.now();
    const step = (
      n: number,
      callId: string,
      number: string,
      event: EmergencyAuditEntry["event"],
      party?: string,
    ) =>
      audit.record({
        id: `${String(t0 + n * 1000).padStart(15, "0")}-${n}`,
        at: t0 + n * 1000,
        callId,
        number,
        event,
        ...(party ? { party } : {}),
      });
    await step(0, "call-a", "112", "started", "6001@pbx.example.com");
    await step(1, "call-a", "112", "ringing", "6002");
    await step(2, "call-b", "5000", "started", "6001@pbx.example.com");
    await step(3, "call-a", "112", "answered", "6002");
    await step(4, "call-a", "112", "muted", "6002");
    await step(5, "call-b", "5000", "ended");
    await step(6, "call-a", "112", "kicked", "6002");
    await step(7, "call-a", "112", "ended");

    const all = (await call("GET", "/emergency-audit")).json().entries as Array<Record<string, string>>;
    assert.equal(all.length, 8);
    assert.deepEqual(
      all.map((e) => `${e.callId}:${e.event}`),
      [
        "call-a:ended",
        "call-a:kicked",
        "call-b:ended",
        "call-a:muted",
        "call-a:answered",
        "call-b:started",
        "call-a:ringing",
        "call-a:started",
      ],
    );
    assert.equal(all[7]?.at, new Date(t0).toISOString());
    assert.equal(all[1]?.party, "6002");

    const byNumber = (await call("GET", "/emergency-audit?number=5000")).json().entries;
    assert.deepEqual(
      byNumber.map((e: EmergencyAuditEntry) => e.event),
      ["ended", "started"],
    );
    const since = new Date(t0 + 3000).toISOString();
    const before = new Date(t0 + 6000).toISOString();
    const window = (await call("GET", `/emergency-audit?since=${since}&before=${before}`)).json().entries;
    assert.deepEqual(
      window.map((e: EmergencyAuditEntry) => `${e.callId}:${e.event}`),
      ["call-b:ended", "call-a:muted", "call-a:answered"],
      "since is inclusive, before exclusive",
    );
    const limited = (await call("GET", "/emergency-audit?limit=2")).json().entries;
    assert.deepEqual(
      limited.map((e: EmergencyAuditEntry) => e.event),
      ["ended", "kicked"],
    );
    for (const bad of ["limit=0", "limit=1001", "since=yesterday", "number=abc"]) {
      const res = await call("GET", `/emergency-audit?${bad}`);
      assert.equal(res.statusCode, 400, bad);
      assert.match(res.json().error.message, new RegExp(bad.split("=")[0] as string), bad);
    }

    // One call's steps, oldest first, though the call is over.
    const oneCall = await call("GET", "/emergency-calls/call-a/audit");
    assert.equal(oneCall.statusCode, 200, oneCall.body);
    assert.deepEqual(
      oneCall.json().entries.map((e: EmergencyAuditEntry) => e.event),
      ["started", "ringing", "answered", "muted", "kicked", "ended"],
    );
  });

  test("without the emergency service the routes answer 503 HTTP_UNAVAILABLE", async () => {
    service?.stop();
    service = undefined;
    for (const url of ["/emergency-numbers", "/emergency-calls", "/emergency-audit"]) {
      const res = await call("GET", url);
      assert.equal(res.statusCode, 503, url);
      assert.equal(res.json().error.code, "HTTP_UNAVAILABLE");
    }
  });
});
