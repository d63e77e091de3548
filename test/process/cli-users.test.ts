import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runParley } from "../support/parley-process.ts";

describe("parley CLI: users and tokens", () => {
  test("user list, passwd (from standard input), remove, and token revoke", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-cli-"));
    const generated = await runParley(
      ["user", "add", "2001", "--number", "+15557770001", "--feature", "voicemail"],
      { cwd },
    );
    assert.equal(generated.code, 0, generated.stderr);
    assert.match(generated.stdout, /^SIP password: [A-Za-z0-9_-]{16}$/m);

    const listed = await runParley(["user", "list", "--json"], { cwd });
    const user = JSON.parse(listed.stdout.trim());
    assert.deepEqual(user.phoneNumbers, ["+15557770001"]);
    assert.equal(user.features.voicemail, true);

    const passwd = await runParley(["user", "passwd", "2001"], { cwd, input: "new-secret\n" });
    assert.equal(passwd.code, 0, passwd.stderr);
    assert.match(passwd.stdout, /SIP password changed for 2001/);

    const missing = await runParley(["user", "remove", "9999"], { cwd });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), "parley: no user 9999");
    assert.equal((await runParley(["user", "remove", "2001"], { cwd })).code, 0);
    assert.equal((await runParley(["user", "list"], { cwd })).stdout, "");

    const dup = await runParley(["user", "add", "bad ext"], { cwd });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^parley: extension must be 1 to 64 letters/);

    await runParley(["token", "create", "--admin", "--name", "ci"], { cwd });
    const tokens = await runParley(["token", "list"], { cwd });
    const id = tokens.stdout.split("\t")[0] ?? "";
    assert.match(tokens.stdout, /\tci\tadmin\t/);
    assert.equal((await runParley(["token", "revoke", id], { cwd })).code, 0);
    assert.match((await runParley(["token", "list"], { cwd })).stdout, /revoked /);
    assert.equal((await runParley(["token", "create"], { cwd })).code, 1, "a token needs --admin or --user");
  });
});
