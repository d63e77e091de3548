import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { SystemClock } from "../../../src/kernel/clock.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { PREEMPTION_REASON, SoftPhone, type SoftPhoneEvents } from "../../../src/phone/index.ts";
import { eventually } from "../../support/call-peers.ts";
import { directCaller } from "../../support/direct-caller.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";

/**
 * The softphone against a real Parley node on loopback (real clock, real UDP and RTP): two
 * SoftPhones register and call each other through Parley, and a third party, a bare SipStack of
 * the test, sends INVITEs straight to one of them with or without an emergency Alert-Info.
 */

/** A Parley node with users 1001 and 1002; phones made with `phone()` close before it stops. */
async function testNode(t: TestContext): Promise<SipTestNode & { phones: SoftPhone[] }> {
  const parley = Object.assign(await startSipTestNode(["1001", "1002"]), { phones: [] as SoftPhone[] });
  t.after(async () => {
    await Promise.all(parley.phones.map((p) => p.close()));
    await parley.stop();
  });
  return parley;
}

type PhoneEvent = "incoming" | "answered" | "ended" | "rejected" | "preempted";
type Logged = { [K in PhoneEvent]: [K, SoftPhoneEvents[K][0]] }[PhoneEvent];

/** A registered SoftPhone whose events (statechange left out) are logged in order. */
async function phone(
  parley: SipTestNode & { phones: SoftPhone[] },
  extension: string,
  options: { toneHz: number; autoAnswer?: boolean; emergencyMarkers?: string[] },
): Promise<{ phone: SoftPhone; log: Logged[] }> {
  const [address = "127.0.0.1", port = "0"] = parley.target.split(":");
  const softPhone = new SoftPhone({
    extension,
    password: `pw-${extension}`,
    server: { address, port: Number(port) },
    domain: parley.domain,
    clock: new SystemClock(),
    logger: silentLogger(),
    ...options,
  });
  parley.phones.push(softPhone);
  const log: Logged[] = [];
  softPhone.on("incoming", (payload) => log.push(["incoming", payload]));
  softPhone.on("answered", (payload) => log.push(["answered", payload]));
  softPhone.on("ended", (payload) => log.push(["ended", payload]));
  softPhone.on("rejected", (payload) => log.push(["rejected", payload]));
  softPhone.on("preempted", (payload) => log.push(["preempted", payload]));
  await softPhone.start();
  const registered = await softPhone.register();
  assert.equal(registered.aor, `sip:${extension}@${parley.domain}`);
  assert.ok(registered.expires > 0);
  return { phone: softPhone, log };
}

/** The events of `log` by name, in order. */
const names = (log: Logged[]) => log.map(([name]) => name);

/** Dominant tone of the latest half second a phone heard, after at least a second arrived. */
async function hears(softPhone: SoftPhone, candidates: number[]) {
  await eventually(() => softPhone.heard().length >= 8000, "a second of received audio");
  return dominantTone(softPhone.heard().slice(-4000), 8000, candidates);
}

/** alice (1001, sends 1000 Hz) calls bob (1002, sends 2000 Hz, auto-answer) through Parley. */
async function connectedPair(t: TestContext, bobOptions: { emergencyMarkers?: string[] } = {}) {
  const parley = await testNode(t);
  const alice = await phone(parley, "1001", { toneHz: 1000 });
  const bob = await phone(parley, "1002", { toneHz: 2000, autoAnswer: true, ...bobOptions });
  assert.deepEqual(await alice.phone.call("1002"), { answered: true });
  await eventually(() => bob.phone.state === "Connected", "bob in the call");
  const call = parley.node.sip.calls.calls[0];
  assert.ok(call, "Parley has the call");
  return { parley, alice, bob, call };
}

