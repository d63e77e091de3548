import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";

/** The last "video=<tx>/<rx>" figures baresip printed, in bit/s. */
function videoRates(output: string): { tx: number; rx: number } {
  const all = [...output.matchAll(/video=(\d+)\/(\d+)/g)];
  const last = all.at(-1);
  return { tx: Number(last?.[1] ?? 0), rx: Number(last?.[2] ?? 0) };
}

describe("video calls through Parley (pass-through relay)", () => {
  test("two baresip phones with VP8 video: each receives the other's video, and audio still flows", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      autoAnswer: true,
      seconds: 6,
      video: true,
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
      seconds: 10,
      video: true,
      dial: `sip:1002@${parley.target}`,
    });
    t.after(() => caller.kill());
    await callee.exited();
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end", 5000);
    await caller.quit();

    for (const [name, phone] of [
      ["caller", caller],
      ["callee", callee],
    ] as const) {
      assert.match(
        phone.output,
        /video: receiving with resolution 352 x 288/,
        `the ${name} decodes the other's video`,
      );
      const rates = videoRates(phone.output);
      assert.ok(
        rates.rx > 10_000 && rates.tx > 10_000,
        `the ${name}'s video flows both ways: ${JSON.stringify(rates)}`,
      );
    }
    const heard = caller.heard() ?? new Int16Array();
    assert.equal(
      dominantTone(heard.subarray(8000, 16000), 8000, [1000, 2000]).frequency,
      2000,
      "audio as before",
    );
    assert.equal(parley.node.media.portsInUse, 0, "the video ports were released too");
  });

  test("a caller's video is declined (port 0) when the callee answers audio only, and the call works", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      autoAnswer: true,
      seconds: 4,
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
      seconds: 8,
      video: true,
      dial: `sip:1002@${parley.target}`,
    });
    t.after(() => caller.kill());
    await callee.exited();
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end", 5000);
    await caller.quit();
    assert.doesNotMatch(caller.output, /video: receiving with resolution/);
    assert.match(caller.output, /Call established/);
    const heard = caller.heard() ?? new Int16Array();
    assert.equal(dominantTone(heard.subarray(8000, 16000), 8000, [1000, 2000]).frequency, 2000);
    assert.equal(parley.node.media.portsInUse, 0);
  });
});
