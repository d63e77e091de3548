import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runParley } from "../support/parley-process.ts";

function workdir(toml?: string): string {
  const cwd = mkdtempSync(join(tmpdir(), "parley-badcfg-"));
  if (toml !== undefined) writeFileSync(join(cwd, "parley.toml"), toml);
  return cwd;
}

/** The start fails with exit code 78 (EX_CONFIG) and exactly one line on stderr. */
async function failedStart(cwd: string, args: string[] = [], env: Record<string, string> = {}) {
  const result = await runParley([...args, "serve"], {
    cwd,
    env: { PARLEY_HTTP_PORT: "0", PARLEY_SIP_PORT: undefined, ...env },
    timeoutMs: 20_000,
  });
  assert.equal(result.code, 78, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "", "nothing starts, nothing is logged");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  return lines[0] ?? "";
}

describe("a bad configuration stops the start", () => {
  test('sip.port = "abc" names the key, the value, the file and the allowed range', async () => {
    const cwd = workdir('[sip]\nport = "abc"\n');
    assert.equal(
      await failedStart(cwd),
      `parley: config error: sip.port = "abc" (in ${join(cwd, "parley.toml")}): must be an integer from 0 to 65535`,
    );
  });

  test("an unknown key is named, with the closest known key", async () => {
    const cwd = workdir('[database]\nulr = "sqlite:x.db"\n');
    assert.equal(
      await failedStart(cwd),
      `parley: config error: unknown key database.ulr in ${join(cwd, "parley.toml")} (did you mean database.url?)`,
    );
  });

  test("an unreadable configuration file is named with the reason", async () => {
    const cwd = workdir();
    assert.equal(
      await failedStart(cwd, ["--config", "nowhere.toml"]),
      `parley: config error: cannot read the file given by --config or PARLEY_CONFIG ${join(cwd, "nowhere.toml")}: ENOENT`,
    );
    assert.match(await failedStart(cwd, [], { PARLEY_CONFIG: cwd }), /cannot read .*: EISDIR$/);
  });

  test('recording.storage = "s3" without recording.s3_bucket names the key', async () => {
    assert.equal(
      await failedStart(workdir('[recording]\nstorage = "s3"\n')),
      'parley: config error: recording.s3_bucket is empty: recording.storage = "s3" needs the bucket recordings go to',
    );
  });

  test("a bad environment override names the variable", async () => {
    assert.equal(
      await failedStart(workdir(), [], { PARLEY_SIP_PORT: "abc" }),
      'parley: config error: sip.port = "abc" (from PARLEY_SIP_PORT): must be an integer from 0 to 65535',
    );
  });
});
