import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readWav } from "../../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { goertzel } from "../../support/tone-probe.ts";

async function subscribe(parley: SipTestNode, extension: string): Promise<void> {
  const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
  const { users } = (await (await fetch(`${parley.api}/users`, { headers })).json()) as {
    users: Array<{ id: string; extension: string }>;
  };
  const user = users.find((u) => u.extension === extension);
  assert.ok(user);
  const patched = await fetch(`${parley.api}/users/${user.id}`, {
    method: "PATCH",
    headers,
    body: JSON.stringify({ features: { recording: true } }),
  });
  assert.equal(patched.status, 200, await patched.text());
}

/** One call 1001 (1 kHz) → 1002 (2 kHz), answered at once; the callee quits after `seconds`. */
async function call(t: import("node:test").TestContext, parley: SipTestNode, seconds: number) {
  const callee = await BaresipPhone.start({
    extension: "1002",
    password: "pw-1002",
    registrar: parley.target,
    toneHz: 2000,
    autoAnswer: true,
    seconds,
  });
  t.after(() => callee.kill());
  await eventually(
    () => parley.node.sip.location.lookup("sip:1002@parley.test").length === 1,
    "1002 to register",
  );
  const caller = await BaresipPhone.start({
    extension: "1001",
    password: "pw-1001",
    registrar: parley.target,
    toneHz: 1000,
    dial: `sip:1002@${parley.target}`,
    seconds: seconds + 4,
  });
  t.after(() => caller.kill());
  await callee.exited();
  await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end", 5000);
  await caller.quit();
  await parley.node.sip.calls.cdrs?.drain();
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".wav"));
}

describe("automatic call recording (service 1) with baresip phones", () => {
  test("the callee subscribes: the call is recorded, caller (1 kHz) left, callee (2 kHz) right, as long as the talk time", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    await subscribe(parley, "1002");
    await call(t, parley, 5);
    await eventually(() => parley.node.recording.active === 0, "the recording to close");
    const [cdr] = await parley.node.cdrs.list({});
    assert.ok(cdr?.answeredAt && cdr.endedAt);
    await eventually(async () => (await recordings(parley))[0]?.status === "saved", "the row to be saved");
    const [row] = await recordings(parley);
    assert.ok(row);
    assert.equal(row.callId, cdr.id, "linked to the CDR");
    assert.equal(row.reason, "callee");
    assert.deepEqual(row.owners.sort(), ["1001@parley.test", "1002@parley.test"]);
    const dir = parley.node.config.recording.dir;
    const wav = readWav(join(dir, row.path));
    assert.equal(wav.channels, 2);
    const talkMs = cdr.endedAt - cdr.answeredAt;
    const fileMs = (wav.samples[0]?.length ?? 0) / 8;
    assert.ok(Math.abs(fileMs - talkMs) <= 100, `file ${fileMs} ms vs talk time ${talkMs} ms`);
    assert.equal(row.durationMs, Math.round(fileMs), "the row's duration is the file's");
    const middle = (channel: Int16Array) => channel.subarray(8000, 16000);
    const left = middle(wav.samples[0] ?? new Int16Array());
    const right = middle(wav.samples[1] ?? new Int16Array());
    assert.ok(goertzel(left, 8000, 1000) > 20 * goertzel(left, 8000, 2000), "left: the caller's 1 kHz");
    assert.ok(goertzel(right, 8000, 2000) > 20 * goertzel(right, 8000, 1000), "right: the callee's 2 kHz");
    assert.match(row.sha256 ?? "", /^[0-9a-f]{64}$/);
  });

  test("nobody subscribes: no file and no row", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    await call(t, parley, 3);
    const [cdr] = await parley.node.cdrs.list({});
    assert.equal(cdr?.disposition, "answered", "the call happened");
    assert.deepEqual(files(parley.node.config.recording.dir), []);
    assert.deepEqual(await recordings(parley), []);
  });
});

async function recordings(parley: SipTestNode) {
  return parley.node.recording.store.list({});
}
