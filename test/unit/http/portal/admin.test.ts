import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { CreditControl, MemoryAccountStore } from "../../../../src/billing/index.ts";
import { microsToPrice, priceToMicros } from "../../../../src/http/portal/admin/price.ts";
import type {
  PortalAdmin,
  PortalAdminMerchant,
  PortalCallInProgress,
  PortalCdr,
} from "../../../../src/http/portal/index.ts";
import type { Merchant } from "../../../../src/services/click-to-call/index.ts";
import {
  ADMIN,
  ALICE,
  type FakeMerchants,
  OWNER,
  PortalClient,
  type PortalFixture,
  portalFixture,
} from "./portal-fixture.ts";

// click-to-call's Merchant fits the admin port's merchant both ways (node/ passes the store as it is).
const _toPort: (m: Merchant) => PortalAdminMerchant = (m) => m;
const _fromPort: (m: PortalAdminMerchant) => Merchant = (m) => m;

const DOMAIN = "pbx.example.com";

/** The admin port over billing's real CreditControl (memory store) and the fixture's merchants. */
class FakeAdmin implements PortalAdmin {
  readonly store = new MemoryAccountStore();
  readonly credit: CreditControl;
  #f: PortalFixture | undefined;
  topUps = 0;
  saved: PortalAdminMerchant[] = [];
  calls: PortalCallInProgress[] | undefined = [];
  records: PortalCdr[] = [];

  constructor() {
    this.credit = new CreditControl({ store: this.store, now: () => this.fixture.clock.now() });
  }

  /** The fixture is built with this port, so it joins afterwards. */
  attach(f: PortalFixture): this {
    this.#f = f;
    return this;
  }

