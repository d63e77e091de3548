import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { rate } from "../../../src/billing/index.ts";
import { BARESIP_HOW_TO_GET, type BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
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

test("a member logs in, calls a merchant from the portal on a second phone; baresip phones answer; the page reaches connected then ended; the member pays exactly the rated cost and the CDR says so; a sponsor at zero is refused on the page and no INVITE reaches the baresip phones", async (t) => {
  if (!HAS_CHROMIUM) return missingPeer(t, "Chromium", CHROMIUM_HOW_TO_GET);
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(["1001", "1002", "1003"]);
  t.after(() => parley.stop());
  const phones = await registeredPhones(t, parley, [
    { extension: "1002", toneHz: 2000, autoAnswer: true },
    { extension: "1003", toneHz: 1000, autoAnswer: true },
  ]);
  assert.equal((await adminApi(parley, "PUT", "/rate-plans/standard", PLAN)).status, 200);
  const account = {
    id: "member:1001@parley.test",
    kind: "member",
    currency: "EUR",
    owner: "1001@parley.test",
  };
  assert.equal((await adminApi(parley, "POST", "/accounts", account)).status, 201);
  assert.equal(
    (await adminApi(parley, "POST", `/accounts/${account.id}/top-ups`, { amount: 500 })).status,
    200,
  );
  const merchant = {
    id: "pizza",
    name: "Pizza Roma",
    description: "Delivery until midnight",
    category: "food",
    numbers: [{ label: "Orders", number: "1002" }],
    payer: { kind: "member" },
    planId: "standard",
  };
  assert.equal((await adminApi(parley, "PUT", "/merchants/pizza", merchant)).status, 200);

  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const base = parley.api.replace(/\/api\/v1$/, "");
  await page.goto(`${base}/login`);
  await page.getByLabel("Account").fill("1001");
  await page.getByLabel("Password").fill("web-1001");
  await Promise.all([
    page.waitForURL(`${base}/merchants`),
    page.getByRole("button", { name: /Log in/ }).click(),
  ]);
  await page.getByRole("link", { name: "Pizza Roma" }).click();
  await page.getByRole("link", { name: "Call Pizza Roma Orders" }).click();
  const own = page.getByLabel("Your phone number");
  assert.equal(await own.inputValue(), "1001", "the member's own number is pre-filled");
  await own.fill("1003");
  await page.getByRole("button", { name: "Call me now" }).click();
  await page.waitForURL(/\/calls\/K[0-9a-f]+$/);
  const id = new URL(page.url()).pathname.split("/").pop() as string;
  await page.locator('#steps li[data-step="connected"]').waitFor({ timeout: 20_000 });
  // The merchant hangs up after a moment of talk.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await phones["1002"]?.command("hangup"))?.ok, true);
  await page.locator('#steps li[data-step="ended"]').waitFor({ timeout: 15_000 });

  const click = (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  assert.equal(click.memberNumber, "1003", "the member's second phone was called");
  const expected = rate({ id: "standard", ...PLAN }, "1002", click.durationSeconds as number).cost;
  assert.equal(click.cost, expected);
  await page.getByText(new RegExp(`cost €${(expected / 100).toFixed(2)}`)).waitFor();
  const after = (await adminApi(parley, "GET", `/accounts/${account.id}`)).body;
  assert.equal(after?.balance, 500 - expected, "the member's balance dropped by exactly the rated cost");
  await parley.node.sip.calls.cdrs?.drain();
  const cdr = (await adminApi(parley, "GET", `/cdrs/${click.callId}`)).body;
  assert.deepEqual([cdr?.payer, cdr?.cost, cdr?.service], [account.id, expected, "click-to-call"]);

  // A merchant whose sponsor has nothing left: refused on the page, and no INVITE reaches either phone.
  const empty = { id: "empty-sponsor", kind: "sponsor", currency: "EUR", owner: "ads" };
  assert.equal((await adminApi(parley, "POST", "/accounts", empty)).status, 201);
  const closed = {
    ...merchant,
    id: "closed",
    name: "Closed Shop",
    payer: { kind: "sponsor", accountId: empty.id },
  };
  assert.equal((await adminApi(parley, "PUT", "/merchants/closed", closed)).status, 200);
  // baresip logs each INVITE it receives with an SDP offer (before auto-answering it).
  const invites = (phone: BaresipPhone | undefined) =>
    (phone?.output.match(/ua: using AF from sdp offer/g) ?? []).length;
  const before = [invites(phones["1002"]), invites(phones["1003"])];
  assert.deepEqual(before, [1, 1], "each phone shows the first call's INVITE (the count works)");
  await page.goto(`${base}/merchants/closed`);
  await page.getByRole("link", { name: "Call Closed Shop Orders" }).click();
  await page.getByLabel("Your phone number").fill("1003");
  await page.getByRole("button", { name: "Call me now" }).click();
  await page
    .getByRole("alert")
    .getByText(/no balance left/)
    .waitFor();
  assert.deepEqual([invites(phones["1002"]), invites(phones["1003"])], before, "no phone got an INVITE");
  assert.equal(parley.node.sip.calls.calls.length, 0);
});
