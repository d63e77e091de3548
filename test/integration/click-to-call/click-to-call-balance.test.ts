import assert from "node:assert/strict";
import { test } from "node:test";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { adminApi } from "../../support/voicemail.ts";

/** A member phone (1001) and a merchant phone (1002) answering every call, a sponsor account and a merchant it pays for. */
async function setUp(
  t: import("node:test").TestContext,
  parley: SipTestNode,
  balance: number,
  perMinuteMicros: number,
) {
  const phones = [];
  for (const extension of ["1001", "1002"]) {
    const phone = await StackPhone.start({
      extension,
      password: `pw-${extension}`,
      registrar: parley.target,
    });
    t.after(() => phone.stop());
    phone.answerCalls();
    await bindContact(parley.node, extension, phone.port);
    phones.push(phone);
  }
  const plan = {
    name: "per second",
    currency: "EUR",
    rates: [{ prefix: "", perMinuteMicros, connectionFee: 0, firstIncrement: 1, nextIncrement: 1 }],
  };
  assert.equal((await adminApi(parley, "PUT", "/rate-plans/p", plan)).status, 200);
  assert.equal(
    (
      await adminApi(parley, "POST", "/accounts", {
        id: "sponsor",
        kind: "sponsor",
        currency: "EUR",
        owner: "ads",
      })
    ).status,
    201,
  );
  assert.equal(
    (await adminApi(parley, "POST", "/accounts/sponsor/top-ups", { amount: balance })).status,
    200,
  );
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
  return phones;
}

test("the balance runs out mid-call: a warning, then both legs are hung up at the paid time; the balance ends at zero, not below", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"], { PARLEY_CLICK_TO_CALL_WARNING_SECONDS: "1" });
  t.after(() => parley.stop());
  // 1 cent a second, 3 cents: three seconds of call.
  await setUp(t, parley, 3, 60_000_000);
  const placed = await adminApi(parley, "POST", "/click-to-call", {
    merchantId: "shop",
    memberNumber: "1001",
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.equal(placed.body?.maxSeconds, 3);
  const id = placed.body?.id as string;
  await eventually(
    async () => (await adminApi(parley, "GET", `/click-to-call/${id}`)).body?.step === "ended",
    "the call cut when the paid time is over",
    10_000,
  );
  const done = (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  const steps = (done.events as Array<{ step: string; at: string }>).map((e) => e.step);
  assert.deepEqual(steps.slice(-3), ["connected", "warning", "ended"]);
  const at = (step: string) =>
    Date.parse((done.events as Array<{ step: string; at: string }>).find((e) => e.step === step)?.at ?? "");
  const talked = at("ended") - at("connected");
  assert.ok(talked >= 2900 && talked < 4500, `cut after the 3 paid seconds (${talked} ms)`);
  assert.ok(at("ended") - at("warning") >= 900, "the warning a second before");
  assert.equal(done.durationSeconds, 3);
  assert.equal(done.cost, 3);
  const account = (await adminApi(parley, "GET", "/accounts/sponsor")).body;
  assert.deepEqual([account?.balance, account?.reserved], [0, 0]);
  assert.equal(parley.node.sip.calls.calls.length, 0, "both legs are gone");
});

test("20 simultaneous click-to-calls against one sponsor balance: some are refused, none overdraws it", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"], { PARLEY_CLICK_TO_CALL_MAX_CALL_SECONDS: "60" });
  t.after(() => parley.stop());
  // 1 cent a second; a call may hold at most 60 cents; 200 cents pay for three at once and a part.
  await setUp(t, parley, 200, 60_000_000);
  const placed = await Promise.all(
    Array.from({ length: 20 }, () =>
      adminApi(parley, "POST", "/click-to-call", { merchantId: "shop", memberNumber: "1001" }),
    ),
  );
  const accepted = placed.filter((p) => p.status === 201);
  const refused = placed.filter((p) => p.status === 402);
  assert.equal(accepted.length + refused.length, 20, JSON.stringify(placed.map((p) => p.status)));
  assert.ok(accepted.length >= 1 && accepted.length <= 4, `${accepted.length} accepted`);
  const held = (await adminApi(parley, "GET", "/accounts/sponsor")).body;
  assert.ok((held?.reserved as number) <= 200, "what is held never exceeds the balance");
  // End every connected call from the member's side, then check the books.
  await eventually(
    async () => {
      const steps = await Promise.all(
        accepted.map(async (p) => (await adminApi(parley, "GET", `/click-to-call/${p.body?.id}`)).body?.step),
      );
      return steps.every((s) => s === "connected" || s === "ended" || s === "failed");
    },
    "every accepted call connected",
    15_000,
  );
  for (const call of parley.node.sip.calls.calls) call.hangup(undefined, "NORMAL_CLEARING");
  await eventually(
    async () => {
      const steps = await Promise.all(
        accepted.map(async (p) => (await adminApi(parley, "GET", `/click-to-call/${p.body?.id}`)).body?.step),
      );
      return steps.every((s) => s === "ended" || s === "failed");
    },
    "every call ended and charged",
    15_000,
  );
  const costs = await Promise.all(
    accepted.map(
      async (p) =>
        ((await adminApi(parley, "GET", `/click-to-call/${p.body?.id}`)).body?.cost as number) ?? 0,
    ),
  );
  const account = (await adminApi(parley, "GET", "/accounts/sponsor")).body;
  assert.equal(account?.reserved, 0);
  assert.ok((account?.balance as number) >= 0, "never below zero");
  assert.equal(
    account?.balance,
    200 - costs.reduce((a, b) => a + b, 0),
    "the balance is the top-up less the charges",
  );
});

test("a running campaign's sponsor pays instead of the merchant's own payer; outside it the merchant's payer does", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"]);
  t.after(() => parley.stop());
  await setUp(t, parley, 100, 60_000_000);
  const opened = await adminApi(parley, "POST", "/accounts", {
    id: "brand",
    kind: "sponsor",
    currency: "EUR",
    owner: "brand",
  });
  assert.equal(opened.status, 201);
  assert.equal((await adminApi(parley, "POST", "/accounts/brand/top-ups", { amount: 100 })).status, 200);
  const now = Date.now();
  const merchant = (await adminApi(parley, "GET", "/merchants?search=Shop")).body?.merchants as Array<
    Record<string, unknown>
  >;
  const campaigns = [
    { id: "last-month", payer: { kind: "sponsor", accountId: "nobody" }, until: now - 86_400_000 },
    {
      id: "this-week",
      payer: { kind: "sponsor", accountId: "brand" },
      from: now - 3_600_000,
      until: now + 3_600_000,
    },
  ];
  assert.equal((await adminApi(parley, "PUT", "/merchants/shop", { ...merchant[0], campaigns })).status, 200);
  const during = await adminApi(parley, "POST", "/click-to-call", {
    merchantId: "shop",
    memberNumber: "1001",
  });
  assert.equal(during.status, 201, JSON.stringify(during.body));
  assert.equal(during.body?.payerAccount, "brand", "the running campaign's sponsor pays");
  for (const call of parley.node.sip.calls.calls) call.hangup(undefined, "NORMAL_CLEARING");
  await eventually(
    async () =>
      ["ended", "failed"].includes(
        (await adminApi(parley, "GET", `/click-to-call/${during.body?.id}`)).body?.step as string,
      ),
    "the first call over",
  );
  assert.equal(
    (await adminApi(parley, "PUT", "/merchants/shop", { ...merchant[0], campaigns: campaigns.slice(0, 1) }))
      .status,
    200,
  );
  const after = await adminApi(parley, "POST", "/click-to-call", {
    merchantId: "shop",
    memberNumber: "1001",
  });
  assert.equal(after.body?.payerAccount, "sponsor", "no campaign running: the merchant's payer");
});