  get fixture(): PortalFixture {
    if (!this.#f) throw new Error("attach() first");
    return this.#f;
  }

  get merchantsFake(): FakeMerchants {
    return this.fixture.merchants;
  }

  accounts = (query: { owner?: string; limit: number }) => this.store.listAccounts(query);
  account = (id: string) => this.credit.account(id);
  openAccount = (input: Parameters<CreditControl["openAccount"]>[0]) => this.credit.openAccount(input);
  topUp = (id: string, input: { amount: number; reference?: string }) => {
    this.topUps++;
    return this.credit.topUp(id, input);
  };
  ledger = (id: string, query?: { afterSeq?: number; limit?: number }) => this.credit.ledger(id, query);
  plans = () => this.store.listPlans();
  plan = (id: string) => this.credit.plan(id);
  savePlan = (plan: Parameters<CreditControl["savePlan"]>[0]) => this.credit.savePlan(plan);
  merchants = async (query: { all?: boolean; limit?: number }) => {
    const found = await this.merchantsFake.list(query);
    // The fixture's directory merchants have no payer or plan; a real store's always do.
    const merchants = found.merchants.map(
      (m): PortalAdminMerchant => ({
        payer: { kind: "member" },
        planId: "std",
        widgetOrigins: [],
        ...m,
        numbers: [...m.numbers],
      }),
    );
    return { ...found, merchants };
  };
  merchant = async (id: string) => this.merchantsFake.merchants.get(id) as PortalAdminMerchant | undefined;
  saveMerchant = async (merchant: PortalAdminMerchant) => {
    this.saved.push(structuredClone(merchant));
    this.merchantsFake.merchants.set(merchant.id, structuredClone(merchant));
  };
  listUsers = (query: { limit: number; offset: number }) => this.fixture.directory.directory.listUsers(query);
  listDomains = () => this.fixture.directory.directory.listDomains();
  callsInProgress = async () => this.calls;
  cdrs = async (query: { limit: number }) => this.records.slice(0, query.limit);
}

describe("portal admin pages", () => {
  let f: PortalFixture;
  let admin: FakeAdmin;
  afterEach(async () => {
    await f?.close();
  });

  const setUp = async () => {
    admin = new FakeAdmin();
    f = await portalFixture({ admin });
    admin.attach(f);
    const client = new PortalClient(f.app);
    await client.login(ADMIN.extension, ADMIN.password);
    return client;
  };

  test("every admin page is a 403 page for a member who is not an admin, and sends anonymous visitors to log in", async () => {
    await setUp();
    const alice = new PortalClient(f.app);
    await alice.login(ALICE.extension, ALICE.password);
    for (const url of [
      "/admin",
      "/admin/members",
      "/admin/merchants",
      "/admin/merchants/new",
      "/admin/merchants/pizza",
      "/admin/accounts",
      "/admin/rate-plans",
      "/admin/rate-plans/new",
      "/admin/calls",
      "/admin/cdrs",
    ]) {
      const res = await alice.get(url);
      assert.equal(res.statusCode, 403, url);
      assert.match(res.body, /may not open this page/, url);
    }
    await alice.get("/merchants");
    const post = await alice.post("/admin/accounts", {
      _csrf: alice.csrf,
      id: "x",
      kind: "sponsor",
      currency: "EUR",
      owner: "x",
    });
    assert.equal(post.statusCode, 403);
    assert.equal((await admin.store.listAccounts({ limit: 10 })).length, 0);
    const anonymous = await new PortalClient(f.app).get("/admin/accounts");
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, "/login?next=%2Fadmin%2Faccounts");
    // Admins see the Admin link; members do not.
    assert.doesNotMatch((await alice.get("/merchants")).body, /href="\/admin"/);
  });

  test("an admin form without the CSRF token (or with a wrong one) is a 403 page and changes nothing", async () => {
    const client = await setUp();
    await admin.credit.openAccount({ id: "acme", kind: "sponsor", currency: "EUR", owner: "Acme" });
    await client.get("/admin/accounts/acme");
    const token = client.csrf;
    const missing = await client.post("/admin/accounts/acme/top-ups", { amount: "5.00", reference: "r1" });
    assert.equal(missing.statusCode, 403);
    assert.match(missing.body, /did not come from this site/);
    const wrong = await client.post("/admin/accounts/acme/top-ups", {
      _csrf: `${token.slice(0, -1)}x`,
      amount: "5.00",
      reference: "r1",
    });
    assert.equal(wrong.statusCode, 403);
    for (const [url, form] of [
      ["/admin/accounts", { id: "b", kind: "sponsor", currency: "EUR", owner: "b" }],
      ["/admin/rate-plans", { id: "p", name: "p", currency: "EUR", rows: "1", prefix0: "", price0: "1" }],
      ["/admin/merchants", { id: "m", name: "m", category: "c", rows: "1", label0: "a", number0: "1002" }],
    ] as const) {
      assert.equal((await client.post(url, form)).statusCode, 403, url);
    }
    assert.equal(admin.topUps, 0);
    assert.equal((await admin.credit.account("acme")).balance, 0);
    assert.equal((await admin.store.listAccounts({ limit: 10 })).length, 1);
    assert.equal((await admin.store.listPlans()).length, 0);
    assert.equal(admin.saved.length, 0);
  });

  test("the top-up form credits the account once: sending the same form (same reference) again adds nothing", async () => {
    const client = await setUp();
    await client.get("/admin/accounts");
    const opened = await client.post("/admin/accounts", {
      _csrf: client.csrf,
      id: "acme-ads",
      kind: "sponsor",
      currency: "EUR",
      owner: "Acme Ads",
    });
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, "/admin/accounts/acme-ads");
    const page = await client.get("/admin/accounts/acme-ads");
    assert.match(page.body, /<label for="amount">Amount \(EUR\)<\/label>/);
    const reference = /name="reference"[^>]*value="(portal-[^"]+)"/.exec(page.body)?.[1];
    assert.ok(reference, "the form carries a fresh reference");
    const form = { _csrf: client.csrf, amount: "5.00", reference };
    const first = await client.post("/admin/accounts/acme-ads/top-ups", form);
    assert.equal(first.statusCode, 303);
    assert.equal(first.headers.location, "/admin/accounts/acme-ads?entry=1");
    f.clock.advance(1000);
    const again = await client.post("/admin/accounts/acme-ads/top-ups", form);
    assert.equal(again.statusCode, 303);
    assert.equal(again.headers.location, "/admin/accounts/acme-ads?entry=1&again=1");
    assert.equal(admin.topUps, 2, "both sends reached the port");
    const account = await admin.credit.account("acme-ads");
    assert.equal(account.balance, 500, "5.00 EUR, once");
    assert.equal((await admin.credit.ledger("acme-ads")).length, 1);
    const shown = await client.get(again.headers.location as string);
    assert.match(shown.body, /already used: ledger entry 1 \(€5\.00\) stands and nothing was added/);
    assert.match(shown.body, /<dd id="balance">€5\.00<\/dd>/);
    const list = await client.get("/admin/accounts");
    assert.match(
      list.body,
      /acme-ads<\/a><\/th><td>sponsor<\/td><td>Acme Ads<\/td>\s*<td>€5\.00<\/td><td>€0\.00<\/td>/,
    );
  });

  test("a top-up with too many decimals, zero or no reference is refused on the form and credits nothing", async () => {
    const client = await setUp();
    await admin.credit.openAccount({ id: "acme", kind: "sponsor", currency: "EUR", owner: "Acme" });
    await client.get("/admin/accounts/acme");
    for (const [amount, reference] of [
      ["5.001", "r"],
      ["0", "r"],
      ["-5", "r"],
      ["5,00", "r"],
      ["5", ""],
    ] as const) {
      const res = await client.post("/admin/accounts/acme/top-ups", {
        _csrf: client.csrf,
        amount,
        reference,
      });
      assert.equal(res.statusCode, 400, `${amount} ${reference}`);
      assert.match(res.body, /role="alert" id="top-up-error"/);
    }
    assert.equal(admin.topUps, 0);
  });

  test("a merchant created on the form is saved through the port, edited, and keeps the fields the form does not show", async () => {
    const client = await setUp();
    await admin.credit.savePlan({
      id: "std",
      name: "Standard",
      currency: "EUR",
      rates: [
        { prefix: "", perMinuteMicros: 1_000_000, connectionFee: 0, firstIncrement: 60, nextIncrement: 60 },
      ],
    });
    await admin.credit.openAccount({ id: "acme", kind: "sponsor", currency: "EUR", owner: "Acme" });
    const blank = await client.get("/admin/merchants/new");
    assert.match(blank.body, /<label for="m-name">Name<\/label>/);
    assert.match(blank.body, /<legend>Who pays the calls<\/legend>/);
    const form = {
      _csrf: client.csrf,
      id: "bikes",
      name: "Bike <Shop>",
      description: "Repairs",
      category: "Sport",
      owner: `${OWNER.extension}@${DOMAIN}`,
      rows: "3",
      label0: "Shop",
      number0: "+1 555 444 0001",
      label1: "",
      number1: "",
      label2: "Workshop",
      number2: "1003",
      payerKind: "sponsor",
      payerAccount: "acme",
      planId: "std",
      active: "1",
    };
    const created = await client.post("/admin/merchants", form);
    assert.equal(created.statusCode, 303, created.body);
    assert.equal(created.headers.location, "/admin/merchants/bikes?saved=1");
    assert.deepEqual(admin.saved.at(-1), {
      widgetOrigins: [],
      id: "bikes",
      name: "Bike <Shop>",
      description: "Repairs",
      category: "Sport",
      numbers: [
        { label: "Shop", number: "+15554440001" },
        { label: "Workshop", number: "1003" },
      ],
      payer: { kind: "sponsor", accountId: "acme" },
      planId: "std",
      active: true,
      owner: `${OWNER.extension}@${DOMAIN}`,
    });
    // The same id again is a conflict, not an overwrite.
    assert.equal((await client.post("/admin/merchants", { ...form, name: "Other" })).statusCode, 409);
    assert.equal(admin.saved.length, 1);

    // Fields the form does not know (the widget's origins, campaigns) survive an edit.
    const stored = admin.merchantsFake.merchants.get("bikes") as PortalAdminMerchant & {
      campaigns?: unknown;
    };
    admin.merchantsFake.merchants.set("bikes", {
      ...stored,
      widgetOrigins: ["https://bikes.example"],
      campaigns: [{ id: "spring", payer: { kind: "member" } }],
    } as PortalAdminMerchant);
    const edit = await client.get("/admin/merchants/bikes?saved=1");
    assert.match(edit.body, /id="merchant-saved"/);
    assert.match(edit.body, /value="Bike &lt;Shop&gt;"/);
    assert.match(edit.body, /id="number0" name="number0" type="tel" maxlength="16" value="\+15554440001"/);
    assert.match(edit.body, /id="payer-sponsor" name="payerKind" value="sponsor" checked/);
    const edited = await client.post("/admin/merchants/bikes", {
      _csrf: client.csrf,
      id: "ignored",
      name: "Bike Shop",
      description: "Repairs and sales",
      category: "Sport",
      owner: "",
      rows: "2",
      label0: "Shop",
      number0: "+15554440001",
      label1: "",
      number1: "",
      payerKind: "member",
      payerAccount: "acme",
      planId: "std",
    });
    assert.equal(edited.statusCode, 303);
    assert.deepEqual(admin.saved.at(-1), {
      id: "bikes",
      name: "Bike Shop",
      description: "Repairs and sales",
      category: "Sport",
      numbers: [{ label: "Shop", number: "+15554440001" }],
      payer: { kind: "member" },
      planId: "std",
      active: false,
      widgetOrigins: ["https://bikes.example"],
      campaigns: [{ id: "spring", payer: { kind: "member" } }],
    });
    const list = await client.get("/admin/merchants");
    assert.match(list.body, /<a href="\/admin\/merchants\/bikes">Bike Shop<\/a>/);
  });

  test("a merchant form naming an unknown payer account, an unknown plan or a bad number comes back with the problem and saves nothing", async () => {
    const client = await setUp();
    await admin.credit.savePlan({
      id: "std",
      name: "Standard",
      currency: "EUR",
      rates: [{ prefix: "", perMinuteMicros: 0, connectionFee: 0, firstIncrement: 1, nextIncrement: 1 }],
    });
    await client.get("/admin/merchants/new");
    const base = {
      _csrf: client.csrf,
      id: "shop",
      name: "Shop",
      category: "Misc",
      rows: "1",
      label0: "Main",
      number0: "1002",
      payerKind: "member",
      planId: "std",
    };
    for (const [change, message] of [
      [{ payerKind: "sponsor", payerAccount: "nobody" }, /There is no account nobody/],
      [{ planId: "gold" }, /There is no rate plan gold/],
      [{ number0: "12345678901" }, /Number 1 must be E\.164/],
      [{ id: "a b" }, /The id is 1 to 64/],
      [{ number0: "", label0: "" }, /at least one number/],
    ] as const) {
      const res = await client.post("/admin/merchants", { ...base, ...change });
      assert.equal(res.statusCode, 400, JSON.stringify(change));
      assert.match(res.body, message);
    }
    assert.equal(admin.saved.length, 0);
  });

  test("a rate plan's price per minute typed in minor units with decimals is stored as exact micro-units", async () => {
    const client = await setUp();
    await client.get("/admin/rate-plans/new");
    const res = await client.post("/admin/rate-plans", {
      _csrf: client.csrf,
      id: "intl",
      name: "International",
      currency: "EUR",
      rows: "4",
      prefix0: "",
      price0: "0.4",
      fee0: "",
      first0: "60",
      next0: "60",
      prefix1: "+44",
      price1: "1.234567",
      fee1: "2",
      first1: "30",
      next1: "6",
      prefix2: "1",
      price2: "6",
      fee2: "0",
      first2: "1",
      next2: "1",
      prefix3: "",
      price3: "",
      fee3: "",
      first3: "",
      next3: "",
    });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers.location, "/admin/rate-plans/intl?saved=1");
    const plan = await admin.credit.plan("intl");
    assert.deepEqual(
      plan.rates.map((r) => [
        r.prefix,
        r.perMinuteMicros,
        r.connectionFee,
        r.firstIncrement,
        r.nextIncrement,
      ]),
      [
        ["", 400_000, 0, 60, 60],
        ["1", 6_000_000, 0, 1, 1],
        ["44", 1_234_567, 2, 30, 6],
      ],
    );
    const shown = await client.get("/admin/rate-plans/intl");
    assert.match(shown.body, /id="price0" name="price0"[^>]*value="0\.4"/);
    assert.match(shown.body, /value="1\.234567"/);
    const list = await client.get("/admin/rate-plans");
    assert.match(list.body, /0\.4 EUR minor units\/min/);
    // Seven decimals cannot be stored exactly: refused, nothing saved.
    const tooFine = await client.post("/admin/rate-plans", {
      _csrf: client.csrf,
      id: "fine",
      name: "Fine",
      currency: "EUR",
      rows: "1",
      prefix0: "",
      price0: "0.1234567",
    });
    assert.equal(tooFine.statusCode, 400);
    assert.match(tooFine.body, /at most six decimals/);
    await assert.rejects(admin.credit.plan("fine"));
  });

  test("price conversion is exact on the digits, both ways", () => {
    for (const [text, micros] of [
      ["0", 0],
      ["0.4", 400_000],
      ["0.1", 100_000],
      ["0.3", 300_000],
      ["6", 6_000_000],
      ["1.000001", 1_000_001],
      ["0.000001", 1],
      ["123456789.999999", 123_456_789_999_999],
      [" 2.50 ", 2_500_000],
    ] as const) {
      assert.equal(priceToMicros(text), micros, text);
      assert.equal(priceToMicros(microsToPrice(micros)), micros, `${micros} round trip`);
    }
    assert.equal(microsToPrice(400_000), "0.4");
    assert.equal(microsToPrice(2_500_000), "2.5");
    for (const bad of ["", "-1", "1e3", "0.1234567", "1,5", ".5", "1.", "0x10", "Infinity"])
      assert.equal(priceToMicros(bad), undefined, bad);
  });

  test("members, calls in progress and call records are listed with balances, parties, payer and cost, escaped", async () => {
    const client = await setUp();
    f.balances.amounts.set(`1002@${DOMAIN}`, { amount: 75, currency: "EUR" });
    const members = await client.get("/admin/members");
    assert.equal(members.statusCode, 200);
    assert.match(members.body, new RegExp(`<th scope="row">${ALICE.extension}@${DOMAIN}</th><td>Alice</td>`));
    assert.match(members.body, /€12\.50/);
    assert.match(members.body, /€0\.75/);
    assert.doesNotMatch(members.body, /1003@/, "a user without a web password is not a member");
    admin.calls = [
      {
        id: "C1",
        service: "click-to-call",
        from: "sip:<b>@x",
        dialled: "1002",
        parties: [{ id: "L1", direction: "outbound", state: "Answered" }],
        startedAt: Date.UTC(2026, 0, 1, 12),
      },
    ];
    const calls = await client.get("/admin/calls");
    assert.match(calls.body, /<th scope="row">C1<\/th><td>click-to-call<\/td><td>sip:&lt;b&gt;@x<\/td>/);
    assert.match(calls.body, /L1 outbound, Answered/);
    assert.match(calls.body, /2026-01-01 12:00:00 UTC/);
    admin.calls = undefined;
    assert.match((await client.get("/admin/calls")).body, /Call control is not running/);
    admin.records = [
      {
        id: "C9",
        kind: "originate",
        from: "1001",
        to: "1002",
        service: "click-to-call",
        startedAt: Date.UTC(2026, 0, 1),
        answeredAt: Date.UTC(2026, 0, 1),
        endedAt: Date.UTC(2026, 0, 1) + 65_000,
        disposition: "answered",
        payer: "acme-ads",
        cost: 132,
        currency: "EUR",
      },
    ];
    const cdrs = await client.get("/admin/cdrs");
    assert.match(cdrs.body, /<tr data-call="C9">/);
    assert.match(cdrs.body, /<td>65 s<\/td>\s*<td>acme-ads<\/td><td>€1\.32<\/td>/);
    assert.match((await client.get("/admin")).body, /<a href="\/admin\/cdrs">Call records<\/a>/);
  });

  test("an owner sees their merchants with numbers and the balance their own account pays from; others get 403", async () => {
    await setUp();
    await admin.credit.openAccount({ id: "pizza-pays", kind: "merchant", currency: "EUR", owner: "pizza" });
    await admin.credit.topUp("pizza-pays", { amount: 990 });
    const pizza = admin.merchantsFake.merchants.get("pizza");
    assert.ok(pizza);
    admin.merchantsFake.merchants.set("pizza", {
      ...pizza,
      numbers: [...pizza.numbers],
      payer: { kind: "merchant", accountId: "pizza-pays" },
      planId: "std",
      widgetOrigins: [],
    } as PortalAdminMerchant);
    const owner = new PortalClient(f.app);
    await owner.login(OWNER.extension, OWNER.password);
    const res = await owner.get("/merchant");
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<h2 id="owned-pizza">Pizza Roma<\/h2>/);
    assert.match(res.body, /\+15557770001/);
    assert.match(res.body, /your account pizza-pays/);
    assert.match(res.body, /<dd class="balance">€9\.90<\/dd>/);
    assert.doesNotMatch(res.body, /Garage Bolt/);
    assert.match((await owner.get("/account")).body, /<a href="\/merchant">Your merchants<\/a>/);
    const alice = new PortalClient(f.app);
    await alice.login(ALICE.extension, ALICE.password);
    assert.equal((await alice.get("/merchant")).statusCode, 403);
  });

  test("without an admin port the admin pages answer 503 for admins", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    await client.login(ADMIN.extension, ADMIN.password);
    const res = await client.get("/admin/accounts");
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /Administration is not available/);
  });
});
