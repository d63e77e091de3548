import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { Argon2WebPasswordHasher, digestCredentials, digestHa1 } from "../../../src/directory/index.ts";

const h = (alg: string, s: string) => createHash(alg).update(s).digest("hex");

describe("digest credentials", () => {
  test("digestHa1 MD5 matches the RFC 2617 §3.5 example (Mufasa / testrealm@host.com)", () => {
    assert.equal(
      digestHa1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life"),
      "939e7578ed9e3c518a452acee763bce9",
    );
  });

  test("digestHa1 SHA-256 reproduces the RFC 7616 §3.9.1 example response", () => {
    // RFC 7616 §3.9.1: user Mufasa, realm http-auth@example.org, password "Circle of Life",
    // GET /dir/index.html, qop=auth, nc=00000001; the RFC gives the SHA-256 response below.
    const ha1 = digestHa1("SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life");
    const ha2 = h("sha256", "GET:/dir/index.html");
    const nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    const response = h("sha256", `${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
    assert.equal(response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    const md5 = h(
      "md5",
      `${digestHa1("MD5", "Mufasa", "http-auth@example.org", "Circle of Life")}:${nonce}:00000001:${cnonce}:auth:${h("md5", "GET:/dir/index.html")}`,
    );
    assert.equal(md5, "8ca523f5e9506fed4657c9700eebdbec");
  });

  test("digestCredentials gives both algorithms for the same user, realm and password", () => {
    const c = digestCredentials("1001", "pbx.example.com", "s3cret");
    assert.equal(c.ha1Md5, h("md5", "1001:pbx.example.com:s3cret"));
    assert.equal(c.ha1Sha256, h("sha256", "1001:pbx.example.com:s3cret"));
  });
});

describe("Argon2WebPasswordHasher", () => {
  test("produces argon2id PHC strings that verify only the right password", async () => {
    const hasher = new Argon2WebPasswordHasher();
    const phc = await hasher.hash("portal-secret");
    assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify(phc, "portal-secret"), true);
    assert.equal(await hasher.verify(phc, "portal-secreT"), false);
    assert.equal(await hasher.verify("not a hash", "portal-secret"), false);
    assert.notEqual(await hasher.hash("portal-secret"), phc, "each hash has its own salt");
  });
});
