import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ringKind } from "../../../src/phone/index.ts";

describe("ringKind (Alert-Info → emergency or normal ring)", () => {
  test("no Alert-Info, the RFC 7462 normal URN and ring-tone URLs ring normal", () => {
    assert.equal(ringKind([]), "normal");
    assert.equal(ringKind(["<urn:alert:service:normal>"]), "normal");
    assert.equal(ringKind(["<http://www.example.com/sounds/moo.wav>"]), "normal");
    assert.equal(ringKind(["<urn:alert:priority:high>"]), "normal");
    assert.equal(ringKind([""]), "normal");
  });

  test("the RFC 7462 URN <urn:alert:service:emergency> rings emergency, in any case and refined", () => {
    assert.equal(ringKind(["<urn:alert:service:emergency>"]), "emergency");
    assert.equal(ringKind(["<URN:Alert:Service:EMERGENCY>"]), "emergency");
    assert.equal(ringKind(["  < urn:alert:service:emergency >  "]), "emergency");
    assert.equal(ringKind(["<urn:alert:service:emergency:fire@example.com>"]), "emergency");
    assert.equal(ringKind(["<urn:alert:service:emergency-test>"]), "normal", "another indication");
    assert.equal(ringKind(["<urn:alert:service:normal:emergency>"]), "normal", "emergency refines normal");
    assert.equal(ringKind(["<urn:alert:source:emergency>"]), "normal", "another category");
  });

  test("the vendor form info=alert-emergency rings emergency, quoted or not, in any case", () => {
    assert.equal(ringKind(["<http://localhost/>;info=alert-emergency"]), "emergency");
    assert.equal(ringKind(["<http://localhost/>; INFO = Alert-Emergency"]), "emergency");
    assert.equal(ringKind(['<http://localhost/>;info="alert-emergency"']), "emergency");
    assert.equal(ringKind(["info=alert-emergency"]), "emergency", "without the URI some phones send");
    assert.equal(ringKind(["<http://localhost/>;info=alert-autoanswer"]), "normal");
    assert.equal(ringKind(["<http://localhost/>;info=alert-emergency-test"]), "normal");
    assert.equal(
      ringKind(["<http://localhost/;info=alert-emergency>"]),
      "normal",
      "a URI parameter is not a header parameter",
    );
  });

  test("any one of several values decides, whether in one header line or several", () => {
    assert.equal(
      ringKind(["<http://example.com/ring.wav>, <urn:alert:service:emergency>"]),
      "emergency",
      "a comma-separated line",
    );
    assert.equal(ringKind(["<urn:alert:service:normal>", "<urn:alert:service:emergency>"]), "emergency");
    assert.equal(
      ringKind(['<http://example.com/a,b.wav>;x="p, q"', "<urn:alert:service:normal>"]),
      "normal",
      "commas inside <> and quotes do not split",
    );
  });

  test("extra markers ring emergency as whole words, case-insensitively; unknown markers do not", () => {
    const markers = ["Bellcore-dr5"];
    assert.equal(ringKind(["<http://127.0.0.1/Bellcore-dr5>"], markers), "emergency");
    assert.equal(ringKind(["<http://127.0.0.1/>;info=bellcore-DR5"], markers), "emergency");
    assert.equal(ringKind(["Bellcore-dr5"], markers), "emergency", "a bare value");
    assert.equal(ringKind(["<http://127.0.0.1/Bellcore-dr5>"]), "normal", "not a marker unless given");
    assert.equal(ringKind(["<http://127.0.0.1/Bellcore-dr50>"], markers), "normal", "not a whole word");
    assert.equal(ringKind(["<http://127.0.0.1/x-Bellcore-dr5>"], markers), "normal", "not a whole word");
    assert.equal(ringKind(["<http://127.0.0.1/Bellcore-dr1>"], markers), "normal");
    assert.equal(
      ringKind(["<http://127.0.0.1/anything>"], ["", "  "]),
      "normal",
      "empty markers match nothing",
    );
  });

  test("property: random header values and markers never throw and give one of the two rings", () => {
    const value = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc
        .tuple(fc.constantFrom("<", "", '"', ";", ",", ">", "="), fc.string({ maxLength: 30 }))
        .map(([a, b]) => `${a}${b}${a}`),
    );
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 5 }),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
        (values, markers) => {
          const ring = ringKind(values, markers);
          assert.ok(ring === "emergency" || ring === "normal");
          // Adding the RFC 7462 URN to any header makes it an emergency ring.
          assert.equal(ringKind([...values, "<urn:alert:service:emergency>"], markers), "emergency");
        },
      ),
      { numRuns: 500 },
    );
  });
});
