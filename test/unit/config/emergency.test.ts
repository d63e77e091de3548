import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../../src/config/index.ts";

function load(toml: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "parley-emergency-"));
  writeFileSync(join(dir, "parley.toml"), toml);
  return loadConfig({ cwd: dir, env });
}

test("[[emergency_numbers]] and [[phone_profiles]] load with their defaults", () => {
  const { config } = load(`
[[emergency_numbers]]
number = "112"
users = ["1002", "1003@branch.example.com"]

[[phone_profiles]]
name = "yealink"
user_agent = "Yealink"
alert_info = "<http://localhost/>;info=alert-emergency"
`);
  assert.deepEqual(config.emergency_numbers, [
    {
      number: "112",
      users: ["1002", "1003@branch.example.com"],
      label: "",
      priority: 1,
      record: false,
      announcement: true,
      ring_timeout: 30,
      retries: 1,
      resource_priority: "esnet.0",
    },
  ]);
  assert.deepEqual(config.phone_profiles, [
    {
      name: "yealink",
      user_agent: "Yealink",
      users: [],
      alert_info: "<http://localhost/>;info=alert-emergency",
    },
  ]);
  assert.equal(config.emergency.busy_callee, "preempt");
  assert.equal(config.calls.normal_alert_info, "");
});

test("a bad emergency entry gets one line naming the entry, the key and the rule", () => {
  assert.throws(() => load('[[emergency_numbers]]\nnumber = "112"\nusers = ["1002"]\npriority = 12\n'), {
    message: "config error: emergency_numbers[0].priority = 12: must be an integer from 1 to 9",
  });
  assert.throws(() => load('[[emergency_numbers]]\nnumber = "112"\n'), {
    message: "config error: emergency_numbers[0].users is missing",
  });
  assert.throws(
    () =>
      load(
        '[[emergency_numbers]]\nnumber = "112"\nusers = ["1002"]\n[[emergency_numbers]]\nnumber = "112"\nusers = ["1003"]\n',
      ),
    {
      message: 'config error: emergency_numbers[1].number "112" is used twice',
    },
  );
  assert.throws(() => load('[[phone_profiles]]\nname = "x"\nalert_info = "<x>"\nuseragent = "Yealink"\n'), {
    message: "config error: unknown key phone_profiles[0].useragent (did you mean user_agent?)",
  });
  assert.throws(
    () => load("", { PARLEY_EMERGENCY_BUSY_CALLEE: "hang-up" }),
    /emergency\.busy_callee = "hang-up"/,
  );
});
