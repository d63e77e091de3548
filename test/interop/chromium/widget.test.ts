import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { BARESIP_HOW_TO_GET, HAS_BARESIP } from "../../support/baresip.ts";
import { CHROMIUM_HOW_TO_GET, CHROMIUM_PATH, HAS_CHROMIUM } from "../../support/chromium.ts";
import { missingPeer } from "../../support/peers.ts";
import { registeredPhones } from "../../support/registered-phones.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { adminApi } from "../../support/voicemail.ts";

const PLAN = {
  name: "standard",
  currency: "EUR",
  rates: [{ prefix: "", perMinuteMicros: 6_000_000, connectionFee: 2, firstIncrement: 1, nextIncrement: 1 }],
};
const KEY = "pizza-roma-widget-2f9c41d7";

/** A merchant's own web site: one page with the widget's script tag pointing at Parley. */
async function merchantSite(parley: string): Promise<{ origin: string; server: Server }> {
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pizza Roma</title></head>
<body><h1>Pizza Roma</h1><p>Leave your number and we call you back.</p>
<script src="${parley}/widget/parley-call.js" data-merchant-key="${KEY}" async></script>
</body></html>`;
  const server = createServer((request, response) => {
    if (request.url !== "/") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test("the widget on a merchant's page from a configured origin calls the visitor's phone, then the merchant's, to connected and ended; from an origin not configured the browser's request is refused and nothing is dialled", async (t) => {
  if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(["1002", "1003"]);
  t.after(() => parley.stop());
  const phones = await registeredPhones(t, parley, [
    { extension: "1002", toneHz: 2000, autoAnswer: true },
    { extension: "1003", toneHz: 1000, autoAnswer: true },
  ]);
  const base = parley.api.replace(/\/api\/v1$/, "");
  const listed = await merchantSite(base);
  const other = await merchantSite(base);
  t.after(() => listed.server.close());
  t.after(() => other.server.close());

  assert.equal((await adminApi(parley, "PUT", "/rate-plans/standard", PLAN)).status, 200);
  const sponsor = { id: "acme-ads", kind: "sponsor", currency: "EUR", owner: "ACME" };
  assert.equal((await adminApi(parley, "POST", "/accounts", sponsor)).status, 201);
  assert.equal((await adminApi(parley, "POST", "/accounts/acme-ads/top-ups", { amount: 500 })).status, 200);
  const saved = await adminApi(parley, "PUT", "/merchants/pizza", {
    id: "pizza",
    name: "Pizza Roma",
    description: "Delivery until midnight",
    category: "food",
    numbers: [{ label: "Orders", number: "1002" }],
    payer: { kind: "sponsor", accountId: "acme-ads" },
    planId: "standard",
    widgetOrigins: [listed.origin],
    widgetKey: KEY,
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal(saved.body?.widgetKey, KEY);

  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  t.after(() => browser.close());

  // From a site the merchant did not configure: the preflight gets no CORS headers, the browser
  // refuses the request, the page says so, and Parley dials nobody.
  const elsewhere = await browser.newPage();
  await elsewhere.goto(`${other.origin}/`);
  await elsewhere.getByLabel("Your phone number").fill("1003");
  await elsewhere.getByRole("button", { name: "Call me" }).click();
  await elsewhere.locator('form.parley-call[data-state="refused"]').waitFor({ timeout: 10_000 });
  assert.match(await elsewhere.getByRole("status").innerText(), /not allowed to place calls/);
  assert.equal(parley.node.sip.calls.calls.length, 0, "no call was placed");
  assert.deepEqual((await adminApi(parley, "GET", "/cdrs")).body?.cdrs, []);
  assert.equal((await adminApi(parley, "GET", "/accounts/acme-ads")).body?.reserved, 0);

  // From the merchant's own site: the visitor types their number, clicks, and follows the call.
  const page = await browser.newPage();
  await page.goto(`${listed.origin}/`);
  await page.getByLabel("Your phone number").fill("1003");
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => r.url().startsWith(`${base}/widget/calls`) && r.request().method() === "POST",
    ),
    page.getByRole("button", { name: "Call me" }).click(),
  ]);
  assert.equal(response.status(), 201);
  assert.equal(response.headers()["access-control-allow-origin"], listed.origin);
  const id = ((await response.json()) as { id: string }).id;
  await page.locator('form.parley-call[data-step="connected"]').waitFor({ timeout: 20_000 });
  assert.equal(await page.getByRole("status").innerText(), "Connected.");
  const connected = (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  assert.equal(connected.step, "connected");
  assert.equal(connected.memberNumber, "1003");
  assert.equal(connected.member, undefined, "a widget caller has no account");
  assert.equal(connected.payerAccount, "acme-ads");

  // The merchant hangs up after a moment of talk; the widget shows the end, and the sponsor pays.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await phones["1002"]?.command("hangup"))?.ok, true);
  await page.locator('form.parley-call[data-step="ended"]').waitFor({ timeout: 15_000 });
  assert.match(await page.getByRole("status").innerText(), /^Call ended after \d+ s\.$/);
  const ended = (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  assert.equal(ended.step, "ended");
  const account = (await adminApi(parley, "GET", "/accounts/acme-ads")).body;
  assert.equal(account?.balance, 500 - (ended.cost as number), "the sponsor paid the call");
});
