import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_HOW_TO_GET, CHROMIUM_PATH, HAS_CHROMIUM } from "../../support/chromium.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { adminApi } from "../../support/voicemail.ts";

/** Logs in by keyboard: the account, Tab to the password, Enter submits. */
async function logIn(page: Page, base: string, account: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel("Account").focus();
  await page.keyboard.type(account);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL(`${base}/merchants`), page.keyboard.press("Enter")]);
}

test("an admin (from PARLEY_PORTAL_ADMIN_USERS) opens a sponsor account, tops it up by 5.00, creates a rate plan and a merchant the sponsor pays, and logs out; a member then finds the merchant in the directory", async (t) => {
  if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
  const parley = await startSipTestNode(["1001", "1002"], {
    PARLEY_PORTAL_ADMIN_USERS: "1001@parley.test",
  });
  t.after(() => parley.stop());
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  t.after(() => browser.close());
  const base = parley.api.replace(/\/api\/v1$/, "");
  const page = await (await browser.newContext()).newPage();

  await logIn(page, base, "1001", "web-1001");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.waitForURL(`${base}/admin`);
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Accounts" }).click();

  // A sponsor account, then a top-up of 5.00 EUR with the reference the form suggests.
  await page.getByLabel("Account id").fill("acme-ads");
  await page.getByLabel("Kind").selectOption("sponsor");
  await page.getByLabel("Currency").fill("EUR");
  await page.getByLabel("Owner").fill("Acme Ads");
  await page.getByRole("button", { name: "Open account" }).click();
  await page.waitForURL(`${base}/admin/accounts/acme-ads`);
  await page.getByLabel("Amount (EUR)").fill("5.00");
  assert.match(await page.getByLabel("Reference").inputValue(), /^portal-/);
  await page.getByLabel("Reference").fill("invoice-77");
  await page.getByRole("button", { name: "Top up" }).click();
  await page.locator("#top-up-notice").getByText("Topped up €5.00: ledger entry 1.").waitFor();
  assert.equal(await page.locator("#balance").textContent(), "€5.00");
  const account = (await adminApi(parley, "GET", "/accounts/acme-ads")).body;
  assert.deepEqual([account?.kind, account?.balance, account?.currency], ["sponsor", 500, "EUR"]);

  // A rate plan: 0.5 cent a minute by default, 1.25 cents to +44, billed per minute.
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Rate plans" }).click();
  await page.getByRole("link", { name: "New rate plan" }).click();
  await page.getByLabel("Plan id").fill("standard");
  await page.getByLabel("Name").fill("Standard");
  await page.getByLabel("Currency").fill("EUR");
  await page.getByLabel("Price per minute 1 (minor units)").fill("0.5");
  await page.getByLabel("Connection fee 1 (minor units)").fill("0");
  await page.getByLabel("First increment 1 (s)").fill("60");
  await page.getByLabel("Next increments 1 (s)").fill("60");
  await page.getByLabel("Prefix 2").fill("44");
  await page.getByLabel("Price per minute 2 (minor units)").fill("1.25");
  await page.getByLabel("First increment 2 (s)").fill("60");
  await page.getByRole("button", { name: "Save rate plan" }).click();
  await page.waitForURL(`${base}/admin/rate-plans/standard?saved=1`);
  assert.equal(await page.getByLabel("Price per minute 2 (minor units)").inputValue(), "1.25");

  // A merchant the sponsor pays for, rated by that plan.
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Merchants" }).click();
  await page.getByRole("link", { name: "New merchant" }).click();
  await page.getByLabel("Merchant id").fill("bikes");
  await page.getByLabel("Name").fill("Bike Shop");
  await page.getByLabel("Description").fill("Repairs while you wait");
  await page.getByLabel("Category").fill("Sport");
  await page.getByLabel("Label 1").fill("Shop");
  await page.getByLabel("Number 1").fill("1002");
  await page.getByLabel("A sponsor (its account below)").check();
  await page.getByLabel("Payer account (merchant or sponsor)").fill("acme-ads");
  await page.getByLabel("Rate plan").selectOption("standard");
  assert.equal(await page.getByLabel(/^Active/).isChecked(), true);
  await page.getByRole("button", { name: "Create merchant" }).click();
  await page.waitForURL(`${base}/admin/merchants/bikes?saved=1`);
  const listed = (await adminApi(parley, "GET", "/merchants")).body?.merchants as Array<
    Record<string, unknown>
  >;
  const bikes = listed.find((m) => m.id === "bikes");
  assert.deepEqual(
    [bikes?.payer, bikes?.planId, bikes?.numbers],
    [{ kind: "sponsor", accountId: "acme-ads" }, "standard", [{ label: "Shop", number: "1002" }]],
  );

  // The node's own wiring of the other admin pages: directory users, call control, call records.
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Members" }).click();
  await page.getByRole("rowheader", { name: "1002@parley.test" }).waitFor();
  await page
    .getByRole("navigation", { name: "Admin" })
    .getByRole("link", { name: "Calls in progress" })
    .click();
  await page.getByText("0 calls in progress.").waitFor();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Call records" }).click();
  await page.getByRole("heading", { name: "Call records" }).waitFor();

  await page.getByRole("button", { name: /Log out/ }).click();
  await page.waitForURL(`${base}/login`);
  assert.equal((await page.goto(`${base}/admin`))?.url(), `${base}/login?next=%2Fadmin`);

  // A member (not an admin) sees the merchant in the directory, and no admin pages.
  await logIn(page, base, "1002", "web-1002");
  await page.getByRole("heading", { name: "Bike Shop" }).waitFor();
  await page.getByRole("link", { name: "Call Shop" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0);
  assert.equal((await page.goto(`${base}/admin/accounts`))?.status(), 403);
});
