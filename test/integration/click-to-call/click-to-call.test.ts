import assert from "node:assert/strict";
import { test } from "node:test";
import { rate } from "../../../src/billing/index.ts";
import { bindContact, eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { StackPhone } from "../../support/stack-phone.ts";
import { adminApi } from "../../support/voicemail.ts";

const PLAN = {
  name: "local",
  currency: "EUR",
  rates: [{ prefix: "", perMinuteMicros: 6_000_000, connectionFee: 2, firstIncrement: 1, nextIncrement: 1 }],
};

test("click-to-call: the member is called first, then the merchant; they are bridged and the sponsor pays exactly the rated cost; a payer without balance is refused before any call", async (t) => {
  const parley = await startSipTestNode(["1001", "1002"]);
  t.after(() => parley.stop());
  const member = await StackPhone.start({ extension: "1001", password: "pw-1001", registrar: parley.target });
  const merchantPhone = await StackPhone.start({
    extension: "1002",
    password: "pw-1002",
    registrar: parley.target,
  });
  t.after(() => member.stop());
  t.after(() => merchantPhone.stop());
  member.answerCalls();
  merchantPhone.answerCalls();
  await bindContact(parley.node, "1001", member.port);
  await bindContact(parley.node, "1002", merchantPhone.port);

  assert.equal((await adminApi(parley, "PUT", "/rate-plans/local", PLAN)).status, 200);
  for (const [id, amount] of [
    ["sponsor-a", 500],
    ["sponsor-empty", 0],
  ] as const) {
    const opened = await adminApi(parley, "POST", "/accounts", {
      id,
      kind: "sponsor",
      currency: "EUR",
      owner: "ads",
    });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    if (amount > 0)
      assert.equal((await adminApi(parley, "POST", `/accounts/${id}/top-ups`, { amount })).status, 200);
  }
  for (const [id, sponsor] of [
    ["pizza", "sponsor-a"],
    ["broke", "sponsor-empty"],
  ] as const) {
    const saved = await adminApi(parley, "PUT", `/merchants/${id}`, {
      id,
      name: id === "pizza" ? "Pizza Roma" : "Broke Ltd",
      description: "",
      category: "food",
      numbers: [{ label: "Orders", number: "1002" }],
      payer: { kind: "sponsor", accountId: sponsor },
      planId: "local",
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
  }

  // A payer at zero: refused with a clear message, and no INVITE leaves Parley.
  const refused = await adminApi(parley, "POST", "/click-to-call", {
    merchantId: "broke",
    memberNumber: "1001",
    member: "1001@parley.test",
  });
  assert.equal(refused.status, 402);
  assert.match(JSON.stringify(refused.body), /no balance left/);
  assert.equal(member.answered.length + merchantPhone.answered.length, 0, "no phone was called");
  assert.equal(parley.node.sip.calls.calls.length, 0);

  const placed = await adminApi(parley, "POST", "/click-to-call", {
    merchantId: "pizza",
    memberNumber: "1001",
    member: "1001@parley.test",
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const id = placed.body?.id as string;
  const click = async () => (await adminApi(parley, "GET", `/click-to-call/${id}`)).body ?? {};
  await eventually(
    async () => (await click()).step === "connected",
    "the member and the merchant connected",
    10_000,
  );
  assert.equal(member.answered.length, 1, "the member was called");
  assert.equal(merchantPhone.answered.length, 1, "then the merchant");
  const held = (await adminApi(parley, "GET", "/accounts/sponsor-a")).body;
  assert.ok((held?.reserved as number) > 0, "the most the call may cost is held while it runs");
  await member.answered[0]?.bye();
  await eventually(async () => (await click()).step === "ended", "the end", 10_000);
  const done = await click();
  const steps = (done.events as Array<{ step: string }>).map((e) => e.step);
  assert.deepEqual(steps, [
    "checking",
    "calling-member",
    "member-answered",
    "calling-merchant",
    "connected",
    "ended",
  ]);
  const expected = rate({ id: "local", ...PLAN }, "1002", done.durationSeconds as number).cost;
  assert.equal(done.cost, expected, "the rated cost of the bridged time");
  const after = (await adminApi(parley, "GET", "/accounts/sponsor-a")).body;
  assert.equal(after?.balance, 500 - expected, "the sponsor paid exactly that");
  assert.equal(after?.reserved, 0, "nothing stays held");
  await parley.node.sip.calls.cdrs?.drain();
  const cdr = (await adminApi(parley, "GET", `/cdrs/${done.callId}`)).body;
  assert.equal(cdr?.service, "click-to-call");
  assert.equal(cdr?.payer, "sponsor-a", "the CDR names the payer");
  assert.equal(cdr?.cost, expected, "and the cost");
  assert.equal(cdr?.currency, "EUR");
});
