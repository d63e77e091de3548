import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildHttpServer } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";

describe("REST API", () => {
  let f: DirectoryFixture;
  let app: FastifyInstance;
  let admin: string;
  let ready = true;

  before(async () => {
    f = await openFixture("sqlite::memory:");
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      registrations: {
        now: () => Date.UTC(2026, 0, 1),
        registrations: () => [
          {
            aor: "sip:1001@pbx.example.com",
            contact: "sip:1001@10.0.0.5:5060",
            q: 1,
            expiresAt: Date.UTC(2026, 0, 1) + 90_000,
            callId: "c",
            cseq: 2,
            source: { protocol: "udp", address: "203.0.113.9", port: 40000 },
            path: [],
            userAgent: "baresip",
            registeredAt: Date.UTC(2026, 0, 1),
          },
        ],
      },
      ready: async () => {
        if (!ready) throw new Error("database unreachable");
        await f.database.ping();
      },
    });
    admin = (await f.tokens.issue({ name: "test", admin: true })).secret;
  });
  after(async () => {
    await app.close();
    await f.database.close();
  });

  const call = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: object, token = admin) =>
    app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });

  test("/api/v1 answers 401 with the JSON error shape and a Bearer challenge when no token is sent", async () => {
    const res = await call("GET", "/api/v1/users", undefined, "");
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers["www-authenticate"], 'Bearer realm="parley"');
    assert.deepEqual(res.json(), { error: { code: "HTTP_UNAUTHORIZED", message: "missing bearer token" } });
    const wrong = await call(
      "GET",
      "/api/v1/users",
      undefined,
      "parley_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, "HTTP_UNAUTHORIZED");
  });

  test("a user's life cycle: create, read, list, change, delete", async () => {
    const created = await call("POST", "/api/v1/users", {
      extension: "1001",
      displayName: "Alice",
      password: "s3cret-pw",
      phoneNumbers: ["+15551230001"],
      features: { recording: true },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { user } = created.json();
    assert.equal(created.headers.location, `/api/v1/users/${user.id}`);
    assert.equal(created.json().password, undefined, "a given password is not echoed");
    assert.equal(user.features.recording, true);

    assert.equal((await call("GET", `/api/v1/users/${user.id}`)).json().displayName, "Alice");
    const list = (await call("GET", "/api/v1/users?limit=10")).json();
    assert.ok(list.users.some((u: { id: string }) => u.id === user.id));
    assert.equal(typeof list.total, "number");

    const patched = await call("PATCH", `/api/v1/users/${user.id}`, {
      displayName: "Alice B.",
      features: { voicemail: true },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().displayName, "Alice B.");
    assert.deepEqual(patched.json().features, {
      recording: true,
      voicemail: true,
      backgroundCall: false,
      clickToCall: false,
    });

    assert.equal((await call("DELETE", `/api/v1/users/${user.id}`)).statusCode, 204);
    const gone = await call("GET", `/api/v1/users/${user.id}`);
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().error.code, "DIRECTORY_USER_NOT_FOUND");
  });

  test("creating a user without a password returns the generated one once", async () => {
    const res = await call("POST", "/api/v1/users", { extension: "1002" });
    assert.equal(res.statusCode, 201);
    assert.match(res.json().password, /^[A-Za-z0-9_-]{16}$/);
    assert.equal((await call("GET", `/api/v1/users/${res.json().user.id}`)).json().password, undefined);
  });

  test("bad input gets 400 with a code and says which field is wrong", async () => {
    const noExtension = await call("POST", "/api/v1/users", { displayName: "x" });
    assert.equal(noExtension.statusCode, 400);
    assert.equal(noExtension.json().error.code, "HTTP_VALIDATION");
    assert.match(noExtension.json().error.message, /extension/);
    const badNumber = await call("POST", "/api/v1/users", { extension: "1003", phoneNumbers: ["555"] });
    assert.equal(badNumber.statusCode, 400);
    assert.match(badNumber.json().error.message, /phoneNumbers/);
    const extra = await call("POST", "/api/v1/users", { extension: "1003", admin: true });
    assert.equal(extra.statusCode, 400);
    const notJson = await app.inject({
      method: "POST",
      url: "/api/v1/users",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      payload: "{not json",
    });
    assert.equal(notJson.statusCode, 400);
    assert.ok(notJson.json().error.code, "malformed JSON also gets the error shape");
  });

  test("duplicates are 409 with the directory's code", async () => {
    await call("POST", "/api/v1/users", { extension: "1010", phoneNumbers: ["+15551239999"] });
    const dupExt = await call("POST", "/api/v1/users", { extension: "1010" });
    assert.equal(dupExt.statusCode, 409);
    assert.equal(dupExt.json().error.code, "DIRECTORY_DUPLICATE_EXTENSION");
    const dupNumber = await call("POST", "/api/v1/users", {
      extension: "1011",
      phoneNumbers: ["+15551239999"],
    });
    assert.equal(dupNumber.statusCode, 409);
    assert.equal(dupNumber.json().error.code, "DIRECTORY_DUPLICATE_NUMBER");
  });

  test("domains can be listed and created; users can be filtered by domain", async () => {
    const created = await call("POST", "/api/v1/domains", { name: "tenant.example.com" });
    assert.equal(created.statusCode, 201, created.body);
    await call("POST", "/api/v1/users", { extension: "1001", domain: "tenant.example.com" });
    const names = (await call("GET", "/api/v1/domains")).json().domains.map((d: { name: string }) => d.name);
    assert.deepEqual(names, ["pbx.example.com", "tenant.example.com"]);
    const tenantUsers = (await call("GET", "/api/v1/users?domain=tenant.example.com")).json();
    assert.equal(tenantUsers.total, 1);
    assert.equal(
      (await call("GET", "/api/v1/users?domain=nowhere.example")).json().error.code,
      "DIRECTORY_UNKNOWN_DOMAIN",
    );
  });

  test("/api/v1/registrations lists the registrar's bindings with the observed source and time left", async () => {
    const res = await call("GET", "/api/v1/registrations");
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      registrations: [
        {
          aor: "sip:1001@pbx.example.com",
          contact: "sip:1001@10.0.0.5:5060",
          q: 1,
          expiresAt: "2026-01-01T00:01:30.000Z",
          expiresIn: 90,
          source: { protocol: "udp", address: "203.0.113.9", port: 40000 },
          path: [],
          userAgent: "baresip",
        },
      ],
    });
    assert.deepEqual((await call("GET", "/api/v1/registrations?aor=sip:2@x")).json(), { registrations: [] });
    assert.equal((await call("GET", "/api/v1/registrations", undefined, "")).statusCode, 401);
  });

  test("unknown routes get 404 in the JSON error shape", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/nothing-here" });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, "HTTP_NOT_FOUND");
  });

  test("/healthz is 200; /readyz is 200 when the database answers and 503 when it does not", async () => {
    assert.deepEqual((await app.inject({ url: "/healthz" })).json(), { status: "ok" });
    assert.equal((await app.inject({ url: "/readyz" })).statusCode, 200);
    ready = false;
    const down = await app.inject({ url: "/readyz" });
    ready = true;
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().error.code, "HTTP_UNAVAILABLE");
  });

  test("responses carry a request id, and an incoming X-Request-Id is kept", async () => {
    const own = await app.inject({ url: "/healthz", headers: { "x-request-id": "lb-1234" } });
    assert.equal(own.headers["x-request-id"], "lb-1234");
    const generated = await app.inject({
      url: "/healthz",
      headers: { "x-request-id": "bad id with spaces" },
    });
    assert.match(String(generated.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
  });

  test("/metrics exposes process metrics and counts HTTP requests by route pattern", async () => {
    await call("GET", "/api/v1/users");
    const text = (await app.inject({ url: "/metrics" })).body;
    assert.match(text, /^parley_process_cpu_user_seconds_total /m);
    assert.match(
      text,
      /parley_http_requests_total\{method="GET",route="\/api\/v1\/users",status_code="200"\} \d+/,
    );
    assert.match(text, /parley_http_request_duration_seconds_bucket\{/);
  });

  test("the OpenAPI document lists every /api/v1 route with bearer security", async () => {
    const doc = (await app.inject({ url: "/api/docs/json" })).json();
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      "/api/v1/accounts",
      "/api/v1/accounts/{id}",
      "/api/v1/accounts/{id}/top-ups",
      "/api/v1/background-calls",
      "/api/v1/background-calls/{id}",
      "/api/v1/background-calls/{id}/events",
      "/api/v1/calls",
      "/api/v1/calls/{id}",
      "/api/v1/calls/{id}/events",
      "/api/v1/calls/{id}/recording",
      "/api/v1/cdrs",
      "/api/v1/cdrs.csv",
      "/api/v1/cdrs/{id}",
      "/api/v1/click-to-call",
      "/api/v1/click-to-call/{id}",
      "/api/v1/click-to-call/{id}/events",
      "/api/v1/domains",
      "/api/v1/emergency-audit",
      "/api/v1/emergency-calls",
      "/api/v1/emergency-calls/{callId}",
      "/api/v1/emergency-calls/{callId}/audit",
      "/api/v1/emergency-calls/{callId}/participants",
      "/api/v1/emergency-calls/{callId}/participants/{partyId}",
      "/api/v1/emergency-numbers",
      "/api/v1/emergency-numbers/{number}",
      "/api/v1/merchants",
      "/api/v1/merchants/{id}",
      "/api/v1/rate-plans/{id}",
      "/api/v1/recordings",
      "/api/v1/recordings/audit",
      "/api/v1/recordings/events",
      "/api/v1/recordings/{id}",
      "/api/v1/recordings/{id}/audio",
      "/api/v1/registrations",
      "/api/v1/ringback-library",
      "/api/v1/signatures/{id}",
      "/api/v1/users",
      "/api/v1/users/{id}",
      "/api/v1/users/{id}/background-call-blocks",
      "/api/v1/users/{id}/background-call-blocks/{who}",
      "/api/v1/users/{id}/recording",
      "/api/v1/users/{id}/ringback",
      "/api/v1/users/{id}/ringback/library",
      "/api/v1/users/{id}/signature",
      "/api/v1/users/{id}/voicemail",
      "/api/v1/users/{id}/voicemail/greeting",
      "/api/v1/users/{id}/voicemail/messages",
      "/api/v1/voicemail/messages",
      "/healthz",
      "/readyz",
    ]);
    assert.deepEqual(doc.paths["/api/v1/users"].post.security, [{ bearerToken: [] }]);
    assert.deepEqual(doc.paths["/api/v1/cdrs.csv"].get.security, [{ bearerToken: [] }]);
    assert.deepEqual(doc.paths["/api/v1/recordings/{id}/audio"].get.security, [{ bearerToken: [] }]);
    assert.ok(doc.paths["/api/v1/recordings/{id}/audio"].get.responses["206"].content["audio/wav"]);
    assert.ok(doc.paths["/api/v1/cdrs.csv"].get.responses["200"].content["text/csv"]);
    assert.ok(
      doc.paths["/api/v1/users"].post.requestBody.content["application/json"].schema.properties.extension,
    );
    const ui = await app.inject({ url: "/api/docs" });
    assert.ok([200, 302].includes(ui.statusCode));
  });
});
