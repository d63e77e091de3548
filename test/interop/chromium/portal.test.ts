import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM_HOW_TO_GET, CHROMIUM_PATH, HAS_CHROMIUM } from "../../support/chromium.ts";
import { missingPeer } from "../../support/peers.ts";
import {
  ALICE,
  FakeRefusal,
  type PortalFixture,
  portalFixture,
} from "../../unit/http/portal/portal-fixture.ts";

/**
 * The click-to-call portal in a real browser (Debian's Chromium, headless): the pages, the forms,
 * the CSRF tokens, the cookie and the status page's event stream as a member meets them. The
 * click-to-call service is a fake the test drives step by step; the node's own wiring gets its
 * end-to-end test once node/ builds the portal.
 */
describe("portal in Chromium", () => {
  let browser: Browser | undefined;

  before(async () => {
    if (!HAS_CHROMIUM) return;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });
  after(async () => {
    await browser?.close();
  });

  /** A fresh portal listening on a free loopback port, and a fresh browser context (no cookies). */
  const open = async (t: { after: (fn: () => Promise<void>) => void }) => {
    const f: PortalFixture = await portalFixture();
    await f.app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    t.after(async () => {
      await context.close();
      await f.close();
    });
    return { f, base, page };
  };

  const logIn = async (page: Page, base: string, password: string) => {
    await page.goto(`${base}/login`);
    // By keyboard: type the account, Tab to the password, Enter submits.
    await page.getByLabel("Account").focus();
    await page.keyboard.type(ALICE.extension);
    await page.keyboard.press("Tab");
    await page.keyboard.type(password);
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login"),
      page.keyboard.press("Enter"),
    ]);
    await page.waitForLoadState();
  };

  test("a member logs in, opens a merchant, confirms another number, and follows the call to connected and ended with duration and cost", async (t) => {
    if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
    const { f, base, page } = await open(t);

    await logIn(page, base, ALICE.password);
    await page.waitForURL(`${base}/merchants`);
    assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Merchants");
    const cookie = (await page.context().cookies()).find((c) => c.name === "parley_session");
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, "Lax");

    // Search narrows the directory; the merchant named <script> shows as text.
    await page.getByLabel("Search").fill("pizza");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/q=pizza/);
    assert.equal(await page.getByRole("heading", { level: 2 }).count(), 1);
    await page.goto(`${base}/merchants`);
    assert.equal(await page.getByRole("heading", { name: "<script>alert(1)</script>" }).count(), 1);

    await page.getByRole("link", { name: "Pizza Roma" }).click();
    await page.waitForURL(`${base}/merchants/pizza`);
    await page.getByRole("link", { name: "Call Pizza Roma Orders" }).click();
    await page.waitForURL(`${base}/call/pizza/0`);

    const own = page.getByLabel("Your phone number");
    assert.equal(await own.inputValue(), ALICE.extension, "the member's own number is pre-filled");
    await own.fill("1002");
    await page.getByRole("button", { name: "Call me now" }).click();
    await page.waitForURL(/\/calls\/K\d+$/);
    const id = new URL(page.url()).pathname.split("/").pop() as string;
    assert.deepEqual(f.clickToCall.requests, [
      { member: "1001@pbx.example.com", memberNumber: "1002", merchantId: "pizza", numberIndex: 0 },
    ]);

    // The status page's script listens to the event stream; the steps appear as they happen.
    await f.clickToCall.watched();
    f.clickToCall.step(id, "calling-member", "Calling you at 1002");
    await page.locator('#steps li[data-step="calling-member"]').waitFor();
    f.clickToCall.step(id, "member-answered", "You answered");
    f.clickToCall.step(id, "calling-merchant", "Calling Pizza Roma");
    f.clickToCall.step(id, "connected", "You are connected to Pizza Roma");
    await page.locator('#steps li[data-step="connected"]').waitFor();
    assert.equal(await page.locator("#call-outcome").textContent(), "");
    f.clickToCall.step(id, "warning", "60 s of paid time left");
    await page.locator('#steps li[data-step="warning"]').getByText("Time almost up").waitFor();
    f.clickToCall.step(id, "ended", "The call ended", { durationSeconds: 65, cost: 30, currency: "EUR" });
    await page.locator('#steps li[data-step="ended"]').waitFor();
    await page.getByText("Duration 1 min 5 s, cost €0.30.").waitFor();
    assert.deepEqual(
      await page.locator("#steps li").evaluateAll((items) => items.map((li) => li.getAttribute("data-step"))),
      ["checking", "calling-member", "member-answered", "calling-merchant", "connected", "warning", "ended"],
    );
    assert.equal(await page.locator("#steps li .step").nth(1).textContent(), "Calling you");
    assert.equal(f.clickToCall.listenerCount("progress"), 0, "the stream ended with the call");

    // Logging out from the header ends the session.
    await page.getByRole("button", { name: /Log out/ }).click();
    await page.waitForURL(`${base}/login`);
    await page.goto(`${base}/account`);
    await page.waitForURL(/\/login\?next=%2Faccount$/);
  });

  test("a zero balance shows the service's message on the confirm page and places no call", async (t) => {
    if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
    const { f, base, page } = await open(t);
    f.clickToCall.refusal = new FakeRefusal("CLICK_BALANCE", "Your balance is too low to place this call.");
    await logIn(page, base, ALICE.password);
    await page.waitForURL(`${base}/merchants`);
    await page.goto(`${base}/call/garage/0`);
    await page.getByRole("button", { name: "Call me now" }).click();
    await page.getByRole("alert").getByText("Your balance is too low to place this call.").waitFor();
    assert.equal(new URL(page.url()).pathname, "/calls");
    assert.equal(f.clickToCall.requests.length, 0);
  });

  test("a wrong password five times brings the rate-limit message", async (t) => {
    if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
    const { base, page } = await open(t);
    for (let attempt = 1; attempt <= 4; attempt++) {
      await logIn(page, base, `wrong-${attempt}`);
      await page.getByText("The account or password is not right.").waitFor();
    }
    await logIn(page, base, "wrong-5");
    await page.getByText("Too many attempts, try again later.").waitFor();
    // The right password is refused too now.
    await logIn(page, base, ALICE.password);
    await page.getByText("Too many attempts, try again later.").waitFor();
    assert.equal(new URL(page.url()).pathname, "/login");
  });
});
