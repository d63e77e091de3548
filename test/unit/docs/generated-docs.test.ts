import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../../src/config/index.ts";
import { generatedDocs } from "../../support/generated-docs.ts";
import { REPO_ROOT } from "../../support/parley-process.ts";

test("parley.example.toml, the configuration key table and docs/openapi.json match the code (npm run docs)", async () => {
  for (const { path, expected } of await generatedDocs()) {
    const current = readFileSync(path, "utf8");
    assert.ok(current === expected, `${relative(REPO_ROOT, path)} is stale: run npm run docs`);
  }
});

test("parley.example.toml with every key uncommented loads, and equals the defaults", () => {
  const example = readFileSync(join(REPO_ROOT, "parley.example.toml"), "utf8");
  const uncommented = example.replace(/^# ([a-z_]+ = .*)$/gm, "$1");
  assert.notEqual(uncommented, example);
  const dir = mkdtempSync(join(tmpdir(), "parley-example-"));
  writeFileSync(join(dir, "full.toml"), uncommented);
  writeFileSync(join(dir, "empty.toml"), "");
  const full = loadConfig({ cwd: dir, env: {}, path: "full.toml" }).config;
  const defaults = loadConfig({ cwd: dir, env: {}, path: "empty.toml" }).config;
  assert.deepEqual(full, defaults);
});
