import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Call, DialTarget, HangupCause } from "../../../src/calls/index.ts";
import { buildHttpServer } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import {
  type ClickCredit,
  type ClickDialer,
  ClickToCallService,
  MemoryMerchantStore,
  type Merchant,
} from "../../../src/services/click-to-call/index.ts";
import { SqlMerchantStore } from "../../../src/storage/index.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const SHOP = "https://shop.example";
const KEY = "pizza-widget-key-0123456789";
const PIZZA: Merchant = {
  id: "pizza",
  name: "Pizza Roma",
  description: "",
  category: "food",
  numbers: [{ label: "Orders", number: "+4930123456" }],
  payer: { kind: "sponsor", accountId: "ads" },
  planId: "standard",
  widgetOrigins: [SHOP, "http://127.0.0.1:8081"],
  widgetKey: KEY,
  active: true,
};

/** A dialer that records what click-to-call would have dialled, and never dials. */
class RecordingDialer implements ClickDialer {
  readonly dialled: Array<{ target: DialTarget; fail: (cause: HangupCause) => void }> = [];

  originate(target: DialTarget, options: { onFailed?: (cause: HangupCause) => void }): Call {
    this.dialled.push({ target, fail: (cause) => options.onFailed?.(cause) });
    return { id: `call-${this.dialled.length}` } as unknown as Call;
  }
}

const credit: ClickCredit = {
  plan: async () => ({ currency: "EUR" }),
  check: async () => ({ allowed: true, maxSeconds: 600 }),
  reserve: async () => ({ amount: 100 }),
  settle: async () => ({ amount: -10 }),
  release: async () => undefined,
};

