import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { MemoryCdrStore } from "../../../src/calls/cdr/index.ts";
import { buildHttpServer, type HttpServerOptions } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import { callRecord, legRecord, T0 } from "../../support/cdr-store-contract.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";

const isoAt = (offset: number) => new Date(T0 + offset).toISOString();

describe("REST API: call detail records", () => {
  let f: DirectoryFixture;
  let app: FastifyInstance;
  let admin: string;
  const cdrs = new MemoryCdrStore();

  const server = (extra: Partial<HttpServerOptions> = {}) =>
    buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
      ...extra,
    });

  before(async () => {
    f = await openFixture("sqlite::memory:");
    admin = (await f.tokens.issue({ name: "test", admin: true })).secret;
    // C1 answered with two legs; C2 busy; C3 in progress; C4 has text that needs CSV quoting.
    await cdrs.openCall(
      callRecord("C1", T0, {
        caller: "1001",
        callee: "1002",
        answeredAt: T0 + 4_000,
        endedAt: T0 + 64_000,
        disposition: "answered",
        cause: "NORMAL_CLEARING",
        sipStatus: 200,
      }),
    );
    await cdrs.openLeg(legRecord("L1", "C1", T0, { direction: "inbound", endedAt: T0 + 64_000 }));
    await cdrs.openLeg(
      legRecord("L2", "C1", T0 + 100, {
        ringingAt: T0 + 1_000,
        answeredAt: T0 + 4_000,
        endedAt: T0 + 64_000,
        disposition: "answered",
        sipStatus: 200,
      }),
    );
    await cdrs.openCall(
      callRecord("C2", T0 + 60_000, {
        to: "tel:+15551234567",
        endedAt: T0 + 62_000,
        disposition: "busy",
        cause: "USER_BUSY",
        sipStatus: 486,
      }),
    );
    await cdrs.openCall(callRecord("C3", T0 + 120_000));
    await cdrs.openCall(
      callRecord("C4", T0 + 180_000, {
        from: 'sip:"Smith, J"@pbx.example.com',
        endedAt: T0 + 181_000,
        disposition: "failed",
        reason: "SIP;cause=503\nretry later",
      }),
    );
    app = await server({ cdrs });
  });
  after(async () => {
    await app.close();
    await f.database.close();
  });

  const get = (url: string, token = admin) =>
    app.inject({ method: "GET", url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  test("every CDR route needs the admin token", async () => {
    for (const url of ["/api/v1/cdrs", "/api/v1/cdrs/C1", "/api/v1/cdrs.csv"]) {
      const res = await get(url, "");
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.json().error.code, "HTTP_UNAUTHORIZED");
    }
  });

  test("GET /api/v1/cdrs lists calls newest first with ISO times and their legs; absent values are left out", async () => {
    const res = await get("/api/v1/cdrs");
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(
      body.cdrs.map((c: { id: string }) => c.id),
      ["C4", "C3", "C2", "C1"],
    );
    assert.equal(body.nextCursor, undefined);
    assert.deepStrictEqual(body.cdrs[3], {
      id: "C1",
      kind: "inbound",
      from: "sip:1001@pbx.example.com",
      to: "sip:1002@pbx.example.com",
      service: "basic",
      caller: "1001",
      callee: "1002",
      startedAt: "2026-01-01T00:00:00.000Z",
      answeredAt: "2026-01-01T00:00:04.000Z",
      endedAt: "2026-01-01T00:01:04.000Z",
      disposition: "answered",
      cause: "NORMAL_CLEARING",
      sipStatus: 200,
      legs: [
        {
          id: "L1",
          direction: "inbound",
          sipCallId: "L1@pbx.example.com",
          from: "sip:1001@pbx.example.com",
          to: "sip:1002@pbx.example.com",
          target: "sip:1002@10.0.0.7:5060",
          startedAt: "2026-01-01T00:00:00.000Z",
          endedAt: "2026-01-01T00:01:04.000Z",
        },
        {
          id: "L2",
          direction: "outbound",
          sipCallId: "L2@pbx.example.com",
          from: "sip:1001@pbx.example.com",
          to: "sip:1002@pbx.example.com",
          target: "sip:1002@10.0.0.7:5060",
          startedAt: "2026-01-01T00:00:00.100Z",
          ringingAt: "2026-01-01T00:00:01.000Z",
          answeredAt: "2026-01-01T00:00:04.000Z",
          endedAt: "2026-01-01T00:01:04.000Z",
          disposition: "answered",
          sipStatus: 200,
        },
      ],
    });
    assert.deepStrictEqual(body.cdrs[1], {
      id: "C3",
      kind: "inbound",
      from: "sip:1001@pbx.example.com",
      to: "sip:1002@pbx.example.com",
      service: "basic",
      startedAt: "2026-01-01T00:02:00.000Z",
      legs: [],
    });
  });

  test("since, before, party and disposition filter the list", async () => {
    const ids = async (query: string) => {
      const res = await get(`/api/v1/cdrs?${query}`);
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      return res.json().cdrs.map((c: { id: string }) => c.id);
    };
    assert.deepEqual(await ids(`since=${isoAt(60_000)}`), ["C4", "C3", "C2"]);
    assert.deepEqual(await ids(`before=${isoAt(120_000)}`), ["C2", "C1"]);
    assert.deepEqual(await ids(`since=${isoAt(60_000)}&before=${isoAt(120_000)}`), ["C2"]);
    assert.deepEqual(await ids(`since=${encodeURIComponent("2026-01-01T01:02:00+01:00")}`), ["C4", "C3"]);
    assert.deepEqual(await ids("party=%2B1555"), ["C2"]);
    assert.deepEqual(await ids("party=smith"), ["C4"]);
    assert.deepEqual(await ids("disposition=busy"), ["C2"]);
    assert.deepEqual(await ids("disposition=interrupted"), []);
  });

  test("bad filters are 400 HTTP_VALIDATION naming the parameter", async () => {
    for (const [query, name] of [
      ["since=yesterday", "since"],
      ["before=2026-01-01", "before"],
      ["disposition=hungup", "disposition"],
      ["limit=0", "limit"],
      ["limit=1001", "limit"],
      ["cursor=not-a-cursor", "cursor"],
      [`cursor=${Buffer.from('["x","C1"]').toString("base64url")}`, "cursor"],
    ] as const) {
      const res = await get(`/api/v1/cdrs?${query}`);
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json().error.code, "HTTP_VALIDATION", query);
      assert.match(res.json().error.message, new RegExp(name), query);
    }
  });

  test("nextCursor pages through every call once and is absent on the last page, also when that page is full", async () => {
    const seen: string[] = [];
    let url = "/api/v1/cdrs?limit=2";
    for (let pages = 1; ; pages++) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, res.body);
      const { cdrs: page, nextCursor } = res.json();
      seen.push(...page.map((c: { id: string }) => c.id));
      if (nextCursor === undefined) {
        assert.equal(pages, 2, "four calls in pages of two: the second, full page is the last");
        break;
      }
      assert.equal(typeof nextCursor, "string");
      assert.ok(pages < 5, "paging ends");
      url = `/api/v1/cdrs?limit=2&cursor=${encodeURIComponent(nextCursor)}`;
    }
    assert.deepEqual(seen, ["C4", "C3", "C2", "C1"]);
    const filtered = await get("/api/v1/cdrs?limit=1&disposition=busy");
    assert.equal(filtered.json().nextCursor, undefined, "the cursor follows the filters");
  });

  test("GET /api/v1/cdrs/{id} returns one record; an unknown id is 404 with the error shape", async () => {
    const res = await get("/api/v1/cdrs/C2");
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().disposition, "busy");
    assert.equal(res.json().sipStatus, 486);
    const missing = await get("/api/v1/cdrs/C404");
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), {
      error: { code: "CDR_NOT_FOUND", message: "no call detail record C404" },
    });
  });

  test("GET /api/v1/cdrs.csv exports a header row and one RFC 4180 row per call, with the same filters", async () => {
    const res = await get("/api/v1/cdrs.csv");
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/csv/);
    const header =
      "id,kind,from,to,caller,callee,service,startedAt,answeredAt,endedAt,disposition,sipStatus,cause,reason,legs,payer,cost,currency,priority,node";
    assert.equal(
      res.body,
      [
        header,
        'C4,inbound,"sip:""Smith, J""@pbx.example.com",sip:1002@pbx.example.com,,,basic,2026-01-01T00:03:00.000Z,,2026-01-01T00:03:01.000Z,failed,,,"SIP;cause=503\nretry later",0,,,,,',
        "C3,inbound,sip:1001@pbx.example.com,sip:1002@pbx.example.com,,,basic,2026-01-01T00:02:00.000Z,,,,,,,0,,,,,",
        "C2,inbound,sip:1001@pbx.example.com,tel:+15551234567,,,basic,2026-01-01T00:01:00.000Z,,2026-01-01T00:01:02.000Z,busy,486,USER_BUSY,,0,,,,,",
        "C1,inbound,sip:1001@pbx.example.com,sip:1002@pbx.example.com,1001,1002,basic,2026-01-01T00:00:00.000Z,2026-01-01T00:00:04.000Z,2026-01-01T00:01:04.000Z,answered,200,NORMAL_CLEARING,,2,,,,,",
        "",
      ].join("\r\n"),
    );
    const busy = await get(`/api/v1/cdrs.csv?disposition=busy&since=${isoAt(0)}`);
    assert.deepEqual(
      busy.body.split("\r\n").map((line) => line.split(",")[0]),
      ["id", "C2", ""],
    );
    const limited = await get("/api/v1/cdrs.csv?limit=1");
    assert.equal(limited.body.split("\r\n").length, 3, "header, one row, and the final CRLF");
    assert.equal((await get("/api/v1/cdrs.csv?since=now")).statusCode, 400);
  });

  test("a CSV export holds every matching call, past the 1000 of one page", async () => {
    const many = new MemoryCdrStore();
    for (let i = 0; i < 2_345; i++) await many.openCall(callRecord(`M${String(i).padStart(4, "0")}`, T0 + i));
    const other = await server({ cdrs: many });
    try {
      const res = await other.inject({
        method: "GET",
        url: "/api/v1/cdrs.csv",
        headers: { authorization: `Bearer ${admin}` },
      });
      const ids = res.body
        .split("\r\n")
        .slice(1, -1)
        .map((line) => line.split(",")[0]);
      assert.equal(ids.length, 2_345);
      assert.equal(new Set(ids).size, 2_345, "no call twice");
      assert.equal(ids[0], "M2344");
      assert.equal(ids.at(-1), "M0000");
    } finally {
      await other.close();
    }
  });

  test("without a CDR store the routes answer from an empty one", async () => {
    const bare = await server();
    try {
      const headers = { authorization: `Bearer ${admin}` };
      const list = await bare.inject({ method: "GET", url: "/api/v1/cdrs", headers });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json(), { cdrs: [] });
      const csv = await bare.inject({ method: "GET", url: "/api/v1/cdrs.csv", headers });
      assert.equal(csv.body.split("\r\n").length, 2, "the header row only");
    } finally {
      await bare.close();
    }
  });
});
