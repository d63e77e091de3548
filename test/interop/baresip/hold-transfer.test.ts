import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { dominantTone } from "../../support/tone-probe.ts";

const MOH = [440, 554, 659];

/** The dominant tone of each 200 ms window of what a phone heard (silence shows as 0). */
function timeline(samples: Int16Array, candidates: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1600 <= samples.length; i += 1600) {
    const found = dominantTone(samples.subarray(i, i + 1600), 8000, candidates);
    out.push(found.ratio > 4 ? found.frequency : 0);
  }
  return out;
}

async function phone(parley: SipTestNode, extension: string, toneHz: number, seconds: number) {
  const started = await BaresipPhone.start({
    extension,
    password: `pw-${extension}`,
    registrar: parley.target,
    toneHz,
    autoAnswer: true,
    seconds,
  });
  await eventually(
    () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length === 1,
    `${extension} to register`,
  );
  return started;
}

describe("in-call features with baresip phones", () => {
  test("hold plays music on hold to the other party; resume brings back the caller's voice", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const callee = await phone(parley, "1002", 2000, 9);
    t.after(() => callee.kill());
    const caller = await phone(parley, "1001", 1000, 9);
    t.after(() => caller.kill());
    const dialled = await caller.command("dial", `sip:1002@${parley.target}`);
    assert.equal(dialled.ok, true, JSON.stringify(dialled));
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered) === true,
      "the answer",
    );
    await sleep(1500);
    const held = await caller.command("hold");
    assert.equal(held.ok, true, `hold: ${JSON.stringify(held)}\n${caller.output.slice(-1500)}`);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.some((l) => l.held) === true,
      "the hold re-INVITE",
    );
    await sleep(2000);
    const resumed = await caller.command("resume");
    assert.equal(resumed.ok, true, `resume: ${JSON.stringify(resumed)}\n${caller.output.slice(-1500)}`);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.every((l) => !l.held) === true,
      "the resume",
    );
    await sleep(1500);
    await caller.command("hangup");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
    await Promise.all([callee.quit(), caller.quit()]);

    const heard = callee.heard();
    assert.ok(heard, "the callee heard the call");
    const windows = timeline(heard, [1000, 2000, ...MOH]);
    const firstMoh = windows.findIndex((f) => MOH.includes(f));
    const lastMoh = windows.length - 1 - [...windows].reverse().findIndex((f) => MOH.includes(f));
    assert.ok(firstMoh > 0, `music on hold reached the callee: ${windows.join(" ")}`);
    assert.ok(
      windows.slice(0, firstMoh).includes(1000),
      `the caller's tone before the hold: ${windows.join(" ")}`,
    );
    assert.ok(
      windows.slice(lastMoh + 1).includes(1000),
      `the caller's tone after the resume: ${windows.join(" ")}`,
    );
    const notes = new Set(windows.slice(firstMoh, lastMoh + 1).filter((f) => MOH.includes(f)));
    assert.ok(notes.size >= 2, `the hold music has its notes: ${windows.join(" ")}`);
    assert.ok(
      !windows.slice(firstMoh, lastMoh + 1).includes(1000),
      "the held caller is not heard while on hold",
    );
  });

  test("blind transfer (REFER): the transferee is connected to the new party and hears its tone", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002", "1003"]);
    t.after(() => parley.stop());
    const transferor = await phone(parley, "1002", 2000, 12);
    t.after(() => transferor.kill());
    const target = await phone(parley, "1003", 3000, 12);
    t.after(() => target.kill());
    const transferee = await phone(parley, "1001", 1000, 12);
    t.after(() => transferee.kill());
    assert.equal((await transferee.command("dial", `sip:1002@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered) === true,
      "the answer",
    );
    await sleep(1000);
    const refer = await transferor.command("transfer", `sip:1003@${parley.target}`);
    assert.equal(refer.ok, true, JSON.stringify(refer));
    await eventually(
      () =>
        (parley.node.sip.calls.calls[0]?.parties ?? []).filter((l) => l.answered).length === 2 &&
        parley.node.sip.calls.calls[0]?.parties.some((l) => l.ended) === true,
      "the transfer to complete",
    );
    await sleep(2000);
    await transferee.command("hangup");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the call to end");
    await Promise.all([transferor.quit(), target.quit(), transferee.quit()]);

    const atTransferee = transferee.heard();
    const atTarget = target.heard();
    assert.ok(atTransferee && atTarget, "both heard audio");
    const before = timeline(atTransferee, [1000, 2000, 3000]);
    assert.ok(before.includes(2000), `the transferee first heard the transferor: ${before.join(" ")}`);
    const firstTarget = before.indexOf(3000);
    assert.ok(firstTarget > before.indexOf(2000), `then the new party: ${before.join(" ")}`);
    assert.ok(!before.slice(firstTarget).includes(2000), "and no longer the transferor");
    const heardByTarget = timeline(atTarget, [1000, 2000, 3000]);
    assert.ok(
      heardByTarget.filter((f) => f === 1000).length >= 5,
      `the new party hears the transferee: ${heardByTarget.join(" ")}`,
    );
    assert.ok(!heardByTarget.includes(2000), "and never the transferor");
    assert.match(transferor.output, /200 OK|transfer/i);
  });
});

describe("session liveness", () => {
  test("a phone that vanishes (killed, no BYE) is hung up after media.rtp_timeout; the other party gets BYE", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], { PARLEY_MEDIA_RTP_TIMEOUT: "2" });
    t.after(() => parley.stop());
    const callee = await phone(parley, "1002", 2000, 15);
    t.after(() => callee.kill());
    const caller = await phone(parley, "1001", 1000, 15);
    t.after(() => caller.kill());
    assert.equal((await caller.command("dial", `sip:1002@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered) === true,
      "the answer",
    );
    await sleep(500);
    callee.kill();
    await callee.exited();
    await eventually(() => parley.node.sip.calls.calls.length === 0, "Parley to notice the silence", 8000);
    await eventually(() => /terminated|session closed/.test(caller.output), "the caller to get BYE", 5000);
    await parley.node.sip.calls.cdrs?.drain();
    const [cdr] = await parley.node.cdrs.list({});
    assert.equal(cdr?.cause, "MEDIA_TIMEOUT", JSON.stringify(cdr));
    const dead = cdr?.legs.find((l) => l.direction === "outbound");
    assert.equal(dead?.cause, "MEDIA_TIMEOUT");
    assert.equal(parley.node.media.portsInUse, 0, "every RTP port was released");
  });
});

