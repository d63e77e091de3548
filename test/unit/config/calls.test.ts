import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../../src/config/index.ts";

const load = (env: Record<string, string>) => loadConfig({ cwd: "/nonexistent-parley-dir", env }).config;

test("calls.session_timer is 0 (off) or at least 90 s, RFC 4028's Min-SE", () => {
  assert.equal(load({}).calls.session_timer, 0);
  assert.equal(load({ PARLEY_CALLS_SESSION_TIMER: "1800" }).calls.session_timer, 1800);
  assert.throws(() => load({ PARLEY_CALLS_SESSION_TIMER: "30" }), {
    message: "config error: calls.session_timer = 30: must be 0 or at least 90 (RFC 4028 Min-SE)",
  });
});

test("calls.feature_codes takes name=digits pairs from the environment and refuses other digits", () => {
  assert.deepEqual(load({ PARLEY_CALLS_FEATURE_CODES: "record-toggle=*9, park=#7" }).calls.feature_codes, {
    "record-toggle": "*9",
    park: "#7",
  });
  assert.throws(() => load({ PARLEY_CALLS_FEATURE_CODES: "record-toggle=x" }), {
    message:
      /^config error: calls\.feature_codes = \{"record-toggle":"x"\} \(from PARLEY_CALLS_FEATURE_CODES\): must be a table of feature name = digits/,
  });
});