describe("SoftPhone", () => {
  test("two SoftPhones registered with Parley call each other: the callee rings normal, answers, and each hears the other's tone", async (t) => {
    const parley = await testNode(t);
    const alice = await phone(parley, "1001", { toneHz: 1000 });
    const bob = await phone(parley, "1002", { toneHz: 2000 });
    assert.equal(parley.node.sip.location.lookup("sip:1002@parley.test").length, 1, "bob's binding");

    const ringing = new Promise<SoftPhoneEvents["incoming"][0]>((resolve) =>
      bob.phone.once("incoming", resolve),
    );
    const calling = alice.phone.call("1002");
    const incoming = await ringing;
    assert.equal(incoming.ring, "normal");
    assert.equal(incoming.from, "sip:1001@parley.test");
    assert.equal(bob.phone.state, "Ringing", "no auto-answer: it rings until answer()");
    assert.equal(alice.phone.state, "Calling");
    await bob.phone.answer();
    assert.deepEqual(await calling, { answered: true });
    assert.equal(alice.phone.state, "Connected");
    assert.equal(bob.phone.state, "Connected");

    const aliceHears = await hears(alice.phone, [1000, 2000]);
    const bobHears = await hears(bob.phone, [1000, 2000]);
    assert.equal(aliceHears.frequency, 2000, "alice hears bob's 2 kHz");
    assert.equal(bobHears.frequency, 1000, "bob hears alice's 1 kHz");
    assert.ok(aliceHears.ratio > 10 && bobHears.ratio > 10, "each tone clearly above the other");

    await alice.phone.hangup();
    await eventually(() => bob.phone.state === "Idle", "bob's call to end");
    assert.deepEqual(names(alice.log), ["answered", "ended"]);
    assert.deepEqual(alice.log.at(-1), ["ended", { by: "local" }]);
    assert.deepEqual(names(bob.log), ["incoming", "answered", "ended"]);
    assert.deepEqual(bob.log.at(-1), [
      "ended",
      { by: "remote", reason: 'Q.850;cause=16;text="NORMAL_CLEARING"' },
    ]);
    assert.ok(bob.phone.heard().length >= 8000, "what bob heard stays readable after the call");
  });

  test("an emergency INVITE (<urn:alert:service:emergency>) preempts the call: BYE with the RFC 4411 Reason, then it answers; unmarked and further emergency INVITEs get 486", async (t) => {
    const { alice, bob, call } = await connectedPair(t);
    const bobLeg = call.parties.find((leg) => leg.direction === "outbound");
    assert.ok(bobLeg, "Parley's leg to bob");
    const psap = await directCaller(t, 1500);

    assert.deepEqual(await psap(bob.phone.sipAddress, "<urn:alert:service:emergency>"), { status: 200 });
    assert.deepEqual(names(bob.log), ["incoming", "answered", "incoming", "ended", "preempted", "answered"]);
    assert.deepEqual(bob.log[2], [
      "incoming",
      { ring: "emergency", from: "sip:psap@127.0.0.1", alertInfo: ["<urn:alert:service:emergency>"] },
    ]);
    assert.deepEqual(bob.log[3], ["ended", { by: "local", reason: PREEMPTION_REASON }]);
    assert.deepEqual(bob.log[4], ["preempted", { peer: "sip:1001@parley.test", by: "sip:psap@127.0.0.1" }]);
    assert.deepEqual(bob.log[5], ["answered", { peer: "sip:psap@127.0.0.1", ring: "emergency" }]);

    // Parley received bob's BYE with the preemption Reason and ended alice's side too.
    await eventually(() => bobLeg.ended && call.ended, "Parley to end the preempted call");
    assert.equal(bobLeg.end?.cause, "PREEMPTED");
    assert.equal(bobLeg.end?.by, "remote");
    assert.equal(bobLeg.end?.reason, 'preemption ;cause=1 ;text="UA Preemption"');
    await eventually(() => alice.phone.state === "Idle", "alice's call to end");
    assert.deepEqual(names(alice.log), ["answered", "ended"]);
    assert.equal(alice.log[1]?.[0] === "ended" && alice.log[1][1].by, "remote", "Parley's BYE to alice");

    // bob now hears the emergency caller, not alice.
    const heard = await hears(bob.phone, [1000, 1500, 2000]);
    assert.equal(heard.frequency, 1500, "bob hears the emergency caller's 1.5 kHz");
    assert.equal(bob.phone.state, "Connected");

    assert.deepEqual(
      await psap(bob.phone.sipAddress, undefined),
      { status: 486 },
      "an unmarked INVITE while busy",
    );
    assert.deepEqual(bob.log.at(-1), ["rejected", { status: 486, ring: "normal" }]);
    assert.deepEqual(await psap(bob.phone.sipAddress, "<urn:alert:service:emergency>"), { status: 486 });
    assert.deepEqual(
      bob.log.at(-1),
      ["rejected", { status: 486, ring: "emergency" }],
      "no preempting an emergency",
    );
    assert.equal(bob.phone.state, "Connected", "the emergency call goes on");
  });

  test("the vendor form <http://localhost/>;info=alert-emergency preempts too, and an unmarked INVITE to a busy phone gets 486 and leaves the call up", async (t) => {
    const { alice, bob, call } = await connectedPair(t);
    const psap = await directCaller(t, 1500);
    assert.deepEqual(await psap(bob.phone.sipAddress, "<http://localhost/>;info=alert-normal"), {
      status: 486,
    });
    assert.deepEqual(bob.log.at(-1), ["rejected", { status: 486, ring: "normal" }]);
    assert.equal(call.ended, false, "the call with alice is still up");
    assert.equal(alice.phone.state, "Connected");

    assert.deepEqual(await psap(bob.phone.sipAddress, "<http://localhost/>;info=alert-emergency"), {
      status: 200,
    });
    assert.deepEqual(names(bob.log).slice(-4), ["incoming", "ended", "preempted", "answered"]);
    await eventually(() => call.ended, "Parley to end the preempted call");
    const bobLeg = call.parties.find((leg) => leg.direction === "outbound");
    assert.equal(bobLeg?.end?.cause, "PREEMPTED");
  });

  test("an Alert-Info marker given in emergencyMarkers preempts; another distinctive ring gets 486", async (t) => {
    const { bob } = await connectedPair(t, { emergencyMarkers: ["Bellcore-dr5"] });
    const psap = await directCaller(t, 1500);
    assert.deepEqual(await psap(bob.phone.sipAddress, "<http://127.0.0.1/Bellcore-dr4>"), { status: 486 });
    assert.deepEqual(await psap(bob.phone.sipAddress, "<http://127.0.0.1/Bellcore-dr5>"), { status: 200 });
    assert.deepEqual(names(bob.log).slice(-4), ["incoming", "ended", "preempted", "answered"]);
  });
});
