import assert from "node:assert/strict";
import { test } from "node:test";
import { BARESIP_HOW_TO_GET, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { registeredPhones } from "../../support/registered-phones.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { goertzel } from "../../support/tone-probe.ts";
import { adminApi } from "../../support/voicemail.ts";

test("with baresip phones: the balance runs out mid-call, both hear the warning beep, then Parley hangs up both at the paid time", async (t) => {
  if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
  const parley = await startSipTestNode(["1001", "1002"], { PARLEY_CLICK_TO_CALL_WARNING_SECONDS: "2" });
  t.after(() => parley.stop());
  const phones = Object.values(
    await registeredPhones(t, parley, [
      { extension: "1001", toneHz: 700, autoAnswer: true },
      { extension: "1002", toneHz: 1500, autoAnswer: true },
    ]),
  );
  const plan = {
    name: "per second",
    currency: "EUR",
    rates: [
      { prefix: "", perMinuteMicros: 60_000_000, connectionFee: 0, firstIncrement: 1, nextIncrement: 1 },
    ],
  };
  assert.equal((await adminApi(parley, "PUT", "/rate-plans/p", plan)).status, 200);
  const sponsor = { id: "sponsor", kind: "sponsor", currency: "EUR", owner: "ads" };
  assert.equal((await adminApi(parley, "POST", "/accounts", sponsor)).status, 201);
  // 1 cent a second, 6 cents: six seconds of call, the warning after four.
  assert.equal((await adminApi(parley, "POST", "/accounts/sponsor/top-ups", { amount: 6 })).status, 200);
  const merchant = {
    id: "shop",
    name: "Shop",
    description: "",
    category: "retail",
    numbers: [{ label: "Sales", number: "1002" }],
    payer: { kind: "sponsor", accountId: "sponsor" },
    planId: "p",
  };
  assert.equal((await adminApi(parley, "PUT", "/merchants/shop", merchant)).status, 200);
  const placed = await adminApi(parley, "POST", "/click-to-call", {
    merchantId: "shop",
    memberNumber: "1001",
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const id = placed.body?.id as string;
  await eventually(
    async () => (await adminApi(parley, "GET", `/click-to-call/${id}`)).body?.step === "ended",
    "Parley to end the call at the paid time",
    20_000,
  );
  for (const phone of phones) {
    await eventually(
      () => /session closed/i.test(phone.output),
      "the phone's call to be closed by Parley",
      5000,
    );
  }
  const done = (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  assert.equal(done.durationSeconds, 6);
  assert.deepEqual((done.events as Array<{ step: string }>).map((e) => e.step).slice(-3), [
    "connected",
    "warning",
    "ended",
  ]);
  const account = (await adminApi(parley, "GET", "/accounts/sponsor")).body;
  assert.deepEqual([account?.balance, account?.reserved], [0, 0], "the balance ends at zero, not below");
  // Each phone heard the 1 kHz warning beep (their own tones are 700 and 1500 Hz), and no 1 kHz
  // before the warning.
  for (const phone of phones) {
    await phone.quit();
    const heard = phone.heard() ?? new Int16Array();
    let beep = 0;
    let firstAt = -1;
    for (let at = 0; at + 800 <= heard.length; at += 800) {
      const window = heard.subarray(at, at + 800);
      // The beep plays over the other party's voice (700 or 1500 Hz): 1 kHz stands out of silence
      // (1e-30 in this measure) by far.
      if (goertzel(window, 8000, 1000) > 1e-3) {
        beep += 100;
        if (firstAt < 0) firstAt = at / 8;
      }
    }
    assert.ok(beep >= 100, `a 1 kHz beep in what the phone heard (${beep} ms)`);
    assert.ok(
      firstAt >= 3000,
      `the beep comes about 2 s before the end, not earlier (at ${firstAt} ms of ${heard.length / 8} ms)`,
    );
  }
});
