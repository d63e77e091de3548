import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PeerAllowList } from "../../../src/smtp/index.ts";

describe("PeerAllowList", () => {
  test("matches single addresses and CIDR prefixes, IPv4 and IPv6, and IPv4-mapped peers in their IPv4 form", () => {
    const list = new PeerAllowList(["192.0.2.7", "10.20.0.0/16", "::1", "2001:db8::/32"]);
    assert.equal(list.allows("192.0.2.7"), true);
    assert.equal(list.allows("192.0.2.8"), false);
    assert.equal(list.allows("10.20.255.1"), true);
    assert.equal(list.allows("10.21.0.1"), false);
    assert.equal(list.allows("::ffff:10.20.1.1"), true);
    assert.equal(list.allows("::1"), true);
    assert.equal(list.allows("2001:db8:ffff::5"), true);
    assert.equal(list.allows("2001:db9::5"), false);
    assert.equal(list.allows("not-an-address"), false);
  });

  test("an empty list allows nobody", () => {
    assert.equal(new PeerAllowList([]).allows("127.0.0.1"), false);
  });

  test("malformed entries are refused with SMTP_CONFIG_INVALID", () => {
    for (const entry of ["10.0.0.0/33", "2001:db8::/129", "example.net", "10.0.0.0/8/8", "10.0.0.0/x"]) {
      assert.throws(() => new PeerAllowList([entry]), { code: "SMTP_CONFIG_INVALID" }, entry);
    }
  });
});