describe("attended transfer", () => {
  test("REFER with Replaces (RFC 5589 §7): the transferee and the target are joined and hear each other; the transferor's calls end", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002", "1003"]);
    t.after(() => parley.stop());
    const transferee = await phone(parley, "1001", 1000, 15);
    t.after(() => transferee.kill());
    const target = await phone(parley, "1003", 3000, 15);
    t.after(() => target.kill());
    const transferor = await StackPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
    });
    t.after(() => transferor.stop());

    const toTransferee = await transferor.call("1001");
    const toTarget = await transferor.call("1003");
    await eventually(() => parley.node.sip.calls.calls.length === 2, "two calls");
    await sleep(500);
    const ended: string[] = [];
    toTransferee.on("terminated", (end) => ended.push(`transferee-dialog:${end.by}`));
    toTarget.on("terminated", (end) => ended.push(`target-dialog:${end.by}`));
    const id = toTarget.dialog.id;
    const replaces = encodeURIComponent(`${id.callId};to-tag=${id.remoteTag};from-tag=${id.localTag}`);
    const refer = await toTransferee.request("REFER", {
      headers: [
        ["Refer-To", `<sip:1003@parley.test?Replaces=${replaces}>`],
        ["Referred-By", "<sip:1002@parley.test>"],
      ],
    });
    assert.equal(refer.status, 202);
    await eventually(() => ended.length === 2, "Parley to hang up both of the transferor's calls");
    assert.deepEqual(ended.sort(), ["target-dialog:remote", "transferee-dialog:remote"]);
    await sleep(2000);
    await transferee.command("hangup");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "every call to end");
    await Promise.all([transferee.quit(), target.quit()]);

    const atTransferee = timeline(transferee.heard() ?? new Int16Array(), [1000, 3000]);
    const atTarget = timeline(target.heard() ?? new Int16Array(), [1000, 3000]);
    assert.ok(
      atTransferee.filter((f) => f === 3000).length >= 5,
      `the transferee hears the target: ${atTransferee.join(" ")}`,
    );
    assert.ok(
      atTarget.filter((f) => f === 1000).length >= 5,
      `the target hears the transferee: ${atTarget.join(" ")}`,
    );
  });

  test("REFER with Replaces naming no dialog here is answered 202, then NOTIFY 481, and the call stays", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"]);
    t.after(() => parley.stop());
    const transferee = await phone(parley, "1001", 1000, 10);
    t.after(() => transferee.kill());
    const transferor = await StackPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
    });
    t.after(() => transferor.stop());
    const session = await transferor.call("1001");
    const refer = await session.request("REFER", {
      headers: [
        ["Refer-To", `<sip:1003@parley.test?Replaces=${encodeURIComponent("nope;to-tag=a;from-tag=b")}>`],
      ],
    });
    assert.equal(refer.status, 202);
    await sleep(500);
    assert.equal(session.terminated, false, "the call is still up");
    assert.equal(
      parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered),
      true,
    );
    await transferee.command("hangup");
  });
});
