import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type CallParty, type CallSession, defineService } from "../../../src/calls/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { goertzel } from "../../support/tone-probe.ts";

async function phone(
  parley: SipTestNode,
  extension: string,
  toneHz: number,
  seconds: number,
  autoAnswer = false,
) {
  const started = await BaresipPhone.start({
    extension,
    password: `pw-${extension}`,
    registrar: parley.target,
    toneHz,
    autoAnswer,
    seconds,
  });
  await eventually(
    () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length === 1,
    `${extension} to register`,
  );
  return started;
}

describe("services on the call-control API, with baresip phones", () => {
  test("a service claims a number, answers, and collects the digits the phone sends (RFC 4733 from a real peer)", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001"]);
    t.after(() => parley.stop());
    let collected: string | undefined;
    const seen: string[] = [];
    parley.node.sip.calls.register(
      defineService({
        name: "digit-collector",
        claims: (info) => info.dialled === "500" && info.caller?.extension === "1001",
        handle: async (session: CallSession, caller: CallParty) => {
          session.on("dtmf", (_party, event) => seen.push(event.digit));
          session.answer(caller);
          collected = await session.collectDigits(caller, { max: 6, terminator: "#", timeoutMs: 15_000 });
          session.hangup(caller, "NORMAL_CLEARING");
        },
      }),
    );
    const caller = await phone(parley, "1001", 1000, 15);
    t.after(() => caller.kill());
    assert.equal((await caller.command("dial", `sip:500@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the service to answer",
    );
    await sleep(300);
    for (const digit of ["4", "7", "*", "#"]) {
      assert.equal((await caller.command("sndcode", digit)).ok, true);
      await sleep(250);
    }
    await eventually(() => collected !== undefined, "the digits", 10_000);
    assert.equal(collected, "47*");
    assert.deepEqual(seen, ["4", "7", "*", "#"], "each digit once, in order");
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the service to hang up");
    const cdrs = await parley.node.cdrs.list({});
    assert.equal(cdrs[0]?.service, "digit-collector");
  });

  test("three phones that dial a conference number each hear the other two", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002", "1003"]);
    t.after(() => parley.stop());
    parley.node.sip.calls.register(
      defineService({
        name: "conference",
        claims: (info) => info.dialled === "700",
        handle: async (session, caller) => {
          session.answer(caller);
          session.conference("room-700").join(caller);
        },
      }),
    );
    const tones = { "1001": 700, "1002": 1200, "1003": 1900 } as const;
    const phones = await Promise.all(
      Object.entries(tones).map(([extension, hz]) => phone(parley, extension, hz, 20)),
    );
    t.after(() => {
      for (const p of phones) p.kill();
    });
    for (const p of phones) assert.equal((await p.command("dial", `sip:700@${parley.target}`)).ok, true);
    await eventually(() => parley.node.sip.calls.conferences.size("room-700") === 3, "three members");
    await sleep(2500);
    for (const p of phones) await p.command("hangup");
    await eventually(() => parley.node.sip.calls.conferences.names.length === 0, "the room to close");
    await Promise.all(phones.map((p) => p.quit()));

    for (const [index, [extension, own]] of Object.entries(tones).entries()) {
      const heard = phones[index]?.heard();
      assert.ok(heard && heard.length > 8000, `${extension} heard the conference`);
      const tail = heard.subarray(heard.length - 12_000, heard.length - 4000);
      const others = Object.values(tones).filter((hz) => hz !== own);
      const ownPower = goertzel(tail, 8000, own);
      for (const hz of others) {
        assert.ok(
          goertzel(tail, 8000, hz) > 10 * ownPower,
          `${extension} hears ${hz} Hz well above its own ${own} Hz`,
        );
      }
    }
  });

  test("a feature code dialled during a basic call runs the service's feature for that party", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], { PARLEY_CALLS_FEATURE_CODES: "mark=*8" });
    t.after(() => parley.stop());
    const marked: string[] = [];
    parley.node.sip.calls.register(
      defineService({
        name: "marker",
        featureCodes: [
          { name: "mark", code: "*5", run: (_session, party) => void marked.push(party.direction) },
        ],
      }),
    );
    const callee = await phone(parley, "1002", 2000, 12, true);
    t.after(() => callee.kill());
    const caller = await phone(parley, "1001", 1000, 12);
    t.after(() => caller.kill());
    assert.equal((await caller.command("dial", `sip:1002@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties.every((l) => l.answered) === true,
      "the answer",
    );
    await sleep(300);
    for (const digit of ["*", "5", "*", "8"]) {
      await caller.command("sndcode", digit);
      await sleep(250);
    }
    await eventually(() => marked.length === 1, "the feature to run");
    assert.deepEqual(
      marked,
      ["inbound"],
      "*5 was renamed *8 by calls.feature_codes; only *8 ran, for the caller's leg",
    );
    await caller.command("hangup");
  });
});
