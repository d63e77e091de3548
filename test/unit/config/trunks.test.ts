import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../../src/config/index.ts";

function load(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), "parley-trunks-"));
  writeFileSync(join(dir, "parley.toml"), toml);
  return loadConfig({ cwd: dir, env: {} });
}

const trunk = (extra: string) => `[[trunks]]\nname = "carrier"\nhost = "192.0.2.10"\n${extra}\n`;

test("[[trunks]] entries load with their defaults", () => {
  const { config } = load(trunk('prefixes = ["+49", "+4930"]\nregister = true'));
  assert.equal(config.trunks.length, 1);
  assert.deepEqual(config.trunks[0], {
    name: "carrier",
    host: "192.0.2.10",
    port: 5060,
    transport: "udp",
    username: "",
    password: "",
    register: true,
    register_expires: 3600,
    prefixes: ["+49", "+4930"],
    strip: 0,
    prepend: "",
    caller_id: "",
    from_domain: "",
  });
  assert.deepEqual(load("").config.trunks, []);
});

test("a bad trunk key gets one line naming the entry, the key and the rule", () => {
  assert.throws(() => load(trunk('port = "x"')), {
    message: 'config error: trunks[0].port = "x": must be an integer from 1 to 65535',
  });
  assert.throws(() => load(trunk('transport = "sctp"')), {
    message: /^config error: trunks\[0\]\.transport = "sctp": must be one of "udp", "tcp"$/,
  });
  assert.throws(() => load(trunk("prot = 5060")), {
    message: /^config error: unknown key trunks\[0\]\.prot \(did you mean port\?\)$/,
  });
  assert.throws(() => load('[[trunks]]\nname = "x"\n'), {
    message: /^config error: trunks\[0\]\.host is missing$/,
  });
  assert.throws(() => load(trunk("") + trunk("")), {
    message: /^config error: trunks\[1\]\.name "carrier" is used twice$/,
  });
  assert.throws(() => load(trunk('prefixes = ["49a"]')), {
    message: /^config error: trunks\[0\]\.prefixes = \["49a"\]: must be a list of/,
  });
});
