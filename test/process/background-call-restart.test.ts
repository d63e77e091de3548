import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { eventually } from "../support/call-peers.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";

test("SIGKILL while a background call waits between attempts: after the restart the job goes on with the next attempt", async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), "parley-callback-crash-"));
  const env = {
    PARLEY_SIP_HOST: "127.0.0.1",
    PARLEY_SIP_DOMAIN: "parley.test",
    PARLEY_HTTP_PORT: "0",
    PARLEY_BACKGROUND_CALL_AMD: "false",
  };
  for (const extension of ["1001", "1002"]) {
    const added = await runParley(["user", "add", extension, "--feature", "background-call"], { cwd, env });
    assert.equal(added.code, 0, added.stderr);
  }
  const token = (await runParley(["token", "create", "--admin"], { cwd, env })).stdout.trim();
  const api = async (port: number, method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  const first = ParleyProcess.start({ cwd, env });
  t.after(() => first.kill());
  const port1 = await first.httpPort();
  // 1002 has no phone registered: each attempt fails at once, then the job waits 4 s.
  const job = await api(port1, "POST", "/background-calls", {
    caller: "1001@parley.test",
    callee: "1002",
    retryIntervalSeconds: 4,
  });
  const id = job.id as string;
  await eventually(async () => {
    const now = await api(port1, "GET", `/background-calls/${id}`);
    return now.attempts === 1 && now.nextAttemptAt !== undefined;
  }, "the first attempt, then the wait");
  first.signalGroup("SIGKILL");
  assert.equal((await first.exited).signal, "SIGKILL");

  const second = ParleyProcess.start({ cwd, env });
  t.after(() => second.kill());
  const port2 = await second.httpPort();
  await eventually(
    async () => ((await api(port2, "GET", `/background-calls/${id}`)).attempts as number) >= 2,
    "the next attempt after the restart",
    15_000,
  );
  const after = await api(port2, "GET", `/background-calls/${id}`);
  assert.equal(after.state, "trying");
  const events = (after.log as Array<{ event: string }>).map((e) => e.event);
  assert.deepEqual(events.slice(0, 5), ["started", "trying", "attempt", "not answered", "attempt"]);
  await api(port2, "DELETE", `/background-calls/${id}`);
});