describe("click-to-call widget", () => {
  let f: DirectoryFixture;
  let app: FastifyInstance;
  let clock: FakeClock;
  let merchants: MemoryMerchantStore;
  let dialer: RecordingDialer;
  let service: ClickToCallService;

  beforeEach(async () => {
    f ??= await openFixture("sqlite::memory:");
    clock = new FakeClock();
    merchants = new MemoryMerchantStore();
    await merchants.save(PIZZA);
    await merchants.save({
      ...PIZZA,
      id: "members-pay",
      widgetKey: "members-pay-key-0123456789",
      payer: { kind: "member" },
    });
    await merchants.save({ ...PIZZA, id: "closed", widgetKey: "closed-key-0123456789", active: false });
    await merchants.save({ ...PIZZA, id: "no-widget", widgetKey: undefined });
    dialer = new RecordingDialer();
    service = new ClickToCallService({
      merchants,
      credit,
      dialer,
      findMember: async () => undefined,
      memberAccount: (user) => `member:${user}`,
      memberRingSeconds: 30,
      merchantRingSeconds: 30,
      maxCallSeconds: 3600,
      warningSeconds: 60,
      clock,
      logger: silentLogger(),
    });
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
      widget: { clock, merchants, clickToCall: () => service },
    });
  });
  afterEach(async () => {
    await app.close();
  });
  after(async () => {
    await f.database.close();
  });

  const post = (
    payload: Record<string, unknown>,
    headers: Record<string, string> = { origin: SHOP },
    remoteAddress = "198.51.100.7",
  ) =>
    app.inject({
      method: "POST",
      url: `/widget/calls?key=${encodeURIComponent(String(payload.key ?? KEY))}`,
      payload,
      headers: { "content-type": "application/json", ...headers },
      remoteAddress,
    });
  const order = (memberNumber = "+4917012345", key = KEY) => ({ key, memberNumber, numberIndex: 0 });

  test("GET /widget/parley-call.js serves the script as JavaScript, cacheable for an hour and revalidated by ETag", async () => {
    const res = await app.inject({ method: "GET", url: "/widget/parley-call.js" });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(res.headers["cache-control"], "public, max-age=3600");
    assert.equal(res.headers["x-content-type-options"], "nosniff");
    assert.equal(res.headers["cross-origin-resource-policy"], "cross-origin");
    assert.match(res.body, /dataset\.merchantKey/);
    assert.match(res.body, /\/widget\/calls/);
    assert.doesNotMatch(
      res.body,
      /innerHTML|insertAdjacentHTML|document\.write/,
      "no text is parsed as HTML",
    );
    const again = await app.inject({
      method: "GET",
      url: "/widget/parley-call.js",
      headers: { "if-none-match": String(res.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
  });

  test("POST /widget/calls from a listed origin places the call with no member and allows exactly that origin", async () => {
    const res = await post(order("+49 170 12345"));
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers["access-control-allow-origin"], SHOP);
    assert.match(String(res.headers.vary), /Origin/);
    const body = res.json();
    assert.equal(res.headers.location, `/widget/calls/${body.id}`);
    assert.equal(body.step, "calling-member");
    assert.equal(body.final, false);
    assert.equal(body.status, "Calling you now: please answer your phone.");
    assert.doesNotMatch(res.body, /ads|sponsor|maxSeconds/, "the payer stays the merchant's business");
    assert.deepEqual(
      dialer.dialled.map((d) => d.target),
      [{ kind: "number", number: "+4917012345" }],
    );
    assert.equal(service.get(body.id)?.member, undefined);
  });

  test("POST /widget/calls from an origin not listed, with no Origin or with Origin null is 403 without CORS headers, and nothing is dialled", async () => {
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: "https://shop.example:8443" },
      { origin: "http://shop.example" },
      {},
      { origin: "null" },
    ]) {
      const res = await post(order(), headers as Record<string, string>);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.equal(res.json().error.code, "WIDGET_ORIGIN");
      assert.equal(res.headers["access-control-allow-origin"], undefined);
    }
    assert.equal(dialer.dialled.length, 0);
  });

  test("the CORS preflight is answered for listed origins only", async () => {
    const preflight = (origin: string, key = KEY) =>
      app.inject({
        method: "OPTIONS",
        url: `/widget/calls?key=${key}`,
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    const ok = await preflight(SHOP);
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers["access-control-allow-origin"], SHOP);
    assert.equal(ok.headers["access-control-allow-methods"], "POST");
    assert.equal(ok.headers["access-control-allow-headers"], "content-type");
    const other = await preflight("https://evil.example");
    assert.equal(other.statusCode, 403);
    assert.equal(other.headers["access-control-allow-origin"], undefined);
    assert.equal(other.headers["access-control-allow-methods"], undefined);
    const unknown = await preflight(SHOP, "no-such-key-0123456789");
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.headers["access-control-allow-origin"], undefined);
  });

  test("an unknown key, an inactive merchant's key or no key is 404 and nothing is dialled", async () => {
    for (const key of ["no-such-key-0123456789", "closed-key-0123456789", ""]) {
      const res = await post(order("+4917012345", key));
      assert.equal(res.statusCode, 404, key);
      assert.equal(res.json().error.code, "WIDGET_KEY");
    }
    assert.equal(dialer.dialled.length, 0);
  });

  test("a merchant whose calls members pay is refused with a clear message, readable by the page, and nothing is dialled", async () => {
    const res = await post(order("+4917012345", "members-pay-key-0123456789"));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, "CLICK_PAYER");
    assert.match(res.json().error.message, /paid by members/);
    assert.equal(res.headers["access-control-allow-origin"], SHOP);
    assert.equal(dialer.dialled.length, 0);
  });

  test("a number that is neither E.164 nor an extension, or a merchant number that does not exist, is 400", async () => {
    for (const payload of [
      order("0170 12345 678 9999"),
      order("+0123456789"),
      order("1"),
      { key: KEY, memberNumber: "+4917012345", numberIndex: 3 },
      { key: KEY, memberNumber: "+4917012345", numberIndex: -1 },
      { key: KEY },
    ]) {
      const res = await post(payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, "WIDGET_INVALID");
      assert.equal(res.headers["access-control-allow-origin"], SHOP);
    }
    assert.equal(dialer.dialled.length, 0);
  });

  test("a source address may request 5 calls in 10 minutes; the 6th is 429 with Retry-After until the first leaves the window", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await post(order(`+49170123450${i}`));
      assert.equal(res.statusCode, 201, res.body);
      clock.advance(60_000);
    }
    const sixth = await post(order("+4917012349"));
    assert.equal(sixth.statusCode, 429);
    assert.equal(sixth.json().error.code, "WIDGET_LIMIT");
    assert.match(sixth.json().error.message, /your network/);
    assert.equal(sixth.headers["retry-after"], "300");
    assert.equal(sixth.headers["access-control-allow-origin"], SHOP);
    const elsewhere = await post(order("+4917012349"), { origin: SHOP }, "203.0.113.50");
    assert.equal(elsewhere.statusCode, 201, "another address has its own count");
    clock.advance(300_000);
    assert.equal((await post(order("+4917012348"))).statusCode, 201, "the first call left the window");
    assert.equal(dialer.dialled.length, 7);
  });

  test("one phone number may be called 3 times in 10 minutes from any addresses; the 4th is 429", async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await post(order(), { origin: SHOP }, `192.0.2.${i}`)).statusCode, 201);
    const fourth = await post(order("+49 170 12345"), { origin: SHOP }, "192.0.2.99");
    assert.equal(fourth.statusCode, 429);
    assert.match(fourth.json().error.message, /this number/);
    assert.equal(fourth.headers["retry-after"], "600");
    assert.equal((await post(order("+4917099999"), { origin: SHOP }, "192.0.2.99")).statusCode, 201);
    clock.advance(600_000);
    assert.equal((await post(order(), { origin: SHOP }, "192.0.2.98")).statusCode, 201);
    assert.equal(dialer.dialled.length, 5);
  });

  test("the limits come from the plugin options", async () => {
    await app.close();
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
      widget: {
        clock,
        merchants,
        clickToCall: () => service,
        perAddress: { calls: 1, windowSeconds: 30 },
        perNumber: { calls: 10, windowSeconds: 30 },
      },
    });
    assert.equal((await post(order())).statusCode, 201);
    assert.equal((await post(order())).statusCode, 429);
    clock.advance(30_000);
    assert.equal((await post(order())).statusCode, 201);
  });

  test("GET /widget/calls/:id shows the call's steps to its merchant's origins only; the event stream ends at the final step", async () => {
    const placed = (await post(order())).json();
    const get = (url: string, headers: Record<string, string> = { origin: SHOP }) =>
      app.inject({ method: "GET", url, headers });
    const status = await get(`/widget/calls/${placed.id}?key=${KEY}`);
    assert.equal(status.statusCode, 200);
    assert.equal(status.headers["access-control-allow-origin"], SHOP);
    assert.equal(status.headers["cache-control"], "no-store");
    assert.deepEqual(
      status.json().steps.map((s: { step: string }) => s.step),
      ["checking", "calling-member"],
    );
    assert.equal(
      (await get(`/widget/calls/${placed.id}?key=${KEY}`, { origin: "https://evil.example" })).statusCode,
      403,
    );
    assert.equal((await get(`/widget/calls/${placed.id}?key=${KEY}`, {})).statusCode, 403);
    const otherKey = await get(`/widget/calls/${placed.id}?key=members-pay-key-0123456789`);
    assert.equal(otherKey.statusCode, 404, "another merchant's key does not reach this call");

    dialer.dialled[0]?.fail("NO_ANSWER");
    const events = await get(`/widget/calls/${placed.id}/events?key=${KEY}`);
    assert.equal(events.statusCode, 200);
    assert.equal(events.headers["content-type"], "text/event-stream; charset=utf-8");
    assert.equal(events.headers["access-control-allow-origin"], SHOP);
    const steps = events.body
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)));
    assert.deepEqual(
      steps.map((s) => [s.step, s.final]),
      [
        ["checking", false],
        ["calling-member", false],
        ["failed", true],
      ],
    );
    assert.match(steps[2].status, /did not answer/);
    const refused = await get(`/widget/calls/${placed.id}/events?key=${KEY}`, {
      origin: "https://evil.example",
    });
    assert.equal(refused.statusCode, 403);
  });

  test("without the widget option there are no /widget routes", async () => {
    await app.close();
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
    });
    assert.equal((await app.inject({ method: "GET", url: "/widget/parley-call.js" })).statusCode, 404);
  });
});

test("merchants are found by widget key in memory and in SQL, active ones only", async () => {
  const f = await openFixture("sqlite::memory:");
  try {
    for (const store of [new MemoryMerchantStore(), new SqlMerchantStore(f.database.db)]) {
      await store.save(PIZZA);
      await store.save({ ...PIZZA, id: "closed", widgetKey: "closed-key-0123456789", active: false });
      await store.save({ ...PIZZA, id: "plain", widgetKey: undefined });
      assert.equal((await store.byWidgetKey(KEY))?.id, "pizza");
      assert.equal(await store.byWidgetKey("closed-key-0123456789"), undefined);
      assert.equal(await store.byWidgetKey("unknown"), undefined);
      assert.equal(await store.byWidgetKey(""), undefined);
    }
  } finally {
    await f.database.close();
  }
});
