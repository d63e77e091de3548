import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, describe, test } from "node:test";
import { ALICE, BOB, PortalClient, type PortalFixture, portalFixture } from "./portal-fixture.ts";

describe("portal login, sessions and logout", () => {
  let f: PortalFixture;
  afterEach(async () => {
    await f?.close();
  });

  test("GET /login gives an anonymous session cookie (HttpOnly, SameSite=Lax, Path=/, not Secure over http) and a form with labels", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    const res = await client.get("/login");
    assert.equal(res.statusCode, 200);
    const cookie = res.cookies.find((c) => c.name === "parley_session");
    assert.ok(cookie, "session cookie set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.path, "/");
    assert.notEqual(cookie.secure, true);
    assert.ok(cookie.value.length >= 43, "256-bit id");
    assert.match(res.body, /<html lang="en">/);
    assert.match(res.body, /<label for="account">Account<\/label>/);
    assert.match(res.body, /<label for="password">Password<\/label>/);
    assert.equal(res.headers["cache-control"], "no-store");
    assert.match(String(res.headers["content-security-policy"]), /script-src 'self'/);
    // Only the SHA-256 of the id is stored.
    assert.equal(f.sessions.size, 1);
    assert.equal(await f.sessions.get(cookie.value), undefined, "the raw id is not a key of the store");
    const hash = createHash("sha256").update(cookie.value).digest("hex");
    const stored = await f.sessions.get(hash);
    assert.equal(stored?.user, null);
    assert.ok(stored && !JSON.stringify(stored).includes(cookie.value));
  });

  test("the cookie is Secure when the request came over HTTPS through a trusted proxy", async () => {
    f = await portalFixture({}, { trustProxy: true });
    const res = await f.app.inject({ url: "/login", headers: { "x-forwarded-proto": "https" } });
    assert.equal(res.cookies.find((c) => c.name === "parley_session")?.secure, true);
  });

  test("a member logs in with extension and web password: 303 to /merchants with a new session id", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    await client.get("/login");
    const before = client.session;
    const res = await client.post("/login", {
      account: ALICE.extension,
      password: ALICE.password,
      _csrf: client.csrf,
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, "/merchants");
    assert.ok(client.session && client.session !== before, "the session id is rotated on login");
    const page = await client.get("/merchants");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /1001@pbx\.example\.com/);
    // The pre-login id is worth nothing now (no session fixation).
    const old = await f.app.inject({ url: "/merchants", headers: { cookie: `parley_session=${before}` } });
    assert.equal(old.statusCode, 303);
    assert.match(String(old.headers.location), /^\/login/);
  });

  test("extension@domain logs in too, and next= brings the member back to the page they wanted", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    const first = await client.get("/merchants/pizza");
    assert.equal(first.statusCode, 303);
    assert.equal(first.headers.location, "/login?next=%2Fmerchants%2Fpizza");
    await client.get(String(first.headers.location));
    assert.match(client.lastHtml, /name="next" value="\/merchants\/pizza"/);
    const res = await client.post("/login", {
      account: "1001@PBX.example.com",
      password: ALICE.password,
      next: "/merchants/pizza",
      _csrf: client.csrf,
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, "/merchants/pizza");
    // An outside address is never a place to go back to.
    const other = new PortalClient(f.app);
    await other.get("/login");
    const offsite = await other.post("/login", {
      account: BOB.extension,
      password: BOB.password,
      next: "//evil.example/",
      _csrf: other.csrf,
    });
    assert.equal(offsite.headers.location, "/merchants");
  });

  test("a wrong password, an unknown user, a user without a web password and an unknown domain get the same 401 message", async () => {
    f = await portalFixture();
    for (const [account, password] of [
      [ALICE.extension, "wrong"],
      ["7777", "whatever"],
      ["1003", "sip-secret-3"],
      ["1001@nowhere.example", ALICE.password],
    ] as const) {
      const client = new PortalClient(f.app);
      const res = await client.login(account, password);
      assert.equal(res.statusCode, 401, account);
      assert.match(res.body, /The account or password is not right\./);
      assert.equal((await client.get("/merchants")).statusCode, 303, "still logged out");
    }
  });

  test("five failures for one account within 15 minutes refuse further attempts with 429 without checking the password", async () => {
    f = await portalFixture({}, { trustProxy: true });
    let checks = 0;
    const verify = f.directory.directory.verifyWebPassword.bind(f.directory.directory);
    f.directory.directory.verifyWebPassword = async (...args) => {
      checks++;
      return verify(...args);
    };
    const client = new PortalClient(f.app);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Each from another address: the account's own count is what trips.
      client.headers = { "x-forwarded-for": `192.0.2.${i}` };
      statuses.push((await client.login(ALICE.extension, "wrong")).statusCode);
      f.clock.advance(60_000);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    assert.match(client.lastHtml, /Too many attempts, try again later/);
    assert.equal(checks, 5);
    const right = await client.login(ALICE.extension, ALICE.password);
    assert.equal(right.statusCode, 429, "even the right password is refused now");
    assert.equal(checks, 5, "no password was checked");
    // 15 minutes after the first failure it leaves the window: one more attempt is allowed.
    f.clock.advance(11 * 60_000);
    const later = await client.login(ALICE.extension, ALICE.password);
    assert.equal(later.statusCode, 303);
  });

  test("five failures from one address on different accounts block that address, not the accounts elsewhere", async () => {
    f = await portalFixture({}, { trustProxy: true });
    const attacker = new PortalClient(f.app);
    attacker.headers = { "x-forwarded-for": "198.51.100.7" };
    for (const account of ["2001", "2002", "2003", "2004", "2005"]) await attacker.login(account, "guess");
    assert.equal((await attacker.login(ALICE.extension, ALICE.password)).statusCode, 429);
    const member = new PortalClient(f.app);
    member.headers = { "x-forwarded-for": "203.0.113.20" };
    assert.equal((await member.login(ALICE.extension, ALICE.password)).statusCode, 303);
  });

  test("a session ends after 30 idle minutes, and after 12 hours however busy", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    await client.login(ALICE.extension, ALICE.password);
    f.clock.advance(29 * 60_000);
    assert.equal((await client.get("/merchants")).statusCode, 200, "29 idle minutes are fine");
    f.clock.advance(30 * 60_000);
    assert.equal((await client.get("/merchants")).statusCode, 303, "30 idle minutes end it");
    await client.login(ALICE.extension, ALICE.password);
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      f.clock.advance(20 * 60_000);
      assert.equal((await client.get("/account")).statusCode, 200, `busy at ${minutes + 20} min`);
    }
    f.clock.advance(20 * 60_000);
    const late = await client.get("/account");
    assert.equal(late.statusCode, 303, "12 hours end it");
  });

  test("POST /logout with the token ends the session and clears the cookie", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    await client.login(ALICE.extension, ALICE.password);
    const page = await client.get("/merchants");
    assert.match(page.body, /action="\/logout"/);
    const session = client.session;
    const res = await client.post("/logout", { _csrf: client.csrf });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, "/login");
    assert.equal(client.session, undefined, "cookie cleared");
    const replay = await f.app.inject({
      url: "/merchants",
      headers: { cookie: `parley_session=${session}` },
    });
    assert.equal(replay.statusCode, 303, "the old cookie no longer works");
  });

  test("/ sends visitors to /login and members to /merchants", async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    assert.equal((await client.get("/")).headers.location, "/login");
    await client.login(ALICE.extension, ALICE.password);
    assert.equal((await client.get("/")).headers.location, "/merchants");
    assert.equal((await client.get("/login")).headers.location, "/merchants");
  });
});
