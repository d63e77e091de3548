import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { readWav, WavWriter } from "../../../src/media/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone, goertzel } from "../../support/tone-probe.ts";

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

/** A timeline of the dominant tone per 200 ms window (0 for no clear tone). */
function timeline(samples: Int16Array, candidates: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1600 <= samples.length; i += 1600) {
    const found = dominantTone(samples.subarray(i, i + 1600), 8000, candidates);
    out.push(found.ratio > 4 ? found.frequency : 0);
  }
  return out;
}

describe("automatic call recording (service 1) with baresip phones", () => {
  test("the callee subscribes: the call is recorded, caller (1 kHz) left, callee (2 kHz) right, as long as the talk time", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const hooks: Array<{ signature: string; body: string }> = [];
    const receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        hooks.push({ signature: String(request.headers["x-parley-signature"]), body });
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    t.after(() => receiver.close());
    const parley = await startSipTestNode(["1001", "1002"], {
      PARLEY_RECORDING_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/recordings`,
      PARLEY_RECORDING_WEBHOOK_SECRET: "hook-secret",
    });
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

    await eventually(() => hooks.length === 1, "the webhook");
    const [hook] = hooks;
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hook?.signature ?? "");
    assert.ok(match, "signed");
    assert.equal(
      match[2],
      createHmac("sha256", "hook-secret").update(`${match[1]}.${hook?.body}`).digest("hex"),
    );
    const event = JSON.parse(hook?.body ?? "{}") as {
      type: string;
      recording: { id: string; durationMs: number };
    };
    assert.equal(event.type, "recording.saved");
    assert.equal(event.recording.id, row.id);
    assert.equal(event.recording.durationMs, row.durationMs, "the event carries the right duration");
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

describe("on-demand recording and ring-back tones (service 1) with baresip phones", () => {
  test("*1 … *1 records exactly the span between the two codes, without a subscription", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      autoAnswer: true,
      seconds: 15,
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
      seconds: 15,
    });
    t.after(() => caller.kill());
    assert.equal((await caller.command("dial", `sip:1002@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered) === true,
      "the answer",
    );
    await sleep(1000);
    const sendCode = async () => {
      await caller.command("sndcode", "*");
      await sleep(200);
      await caller.command("sndcode", "1");
    };
    await sendCode();
    await eventually(() => parley.node.recording.active === 1, "the recording to start on *1");
    const started = Date.now();
    await sleep(2500);
    await sendCode();
    await eventually(() => parley.node.recording.active === 0, "the recording to stop on the second *1");
    const span = Date.now() - started;
    await sleep(1000);
    await caller.command("hangup");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
    await eventually(async () => (await recordings(parley))[0]?.status === "saved", "the row");
    const [row] = await recordings(parley);
    assert.equal(row?.reason, "on-demand");
    const wav = readWav(join(parley.node.config.recording.dir, row?.path ?? ""));
    const fileMs = (wav.samples[0]?.length ?? 0) / 8;
    assert.ok(
      Math.abs(fileMs - span) <= 400,
      `the file (${fileMs} ms) covers the span between the codes (${span} ms)`,
    );
    assert.ok(Math.abs((row?.durationMs ?? 0) - fileMs) <= 20);
    await Promise.all([caller.quit(), callee.quit()]);
  });

  test("a callee's personal ring-back tone: the caller gets 183 and hears 600 Hz while it rings, then the callee", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const dir = join(parley.node.config.data_dir, "ringback");
    mkdirSync(dir, { recursive: true });
    const tone = new WavWriter(join(dir, "1002@parley.test.wav"), { sampleRate: 8000, channels: 1 });
    const frame = new Int16Array(160);
    for (let n = 0; n < 100; n++) {
      for (let i = 0; i < 160; i++)
        frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 600 * (n * 160 + i)) / 8000));
      tone.write(frame);
    }
    tone.close();
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      seconds: 15,
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
      seconds: 15,
    });
    t.after(() => caller.kill());
    assert.equal((await caller.command("dial", `sip:1002@${parley.target}`)).ok, true);
    await eventually(
      () => /Incoming call/i.test(callee.output) || /ringing/i.test(callee.output),
      "the callee to ring",
    );
    await sleep(2500);
    assert.equal((await callee.command("accept")).ok, true);
    await sleep(2500);
    await caller.command("hangup");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
    await Promise.all([caller.quit(), callee.quit()]);
    assert.match(caller.output, /183 Session Progress/);
    const windows = timeline(caller.heard() ?? new Int16Array(), [600, 2000]);
    const first600 = windows.indexOf(600);
    const first2000 = windows.indexOf(2000);
    assert.ok(
      first600 >= 0 && windows.filter((f) => f === 600).length >= 5,
      `the ring-back tone: ${windows.join(" ")}`,
    );
    assert.ok(first2000 > first600, `then the callee: ${windows.join(" ")}`);
    assert.ok(!windows.slice(first2000).includes(600), "no ring-back after the answer");
  });
});
