import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { readWav } from "../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../support/baresip.ts";
import { eventually } from "../support/call-peers.ts";
import { ParleyProcess, runParley } from "../support/parley-process.ts";
import { missingPeer } from "../support/peers.ts";

describe("a crash mid-call leaves consistent call records", () => {
  test("SIGKILL during an answered call: at the next start the CDR is completed as interrupted", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const cwd = mkdtempSync(join(tmpdir(), "parley-call-crash-"));
    const env = { PARLEY_SIP_HOST: "127.0.0.1", PARLEY_SIP_DOMAIN: "parley.test", PARLEY_HTTP_PORT: "0" };
    for (const extension of ["1001", "1002"]) {
      // The callee subscribes to recording, so the crash also hits a recording in progress.
      const features = extension === "1002" ? ["--feature", "recording"] : [];
      const added = await runParley(
        ["user", "add", extension, "--password", `pw-${extension}`, ...features],
        {
          cwd,
          env,
        },
      );
      assert.equal(added.code, 0, added.stderr);
    }
    const first = ParleyProcess.start({ cwd, env });
    t.after(() => first.kill());
    const running = await first.waitForLine((l) => l.msg === "parley running");
    const target = `127.0.0.1:${(running.sip as { udp: number }).udp}`;

    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: target,
      toneHz: 2000,
      autoAnswer: true,
      seconds: 20,
    });
    t.after(() => callee.kill());
    await eventually(
      () => /1002@127\.0\.0\.1: \{0\/UDP\/v4\} 200 OK/.test(callee.output),
      "1002 to register",
    );
    const caller = await BaresipPhone.start({
      extension: "1001",
      password: "pw-1001",
      registrar: target,
      toneHz: 1000,
      seconds: 20,
      dial: `sip:1002@${target}`,
    });
    t.after(() => caller.kill());
    await eventually(
      () => /Call established/.test(caller.output) && /Call established/.test(callee.output),
      "the answer",
    );
    await first.waitForLine((l) => l.msg === "placing call");
    await first.waitForLine((l) => l.msg === "recording started");
    const answeredAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const killedAt = Date.now();
    first.signalGroup("SIGKILL");
    const { signal } = await first.exited;
    assert.equal(signal, "SIGKILL");
    caller.kill();
    callee.kill();

    const second = ParleyProcess.start({ cwd, env });
    t.after(() => second.kill());
    const completed = await second.waitForLine(
      (l) => l.msg === "call records of interrupted calls completed",
    );
    assert.equal(completed.calls, 1);
    await second.waitForLine((l) => l.msg === "parley running");
    await second.kill();

    const listed = await runParley(["cdr", "list", "--json"], { cwd, env });
    assert.equal(listed.code, 0, listed.stderr);
    const records = listed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown> & { legs: Array<Record<string, unknown>> });
    assert.equal(records.length, 1, listed.stdout);
    const cdr = records[0];
    assert.ok(cdr);
    assert.equal(cdr.disposition, "interrupted");
    assert.equal(cdr.caller, "sip:1001@parley.test");
    assert.ok(cdr.answeredAt, "the answer was recorded before the crash");
    assert.ok(String(cdr.endedAt) >= String(cdr.answeredAt), "the end is the last time the record knew of");
    assert.equal(cdr.legs.length, 2);
    for (const leg of cdr.legs) {
      assert.equal(leg.disposition, "interrupted");
      assert.ok(leg.answeredAt, `leg ${leg.direction} was answered`);
    }

    // The recording: its row is closed as interrupted, and the file plays up to the kill (the
    // WAV header is rewritten every second, so at most the last second is missing).
    const db = new BetterSqlite3(join(cwd, "var", "parley.db"), { readonly: true });
    t.after(() => db.close());
    const rows = db.prepare("select * from recordings").all() as Array<Record<string, unknown>>;
    assert.equal(rows.length, 1);
    const row = rows[0] as {
      call_id: string;
      status: string;
      path: string;
      duration_ms: number;
      size_bytes: number;
      sha256: string;
    };
    assert.equal(row.status, "interrupted");
    assert.equal(row.call_id, cdr.id, "linked to the CDR");
    const file = join(cwd, "var", "recordings", row.path);
    const wav = readWav(file);
    const playedMs = (wav.samples[0]?.length ?? 0) / 8;
    const heldMs = killedAt - answeredAt;
    assert.ok(
      playedMs >= heldMs - 1500 && playedMs <= heldMs + 500,
      `the file plays ${playedMs} ms of a ${heldMs} ms call`,
    );
    assert.equal(row.duration_ms, Math.round(playedMs), "the row's length is the file's");
    assert.equal(row.size_bytes, statSync(file).size);
    assert.equal(row.sha256, createHash("sha256").update(readFileSync(file)).digest("hex"));
  });
});
