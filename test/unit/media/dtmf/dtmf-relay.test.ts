import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  buildDtmfBody,
  buildDtmfRelay,
  DTMF_DIGITS,
  DTMF_RELAY_DEFAULT_DURATION_MS,
  DtmfParseError,
  parseDtmfBody,
  parseDtmfRelay,
} from "../../../../src/media/index.ts";

describe("application/dtmf-relay", () => {
  test("buildDtmfRelay writes Signal and Duration lines ending in CRLF", () => {
    assert.equal(buildDtmfRelay({ digit: "5", durationMs: 160 }), "Signal=5\r\nDuration=160\r\n");
    assert.equal(buildDtmfRelay({ digit: "c", durationMs: 250 }), "Signal=C\r\nDuration=250\r\n");
  });

  test("parseDtmfRelay reads the body buildDtmfRelay writes, for every digit and duration", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTMF_DIGITS),
        fc.integer({ min: 1, max: 60_000 }),
        (digit, durationMs) => {
          assert.deepEqual(parseDtmfRelay(buildDtmfRelay({ digit, durationMs })), { digit, durationMs });
        },
      ),
    );
  });

  test("parseDtmfRelay accepts LF lines, spaces, any key case, bytes, unknown keys and numeric * #", () => {
    assert.deepEqual(parseDtmfRelay("signal = #\nDURATION= 100\n"), { digit: "#", durationMs: 100 });
    assert.deepEqual(parseDtmfRelay(Buffer.from("Signal=*\r\nDuration=80\r\n")), {
      digit: "*",
      durationMs: 80,
    });
    assert.deepEqual(parseDtmfRelay("Signal=10\r\nDuration=80\r\nVolume=10\r\n"), {
      digit: "*",
      durationMs: 80,
    });
    assert.deepEqual(parseDtmfRelay("Signal=11\r\nDuration=80"), { digit: "#", durationMs: 80 });
    assert.deepEqual(parseDtmfRelay("Signal=d\r\n"), {
      digit: "D",
      durationMs: DTMF_RELAY_DEFAULT_DURATION_MS,
    });
  });

  test("parseDtmfRelay rejects malformed bodies with a DtmfParseError", () => {
    const bad = [
      "",
      "Duration=160\r\n",
      "Signal=\r\nDuration=160\r\n",
      "Signal=E\r\nDuration=160\r\n",
      "Signal=55\r\nDuration=160\r\n",
      "Signal=16\r\nDuration=160\r\n",
      "Signal=5\r\nDuration=abc\r\n",
      "Signal=5\r\nDuration=-5\r\n",
      "Signal=5\r\nDuration=0\r\n",
      "Signal=5\r\nDuration=1.5\r\n",
      "Signal=5\r\nDuration=9999999\r\n",
      "Signal=5\r\nSignal=6\r\n",
      "Signal=5\r\nDuration=100\r\nDuration=100\r\n",
      "Signal 5\r\n",
      "=5\r\n",
    ];
    for (const body of bad) {
      assert.throws(() => parseDtmfRelay(body), DtmfParseError, JSON.stringify(body));
    }
  });

  test("buildDtmfRelay refuses a non-digit or a bad duration", () => {
    assert.throws(() => buildDtmfRelay({ digit: "x", durationMs: 100 }), RangeError);
    assert.throws(() => buildDtmfRelay({ digit: "1", durationMs: 0 }), RangeError);
    assert.throws(() => buildDtmfRelay({ digit: "1", durationMs: 10.5 }), RangeError);
  });
});

describe("application/dtmf", () => {
  test("buildDtmfBody writes the bare digit and parseDtmfBody reads it back", () => {
    for (const digit of DTMF_DIGITS) {
      assert.equal(buildDtmfBody(digit), digit);
      assert.equal(parseDtmfBody(buildDtmfBody(digit)), digit);
    }
    assert.equal(parseDtmfBody("7\r\n"), "7");
    assert.equal(parseDtmfBody(Buffer.from(" a ")), "A");
  });

  test("parseDtmfBody rejects empty, multi-character and non-digit bodies", () => {
    for (const body of ["", "\r\n", "12", "E", "Signal=5", "x"]) {
      assert.throws(() => parseDtmfBody(body), DtmfParseError, JSON.stringify(body));
    }
    assert.throws(() => buildDtmfBody("!"), RangeError);
  });
});
