import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { PortalClickToCall, PortalMerchants } from "../../../../src/http/portal/index.ts";
import type { ClickToCallService, MerchantStore } from "../../../../src/services/click-to-call/index.ts";
import {
  ADMIN,
  ALICE,
  BOB,
  FakeRefusal,
  OWNER,
  PortalClient,
  type PortalFixture,
  portalFixture,
} from "./portal-fixture.ts";

// The click-to-call service's own types fit the portal's ports (node/ passes them as they are).
const _service: (s: ClickToCallService) => PortalClickToCall = (s) => s;
const _merchants: (s: MerchantStore) => PortalMerchants = (s) => s;

describe("portal pages", () => {
  let f: PortalFixture;
  let alice: PortalClient;
  before(async () => {
    f = await portalFixture();
  });
  after(async () => {
    await f.close();
  });
  beforeEach(async () => {
    f.clickToCall.refusal = undefined;
    f.clickToCall.requests.length = 0;
    alice = new PortalClient(f.app);
    await alice.login(ALICE.extension, ALICE.password);
  });

  test("the directory lists active merchants with each number as its own button, a search box and a category filter", async () => {
    const res = await alice.get("/merchants");
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<label for="q">Search<\/label>/);
    assert.match(res.body, /<label for="category">Category<\/label>/);
    assert.match(res.body, /<option value="Food">Food<\/option>/);
    assert.match(res.body, /<a class="button" href="\/call\/pizza\/0">Call Orders<\/a>/);
    assert.match(res.body, /<a class="button" href="\/call\/pizza\/1">Call Complaints<\/a>/);
    assert.match(res.body, /3 merchants/);
    assert.doesNotMatch(res.body, /Closed Shop/);
    const food = await alice.get("/merchants?category=Food");
    assert.match(food.body, /Pizza Roma/);
    assert.doesNotMatch(food.body, /Garage Bolt/);
    assert.match(food.body, /<option value="Food" selected>/);
    const search = await alice.get("/merchants?q=repair");
    assert.match(search.body, /Garage Bolt/);
    assert.doesNotMatch(search.body, /Pizza Roma/);
    assert.match(search.body, /value="repair"/);
  });

  test("a merchant named <script> and its other fields render escaped, never as markup", async () => {
    for (const url of ["/merchants", "/merchants/evil", "/call/evil/0", "/merchants?q=%3Cscript%3E"]) {
      const res = await alice.get(url);
      assert.equal(res.statusCode, 200, url);
      assert.doesNotMatch(res.body, /<script>alert/, url);
      assert.doesNotMatch(res.body, /<img src=x/, url);
      assert.doesNotMatch(res.body, /<b>tags/, url);
    }
    const page = await alice.get("/merchants/evil");
    assert.match(page.body, /<h1>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
    assert.match(page.body, /Quotes &quot; and &lt;b&gt;tags&lt;\/b&gt;/);
    assert.match(page.body, /Tricks &amp; &lt;Treats&gt;/);
  });

  test("a merchant's page has a Call button per number; unknown and inactive merchants are 404 pages", async () => {
    const res = await alice.get("/merchants/pizza");
    assert.equal(res.statusCode, 200);
    assert.equal(res.body.match(/>Call<\/a>/g)?.length, 2);
    assert.equal((await alice.get("/merchants/nope")).statusCode, 404);
    assert.equal((await alice.get("/merchants/closed")).statusCode, 404);
    assert.equal((await alice.get("/call/pizza/5")).statusCode, 404);
    assert.equal((await alice.get("/call/closed/0")).statusCode, 404);
    assert.match(String((await alice.get("/merchants/nope")).headers["content-type"]), /text\/html/);
  });

  test("the confirm page pre-fills the member's own number in a labelled input and offers their other numbers", async () => {
    const res = await alice.get("/call/pizza/1");
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<label for="memberNumber">Your phone number<\/label>/);
    assert.match(res.body, /id="memberNumber" name="memberNumber" type="tel"[^>]*value="1001"/);
    assert.match(res.body, /<option value="\+15551230001">/);
    assert.match(res.body, /Complaints, \+15557770002/);
    assert.match(res.body, /<button type="submit">Call me now<\/button>/);
  });

  test("Call me now places the call with the confirmed number and redirects (303) to its live page", async () => {
    await alice.get("/call/pizza/1");
    const res = await alice.post("/calls", {
      merchantId: "pizza",
      index: "1",
      memberNumber: " +1 (555) 123-0009 ",
      _csrf: alice.csrf,
    });
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/calls\/K\d+$/);
    assert.deepEqual(f.clickToCall.requests.at(-1), {
      member: "1001@pbx.example.com",
      memberNumber: "+15551230009",
      merchantId: "pizza",
      numberIndex: 1,
    });
    const page = await alice.get(String(res.headers.location));
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<li data-step="checking" data-seq="1">/);
    assert.match(page.body, /Checking the balance/);
    assert.match(page.body, /<meta http-equiv="refresh" content="3">/, "refreshes itself without JS");
    assert.match(page.body, /<a href="\/calls\/K\d+">Refresh<\/a>/);
    assert.match(
      page.body,
      /<script src="\/portal\/assets\/call-status\.js\?v=[0-9a-f]{16}" defer><\/script>/,
    );
  });

  test("numbers that are neither E.164 nor a 2–8 digit extension are refused on the server with 400", async () => {
    await alice.get("/call/pizza/0");
    for (const bad of [
      "",
      "1",
      "+0123456789",
      "+123",
      "123456789",
      "+1234567890123456",
      "12ab",
      "sip:1001@x",
    ]) {
      const res = await alice.post("/calls", {
        merchantId: "pizza",
        index: "0",
        memberNumber: bad,
        _csrf: alice.csrf,
      });
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.match(res.body, /aria-invalid="true"/);
      assert.match(res.body, /id="memberNumber-error"/);
    }
    assert.equal(f.clickToCall.requests.length, 0);
    for (const good of ["12", "12345678", "+1234567", "+123456789012345"]) {
      const res = await alice.post("/calls", {
        merchantId: "pizza",
        index: "0",
        memberNumber: good,
        _csrf: alice.csrf,
      });
      assert.equal(res.statusCode, 303, good);
    }
  });

  test("a refusal for money is 402 with the service's message on the confirm page; other refusals are 409", async () => {
    await alice.get("/call/pizza/0");
    f.clickToCall.refusal = new FakeRefusal(
      "CLICK_BALANCE",
      "Not enough balance to place this call. Top up first.",
    );
    const res = await alice.post("/calls", {
      merchantId: "pizza",
      index: "0",
      memberNumber: "1007",
      _csrf: alice.csrf,
    });
    assert.equal(res.statusCode, 402);
    assert.match(
      res.body,
      /<p class="notice error" role="alert" id="refusal">Not enough balance to place this call\. Top up first\.<\/p>/,
    );
    assert.match(res.body, /value="1007"/, "keeps what the member typed");
    f.clickToCall.refusal = new FakeRefusal("CLICK_LIMIT", "Too many calls at once.");
    const limit = await alice.post("/calls", {
      merchantId: "pizza",
      index: "0",
      memberNumber: "1007",
      _csrf: alice.csrf,
    });
    assert.equal(limit.statusCode, 409);
    assert.match(limit.body, /Too many calls at once\./);
  });

  test("a call is seen by the member who placed it and by admins only", async () => {
    await alice.get("/call/pizza/0");
    const placed = await alice.post("/calls", {
      merchantId: "pizza",
      index: "0",
      memberNumber: "1001",
      _csrf: alice.csrf,
    });
    const url = String(placed.headers.location);
    const bob = new PortalClient(f.app);
    await bob.login(BOB.extension, BOB.password);
    assert.equal((await bob.get(url)).statusCode, 404);
    assert.equal((await bob.get(`${url}/events`)).statusCode, 404);
    const admin = new PortalClient(f.app);
    await admin.login(ADMIN.extension, ADMIN.password);
    assert.equal((await admin.get(url)).statusCode, 200);
    assert.equal((await new PortalClient(f.app).get(url)).statusCode, 303, "visitors go to the login page");
  });

  test("roles: every user is a member, a merchant's owner a merchant, a configured user an admin (shown on /account)", async () => {
    const res = await alice.get("/account");
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<dt>Roles<\/dt><dd>member<\/dd>/);
    assert.match(res.body, /<dd id="balance">€12\.50<\/dd>/);
    assert.match(res.body, /\+15551230001/);
    const owner = new PortalClient(f.app);
    await owner.login(OWNER.extension, OWNER.password);
    const ownerPage = await owner.get("/account");
    assert.match(ownerPage.body, /<dt>Roles<\/dt><dd>member, merchant<\/dd>/);
    assert.match(ownerPage.body, /No prepaid account/);
    const admin = new PortalClient(f.app);
    await admin.login(ADMIN.extension, ADMIN.password);
    assert.match((await admin.get("/account")).body, /<dt>Roles<\/dt><dd>member, admin<\/dd>/);
    assert.deepEqual([...(await f.app.inject({ url: "/account" }).then((r) => [r.statusCode]))], [303]);
  });

  test("the call pages answer 503 while the click-to-call service is not running", async () => {
    const off = await portalFixture({ clickToCall: () => undefined });
    try {
      const client = new PortalClient(off.app);
      await client.login(ALICE.extension, ALICE.password);
      await client.get("/call/pizza/0");
      const res = await client.post("/calls", {
        merchantId: "pizza",
        index: "0",
        memberNumber: "1001",
        _csrf: client.csrf,
      });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /not running right now/);
    } finally {
      await off.close();
    }
  });

  test("assets are served with cache headers: a year for the versioned URL, an hour otherwise, 304 on the ETag", async () => {
    const page = await alice.get("/merchants");
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body)?.[1];
    assert.ok(href?.startsWith("/portal/assets/portal.css?v="));
    const css = await f.app.inject({ url: href });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers["content-type"]), /^text\/css/);
    assert.equal(css.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.match(css.body, /:focus-visible/);
    const plain = await f.app.inject({ url: "/portal/assets/call-status.js" });
    assert.equal(plain.headers["cache-control"], "public, max-age=3600");
    assert.match(String(plain.headers["content-type"]), /^text\/javascript/);
    const again = await f.app.inject({
      url: "/portal/assets/call-status.js",
      headers: { "if-none-match": String(plain.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
    assert.equal((await f.app.inject({ url: "/portal/assets/../portal-routes.ts" })).statusCode, 404);
  });

  test("portal pages stay out of the REST API's OpenAPI document", async () => {
    const doc = (await f.app.inject({ url: "/api/docs/json" })).json();
    const paths = Object.keys(doc.paths);
    assert.ok(paths.includes("/api/v1/users"));
    for (const page of ["/", "/login", "/logout", "/merchants", "/account", "/calls", "/calls/{id}/events"]) {
      assert.ok(!paths.includes(page), page);
    }
    assert.ok(!paths.some((p) => p.startsWith("/portal") || p.startsWith("/call/")), paths.join(", "));
  });
});
