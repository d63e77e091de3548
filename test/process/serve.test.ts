import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ParleyProcess, REPO_ROOT } from "../support/parley-process.ts";

/** Waits for the process to exit, failing after `ms` (the shutdown bound promised to operators). */
async function exitWithin(proc: ParleyProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running ${ms} ms after the signal:\n${proc.transcript()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([proc.exited, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe("parley serve", () => {
  test("npm start runs the server on embedded defaults; Ctrl-C stops it with exit code 0 within 5 s", async (t) => {
    const start = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).scripts.start;
    assert.equal(start, "exec node bin/parley.js serve", "npm start is the documented serve command");
    const dataDir = mkdtempSync(join(tmpdir(), "parley-npm-start-"));
    const proc = ParleyProcess.start({
      cwd: REPO_ROOT,
      command: ["npm", "start", "--silent"],
      env: { PARLEY_HTTP_PORT: "0", PARLEY_DATA_DIR: dataDir },
    });
    t.after(() => proc.kill());
    const port = await proc.httpPort();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    assert.ok(existsSync(join(dataDir, "parley.db")), "the SQLite database is created under data_dir");

    proc.signalGroup("SIGINT");
    const { code } = await exitWithin(proc, 5000);
    assert.equal(code, 0, proc.transcript());
    assert.ok(
      proc.lines.some((l) => l.msg === "stopped"),
      "the node logs a clean stop",
    );
  });

  test("in a fresh working directory it creates ./var/parley.db and answers /readyz; SIGTERM exits 0", async (t) => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-fresh-"));
    const proc = ParleyProcess.start({ cwd, env: { PARLEY_HTTP_PORT: "0" } });
    t.after(() => proc.kill());
    const port = await proc.httpPort();
    assert.ok(existsSync(join(cwd, "var", "parley.db")));
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    const running = proc.lines.find((l) => l.msg === "parley running");
    assert.equal(typeof running?.pid, "number", "log lines are JSON with the process id");
    proc.signalGroup("SIGTERM");
    const { code } = await exitWithin(proc, 5000);
    assert.equal(code, 0, proc.transcript());
  });

  test("a port already in use fails the start with a clear line and a non-zero exit", async (t) => {
    const cwd = mkdtempSync(join(tmpdir(), "parley-busy-"));
    const first = ParleyProcess.start({
      cwd,
      env: { PARLEY_HTTP_PORT: "0", PARLEY_DATA_DIR: join(cwd, "a") },
    });
    t.after(() => first.kill());
    const port = await first.httpPort();
    const second = ParleyProcess.start({
      cwd,
      env: { PARLEY_HTTP_PORT: String(port), PARLEY_DATA_DIR: join(cwd, "b") },
    });
    t.after(() => second.kill());
    const { code } = await exitWithin(second, 15_000);
    assert.notEqual(code, 0);
    assert.match(
      second.transcript(),
      new RegExp(
        `^parley: cannot listen for HTTP on 127.0.0.1:${port} \\(http.host, http.port\\): the address is already in use$`,
        "m",
      ),
    );
  });
});
