import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { ALICE, PortalClient, type PortalFixture, portalFixture } from "./portal-fixture.ts";

describe("portal CSRF protection", () => {
  let f: PortalFixture;
  afterEach(async () => {
    await f?.close();
  });

  const loggedIn = async () => {
    f = await portalFixture();
    const client = new PortalClient(f.app);
    await client.login(ALICE.extension, ALICE.password);
    await client.get("/call/pizza/0");
    return client;
  };
  const order = (csrf?: string) => ({
    merchantId: "pizza",
    index: "0",
    memberNumber: "1001",
    ...(csrf !== undefined && { _csrf: csrf }),
  });

  test("POST /calls without a token is 403 and places no call", async () => {
    const client = await loggedIn();
    const res = await client.post("/calls", order());
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /did not come from this site/);
    assert.equal(f.clickToCall.requests.length, 0);
  });

  test("POST /calls with a wrong token (or another session's token) is 403 and places no call", async () => {
    const client = await loggedIn();
    const token = client.csrf;
    assert.equal((await client.post("/calls", order(`${token.slice(0, -1)}x`))).statusCode, 403);
    const other = new PortalClient(f.app);
    await other.login("1002", "bob-web-pw");
    await other.get("/merchants");
    assert.equal((await client.post("/calls", order(other.csrf))).statusCode, 403);
    assert.equal(f.clickToCall.requests.length, 0);
  });

  test("the right token in the form or in x-csrf-token places the call", async () => {
    const client = await loggedIn();
    const token = client.csrf;
    assert.equal((await client.post("/calls", order(token))).statusCode, 303);
    assert.equal((await client.post("/calls", order(), { "x-csrf-token": token })).statusCode, 303);
    assert.equal(f.clickToCall.requests.length, 2);
  });

  test("a right token from another site's page (Origin or Referer of another host) is 403", async () => {
    const client = await loggedIn();
    const token = client.csrf;
    const host = { host: "portal.example.com" };
    const cross = await client.post("/calls", order(token), { ...host, origin: "https://evil.example" });
    assert.equal(cross.statusCode, 403);
    const nullOrigin = await client.post("/calls", order(token), { ...host, origin: "null" });
    assert.equal(nullOrigin.statusCode, 403);
    const referer = await client.post("/calls", order(token), {
      ...host,
      referer: "https://evil.example/page",
    });
    assert.equal(referer.statusCode, 403);
    assert.equal(f.clickToCall.requests.length, 0);
    const same = await client.post("/calls", order(token), {
      ...host,
      origin: "https://portal.example.com",
      referer: "https://portal.example.com/call/pizza/0",
    });
    assert.equal(same.statusCode, 303);
  });

  test("POST /logout without the token is 403 and the session stays", async () => {
    const client = await loggedIn();
    assert.equal((await client.post("/logout", {})).statusCode, 403);
    assert.equal((await client.get("/merchants")).statusCode, 200);
  });

  test("POST /login without the login form's session (login CSRF) is 403 and logs nobody in", async () => {
    f = await portalFixture();
    const res = await f.app.inject({
      method: "POST",
      url: "/login",
      payload: `account=${ALICE.extension}&password=${ALICE.password}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.cookies.length, 0);
  });

  test("the API is not touched: it accepts no forms and keeps bearer auth", async () => {
    f = await portalFixture();
    const res = await f.app.inject({
      method: "POST",
      url: "/api/v1/users",
      payload: "extension=1234",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, "HTTP_UNAUTHORIZED");
    const admin = (await f.directory.tokens.issue({ name: "t", admin: true })).secret;
    const form = await f.app.inject({
      method: "POST",
      url: "/api/v1/users",
      payload: "extension=1234",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${admin}` },
    });
    assert.equal(form.statusCode, 415, "the portal's form parser stays inside the portal");
  });
});