test("a member who does not answer: no merchant call is made; a merchant who does not answer: the member hears a prompt and the call ends; nothing is charged", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"]);
  t.after(() => parley.stop());
  const [member, merchantPhone] = await setUp(t, parley, 100, 60_000_000);
  assert.ok(member && merchantPhone);
  const place = async () => {
    const placed = await adminApi(parley, "POST", "/click-to-call", {
      merchantId: "shop",
      memberNumber: "1001",
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const id = placed.body?.id as string;
    await eventually(
      async () => (await adminApi(parley, "GET", `/click-to-call/${id}`)).body?.step === "failed",
      "the click-to-call to fail",
      15_000,
    );
    await eventually(() => parley.node.sip.calls.calls.length === 0, "every leg gone", 15_000);
    return (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  };
  member.mode = 486;
  const unanswered = await place();
  assert.deepEqual(
    (unanswered.events as Array<{ step: string }>).map((e) => e.step),
    ["checking", "calling-member", "failed"],
  );
  assert.equal(merchantPhone.answered.length, 0, "the merchant's phone was never called");

  member.mode = "answer";
  merchantPhone.mode = 486;
  const merchantBusy = await place();
  assert.deepEqual(
    (merchantBusy.events as Array<{ step: string }>).map((e) => e.step),
    ["checking", "calling-member", "member-answered", "calling-merchant", "failed"],
  );
  assert.match(JSON.stringify(merchantBusy.events), /Shop did not answer/);
  assert.ok(member.answered[0]?.terminated, "Parley ended the member's call after the prompt");
  const account = (await adminApi(parley, "GET", "/accounts/sponsor")).body;
  assert.deepEqual([account?.balance, account?.reserved], [100, 0], "nothing charged, nothing held");
});
