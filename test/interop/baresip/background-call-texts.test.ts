import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BARESIP_HOW_TO_GET, HAS_BARESIP } from "../../support/baresip.ts";
import { BaresipTextPhone } from "../../support/baresip-text-phone.ts";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { findPrompt } from "../../support/prompt-match.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { adminApi } from "../../support/voicemail.ts";

const FEATURES = { features: { backgroundCall: true } };

async function registered(parley: SipTestNode, extension: string): Promise<void> {
  await eventually(
    () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length === 1,
    `${extension} to register`,
  );
}

/** Calls that ended on the phone (baresip prints "<peer>: session closed: <why>" for each, failed or not). */
const ended = (phone: BaresipTextPhone) => phone.log.split(/: session closed: /).length - 1;

describe("background calls from a baresip phone: the offer by text, YES, *56 and STOP", () => {
  test("three unanswered calls to the same user bring exactly one offer text; a fourth brings none; YES starts a job with origin offer", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], {}, FEATURES);
    t.after(() => parley.stop());
    const parleyUri = `sip:parley@${parley.target}`;
    const alice = await BaresipTextPhone.start(t, {
      extension: "1001",
      registrar: parley.target,
      contacts: [parleyUri],
    });
    // 1002's phone is busy: every call gets 486.
    const bob = await StackPhone.start({ extension: "1002", password: "pw-1002", registrar: parley.target });
    t.after(() => bob.stop());
    bob.answerCalls();
    bob.mode = 486;
    await bindContact(parley.node, "1002", bob.port);
    await registered(parley, "1001");

    for (let call = 1; call <= 4; call++) {
      const dialled = await alice.command("dial", `sip:1002@${parley.target}`);
      assert.ok(dialled.ok, dialled.data);
      await eventually(() => ended(alice) === call, `call ${call} to end on the phone`);
      assert.equal(bob.invites.length, call, "each call reached the busy phone");
      if (call === 3) await eventually(() => alice.texts().length === 1, "the offer after the third call");
      if (call < 3) assert.equal(alice.texts().length, 0, `no offer after ${call} call(s)`);
    }
    assert.equal(alice.log.split("session closed: 486 Busy Here").length - 1, 4, "each call ended busy");

    // YES at the service's address; Parley's answer is the next text, so every text sent after
    // the fourth call has arrived by then.
    await alice.text(parleyUri, "YES");
    await eventually(() => alice.texts().length >= 2, "Parley's answer to YES");
    assert.deepEqual(alice.texts(), [
      {
        from: "sip:parley@parley.test",
        text: "1002 did not answer 3 times. Reply YES to have Parley keep trying.",
      },
      { from: "sip:parley@parley.test", text: "Parley keeps trying 1002 and calls you back." },
    ]);
    const listed = await adminApi(parley, "GET", "/background-calls?caller=1001@parley.test");
    assert.equal(listed.status, 200);
    const jobs = listed.body?.backgroundCalls as Array<Record<string, unknown>>;
    assert.equal(jobs.length, 1, JSON.stringify(jobs));
    assert.deepEqual(
      { caller: jobs[0]?.caller, callee: jobs[0]?.callee, origin: jobs[0]?.origin },
      { caller: "1001@parley.test", callee: "1002@parley.test", origin: "offer" },
    );
    // The job calls 1002 at once (busy again: it waits for the next attempt).
    await eventually(() => bob.invites.length === 5, "the job's first attempt on 1002");
    assert.match(String(bob.invites[4]?.from.uri), /^sip:1001@/, "on behalf of 1001");
  });

  test("*56 from the caller's phone stops a running job: Parley says so, and no attempt follows", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(
      ["1001", "1002"],
      { PARLEY_BACKGROUND_CALL_AMD: "false" },
      FEATURES,
    );
    t.after(() => parley.stop());
    const alice = await BaresipTextPhone.start(t, { extension: "1001", registrar: parley.target });
    await registered(parley, "1001");
    // 1002 has no phone: each attempt fails at once, the next follows 2 s later.
    const started = await adminApi(parley, "POST", "/background-calls", {
      caller: "1001@parley.test",
      callee: "1002",
      retryIntervalSeconds: 2,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = started.body?.id as string;
    const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};
    await eventually(async () => (await job()).attempts === 2, "two attempts", 10_000);

    const dialled = await alice.command("dial", `sip:*56@${parley.target}`);
    assert.ok(dialled.ok, dialled.data);
    await eventually(async () => (await job()).state === "stopped", "the stop");
    const attempts = (await job()).attempts as number;
    // Parley plays "stopped" and "goodbye" (3.4 s, longer than the retry interval), then hangs up.
    await eventually(() => ended(alice) === 1, "Parley to hang up", 10_000);
    const after = await job();
    assert.equal(after.state, "stopped");
    assert.equal(after.attempts, attempts, "no attempt after the stop");
    assert.equal(after.nextAttemptAt, undefined, "none scheduled");
    const last = (after.log as Array<{ state: string; event: string; detail?: string }>).at(-1);
    assert.deepEqual(last && [last.state, last.event, last.detail], [
      "stopped",
      "stopped",
      "*56 from 1001@parley.test",
    ]);
    assert.match(alice.log, /session closed: Connection reset by peer/, "Parley ended the call (BYE)");
    await alice.quit();
    const heard = alice.heard();
    assert.ok(heard, alice.log);
    const said = findPrompt(heard, "callback-stopped");
    assert.ok(said.correlation > 0.9 && said.at < 1, `the phone heard "stopped": ${JSON.stringify(said)}`);
  });

  test("STOP texted from the caller's phone stops a running job, Parley answers by text, and no attempt follows", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(
      ["1001", "1002"],
      { PARLEY_BACKGROUND_CALL_AMD: "false" },
      FEATURES,
    );
    t.after(() => parley.stop());
    const parleyUri = `sip:parley@${parley.target}`;
    const alice = await BaresipTextPhone.start(t, {
      extension: "1001",
      registrar: parley.target,
      contacts: [parleyUri],
    });
    await registered(parley, "1001");
    const started = await adminApi(parley, "POST", "/background-calls", {
      caller: "1001@parley.test",
      callee: "1002",
      retryIntervalSeconds: 2,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = started.body?.id as string;
    const job = async () => (await adminApi(parley, "GET", `/background-calls/${id}`)).body ?? {};
    await eventually(async () => (await job()).attempts === 1, "the first attempt");

    await alice.text(parleyUri, "STOP");
    await eventually(() => alice.texts().length === 1, "Parley's answer");
    assert.deepEqual(alice.texts(), [
      { from: "sip:parley@parley.test", text: "Stopped 1 background call(s)." },
    ]);
    const stopped = await job();
    assert.equal(stopped.state, "stopped");
    // Nothing may happen now: watch for longer than the retry interval (a real wait, on purpose).
    await sleep(2500);
    const after = await job();
    assert.equal(after.state, "stopped");
    assert.equal(after.attempts, stopped.attempts, "no attempt after the stop");
    assert.equal(after.nextAttemptAt, undefined);
    const last = (after.log as Array<{ event: string; detail?: string }>).at(-1);
    assert.deepEqual(last && [last.event, last.detail], ["stopped", "STOP from 1001@parley.test"]);
  });
});
