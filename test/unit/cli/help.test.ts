import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../../../src/cli/index.ts";

const COMMANDS = [
  [],
  ["serve"],
  ["user"],
  ["user", "add"],
  ["user", "list"],
  ["user", "remove"],
  ["user", "passwd"],
  ["user", "recording"],
  ["token"],
  ["token", "create"],
  ["token", "list"],
  ["token", "revoke"],
  ["config"],
  ["config", "check"],
  ["migrate"],
  ["version"],
  ["openapi"],
  ["registrations"],
  ["cdr"],
  ["cdr", "list"],
  ["cdr", "tail"],
  ["emergency"],
  ["emergency", "list"],
  ["emergency", "set"],
  ["emergency", "remove"],
  ["emergency", "audit"],
  ["phone"],
];

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readSecret: async () => "",
    stopSignal: () => new Promise(() => {}),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("parley --help", () => {
  for (const command of COMMANDS) {
    const name = ["parley", ...command].join(" ");
    test(`${name} --help prints its usage and exits 0`, async () => {
      const { code, out, err } = await run([...command, "--help"]);
      assert.equal(code, 0, err);
      assert.match(out, new RegExp(`^Usage: ${name}`));
      assert.match(out, /Options:/);
    });
  }

  test("an unknown command exits non-zero and shows help", async () => {
    const { code, err } = await run(["dial"]);
    assert.notEqual(code, 0);
    assert.match(err, /unknown command 'dial'/);
  });
});
