import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { digestCredentials } from "../../../../src/directory/index.ts";
import {
  DigestChallenger,
  DigestClient,
  parseDigestParams,
  type SipRequest,
} from "../../../../src/sip/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import { makeRequest } from "../../../support/sip-fixtures.ts";

const REALM = "pbx.example.com";

function setup() {
  const clock = new FakeClock();
  const users = new Map([["1001", digestCredentials("1001", REALM, "s3cret")]]);
  const challenger = new DigestChallenger({
    clock,
    credentials: { lookup: async (username, realm) => (realm === REALM ? users.get(username) : undefined) },
  });
  return { clock, challenger };
}

function withAuthorization(value: string): SipRequest {
  const request = makeRequest("REGISTER");
  request.headers.append("Authorization", value);
  return request;
}

describe("DigestChallenger and DigestClient (RFC 7616, RFC 8760)", () => {
  test("a challenge offers SHA-256 first, then MD5, both with qop=auth and one nonce", () => {
    const { challenger } = setup();
    const [sha, md5] = challenger.challenge(REALM).map((c) => parseDigestParams(c));
    assert.equal(sha?.get("algorithm"), "SHA-256");
    assert.equal(md5?.get("algorithm"), "MD5");
    assert.equal(sha?.get("qop"), "auth");
    assert.equal(sha?.get("realm"), REALM);
    assert.equal(sha?.get("nonce"), md5?.get("nonce"));
  });

  for (const algorithm of ["SHA-256", "MD5"] as const) {
    test(`a client answering the ${algorithm} challenge with the right password is authenticated`, async () => {
      const { challenger } = setup();
      const challenges = challenger.challenge(REALM).filter((c) => c.includes(`algorithm=${algorithm}`));
      const request = makeRequest("REGISTER");
      const value = new DigestClient({ username: "1001", password: "s3cret" }).authorize(request, challenges);
      assert.ok(value);
      request.headers.append("Authorization", value);
      assert.deepEqual(await challenger.verify(request, REALM), {
        kind: "authenticated",
        username: "1001",
        algorithm,
      });
    });
  }

  test("the client prefers SHA-256 when both are offered", () => {
    const { challenger } = setup();
    const value = new DigestClient({ username: "1001", password: "s3cret" }).authorize(
      makeRequest("REGISTER"),
      challenger.challenge(REALM),
    );
    assert.equal(parseDigestParams(value ?? "")?.get("algorithm"), "SHA-256");
  });

  test("a wrong password and an unknown user fail; missing credentials ask for a challenge", async () => {
    const { challenger } = setup();
    const wrong = makeRequest("REGISTER");
    wrong.headers.append(
      "Authorization",
      new DigestClient({ username: "1001", password: "guess" }).authorize(
        wrong,
        challenger.challenge(REALM),
      ) ?? "",
    );
    assert.deepEqual(await challenger.verify(wrong, REALM), {
      kind: "failed",
      username: "1001",
      reason: "wrong password",
    });
    const unknown = makeRequest("REGISTER");
    unknown.headers.append(
      "Authorization",
      new DigestClient({ username: "9999", password: "x" }).authorize(unknown, challenger.challenge(REALM)) ??
        "",
    );
    assert.equal((await challenger.verify(unknown, REALM)).kind, "failed");
    assert.deepEqual(await challenger.verify(makeRequest("REGISTER"), REALM), {
      kind: "challenge",
      stale: false,
      reason: "no credentials for this realm",
    });
  });

  test("a replayed nonce-count is rejected; the next count is accepted", async () => {
    const { challenger } = setup();
    const client = new DigestClient({ username: "1001", password: "s3cret" });
    const challenges = challenger.challenge(REALM);
    const first = makeRequest("REGISTER");
    const value = client.authorize(first, challenges) ?? "";
    first.headers.append("Authorization", value);
    assert.equal((await challenger.verify(first, REALM)).kind, "authenticated");
    assert.deepEqual(await challenger.verify(withAuthorization(value), REALM), {
      kind: "failed",
      username: "1001",
      reason: "nonce-count replayed",
    });
    const second = makeRequest("REGISTER");
    second.headers.append("Authorization", client.authorize(second, challenges) ?? "");
    assert.equal(parseDigestParams(second.headers.get("authorization") ?? "")?.get("nc"), "00000002");
    assert.equal((await challenger.verify(second, REALM)).kind, "authenticated");
  });

  test("a right answer to an expired nonce gets a new challenge with stale=true", async () => {
    const { clock, challenger } = setup();
    const challenges = challenger.challenge(REALM);
    clock.advance(301_000);
    const request = makeRequest("REGISTER");
    request.headers.append(
      "Authorization",
      new DigestClient({ username: "1001", password: "s3cret" }).authorize(request, challenges) ?? "",
    );
    assert.deepEqual(await challenger.verify(request, REALM), {
      kind: "challenge",
      stale: true,
      reason: "nonce expired",
    });
    assert.match(challenger.challenge(REALM, true)[0] ?? "", /stale=true/);
  });

  test("a nonce made with another key, or forged, is not accepted", async () => {
    const { challenger } = setup();
    const other = setup().challenger;
    const request = makeRequest("REGISTER");
    request.headers.append(
      "Authorization",
      new DigestClient({ username: "1001", password: "s3cret" }).authorize(request, other.challenge(REALM)) ??
        "",
    );
    assert.equal((await challenger.verify(request, REALM)).kind, "challenge");
    const forged = makeRequest("REGISTER");
    forged.headers.append(
      "Authorization",
      'Digest username="1001", realm="pbx.example.com", nonce="AAAA", uri="sip:x", response="00"',
    );
    assert.equal((await challenger.verify(forged, REALM)).kind, "challenge");
  });
});
