import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone, goertzel, rms } from "../../support/tone-probe.ts";

const TONES = [1000, 2000];

/** The middle of what a phone heard (skips the start of the call and the hang-up). */
function middle(samples: Int16Array): Int16Array {
  const start = Math.floor(samples.length * 0.25);
  return samples.subarray(start, start + Math.min(8000, Math.floor(samples.length / 2)));
}

describe("two baresip phones call each other through Parley", () => {
  test("each hears the other's tone, the callee hangs up, both legs end, one CDR", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      autoAnswer: true,
      seconds: 5,
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
      seconds: 9,
    });
    t.after(() => caller.kill());
    await callee.exited();
    // The callee quit (its BYE); Parley ends the caller's leg with BYE too.
    await eventually(() => /terminated|session closed/.test(caller.output), "the caller's call to end", 5000);
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to be gone", 5000);
    await caller.exited();

    const heardByCallee = callee.heard();
    const heardByCaller = caller.heard();
    assert.ok(heardByCallee && heardByCallee.length > 8000, `the callee heard audio\n${callee.output}`);
    assert.ok(heardByCaller && heardByCaller.length > 8000, `the caller heard audio\n${caller.output}`);
    const atCallee = middle(heardByCallee);
    const atCaller = middle(heardByCaller);
    assert.ok(rms(atCallee) > 0.05 && rms(atCaller) > 0.05, "neither side hears silence");
    assert.equal(dominantTone(atCallee, 8000, TONES).frequency, 1000, "the callee hears the caller's 1 kHz");
    assert.equal(dominantTone(atCaller, 8000, TONES).frequency, 2000, "the caller hears the callee's 2 kHz");
    assert.ok(
      goertzel(atCallee, 8000, 1000) > 10 * goertzel(atCallee, 8000, 2000),
      "the callee hears no echo of its own tone",
    );
    assert.ok(
      goertzel(atCaller, 8000, 2000) > 10 * goertzel(atCaller, 8000, 1000),
      "the caller hears no echo of its own tone",
    );
    await parley.node.sip.calls.cdrs?.drain();
    const cdrs = await parley.node.cdrs.list({});
    assert.equal(cdrs.length, 1, "one call record");
    const cdr = cdrs[0];
    assert.ok(cdr);
    assert.equal(cdr.disposition, "answered");
    assert.equal(cdr.caller, "sip:1001@parley.test");
    assert.equal(cdr.callee, "1002@parley.test");
    assert.equal(cdr.to, "1002");
    assert.equal(cdr.cause, "NORMAL_CLEARING");
    const { startedAt, answeredAt, endedAt } = cdr;
    assert.ok(answeredAt !== undefined && endedAt !== undefined, "answer and end times are set");
    assert.ok(startedAt <= answeredAt && answeredAt <= endedAt, "start ≤ answer ≤ end");
    const seconds = (endedAt - answeredAt) / 1000;
    assert.ok(seconds > 2 && seconds < 6, `talk time ${seconds} s matches the callee's 5 s run`);
    assert.equal(cdr.legs.length, 2, "an inbound and an outbound leg");
    for (const leg of cdr.legs) {
      assert.equal(leg.disposition, "answered", `leg ${leg.direction}`);
      assert.ok(leg.endedAt !== undefined && leg.answeredAt !== undefined);
    }
    assert.deepEqual(cdr.legs.map((l) => l.direction).sort(), ["inbound", "outbound"]);
    const metrics = await (await fetch(`http://127.0.0.1:${parley.node.httpAddress.port}/metrics`)).text();
    assert.match(metrics, /parley_calls_total\{kind="inbound",disposition="answered"\} 1\b/);
    assert.match(metrics, /parley_call_legs_total\{direction="outbound",cause="NORMAL_CLEARING"\} 1\b/);
    assert.match(metrics, /parley_calls_active 0\b/);
    assert.match(callee.output, /Call established/);
    assert.match(caller.output, /Call established/);
  });

  test("a phone on TCP calls a phone on UDP: the INVITE reaches each over its own transport, audio both ways", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const callee = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      autoAnswer: true,
      seconds: 5,
      transport: "udp",
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
      transport: "tcp",
      dial: `sip:1002@${parley.target}`,
      seconds: 9,
    });
    t.after(() => caller.kill());
    await eventually(
      () => parley.node.sip.location.lookup("sip:1001@parley.test")[0]?.source.protocol === "tcp",
      "1001 to register over TCP",
    );
    await callee.exited();
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end", 5000);
    await caller.quit();
    const [cdr] = await parley.node.cdrs.list({});
    assert.equal(
      cdr?.disposition,
      "answered",
      caller.output
        .split("\n")
        .filter((l) => !l.startsWith("["))
        .join("\n"),
    );
    assert.match(cdr?.legs.find((l) => l.direction === "inbound")?.target ?? "", /^tcp:/);
    const atCallee = middle(callee.heard() ?? new Int16Array());
    const atCaller = middle(caller.heard() ?? new Int16Array());
    assert.equal(dominantTone(atCallee, 8000, TONES).frequency, 1000);
    assert.equal(dominantTone(atCaller, 8000, TONES).frequency, 2000);
  });
});
