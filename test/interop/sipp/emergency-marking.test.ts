import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callerInjection, eventually, registerSippPhone } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, runSipp, SIPP_HOW_TO_GET } from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

/** The marking headers a SIPp callee logged for the INVITE it got (callee-answer.xml logs them). */
function markings(logs: string): { alertInfo: string; priority: string; resourcePriority: string } {
  const value = (name: string) => new RegExp(`^${name}=(.*)\\|$`, "m").exec(logs)?.[1] ?? "(not logged)";
  return {
    alertInfo: value("Alert-Info"),
    priority: value("Priority"),
    resourcePriority: value("Resource-Priority"),
  };
}

const TOML = `
[[emergency_numbers]]
number = "112"
label = "Site security"
users = ["3002"]
priority = 2
announcement = false
resource_priority = "esnet.1"

[[emergency_numbers]]
number = "113"
users = ["3003"]
announcement = false
record = true

[[phone_profiles]]
name = "yealink"
user_agent = "Yealink SIP-T46"
alert_info = "<http://localhost/>;info=alert-emergency"

[[phone_profiles]]
name = "bellcore"
users = ["3003"]
alert_info = "<http://localhost/>;info=Bellcore-dr4"
`;

/**
 * One call from a SIPp caller through Parley to a SIPp callee registered (bound) for `callee`;
 * returns what the callee logged about the INVITE it received.
 */
async function call(
  parley: SipTestNode,
  options: { from: string; dialled: string; callee: string; scenario?: string; userAgent?: string },
) {
  const port = await registerSippPhone(parley.node, options.callee, {
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  const callee = runSipp({
    scenario: "callee-answer",
    target: parley.target,
    port,
    timeoutSeconds: 20,
    extraArgs: ["-mp", "0", "-s", options.callee],
  });
  const caller = await runSipp({
    scenario: options.scenario ?? "caller-bye",
    target: parley.target,
    injection: callerInjection([[options.from, `pw-${options.from}`, "parley.test", options.dialled]]),
    authUri: "parley.test",
    timeoutSeconds: 20,
    extraArgs: ["-mp", "0"],
  });
  assert.equal(caller.code, 0, `caller: ${describeSippResult(caller)}\n${caller.messages.slice(-3000)}`);
  const answered = await callee;
  assert.equal(
    answered.code,
    0,
    `callee: ${describeSippResult(answered)}\n${answered.messages.slice(-3000)}`,
  );
  // The next call reaches the next SIPp only.
  const aor = `sip:${options.callee}@parley.test`;
  for (const binding of parley.node.sip.location.lookup(aor))
    await parley.node.sip.location.remove(aor, binding.contact);
  return markings(answered.logs);
}

describe("emergency markings on INVITEs, against SIPp (real peers)", () => {
  let parley: SipTestNode;

  before(async () => {
    if (!HAS_SIPP) return;
    parley = await startSipTestNode(["3001", "3002", "3003"], {}, { toml: TOML });
  });
  after(() => parley?.stop());

  test("a callee bound to an emergency number gets Alert-Info, Priority and Resource-Priority", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const got = await call(parley, { from: "3001", dialled: "112", callee: "3002" });
    assert.deepEqual(got, {
      alertInfo: "<urn:alert:service:emergency>",
      priority: "emergency",
      resourcePriority: "esnet.1",
    });
    await eventually(
      async () => (await parley.node.cdrs.list({ emergency: true })).length > 0,
      "the emergency CDR",
    );
    const [record] = await parley.node.cdrs.list({ emergency: true });
    assert.equal(record?.service, "emergency");
    assert.equal(record?.priority, 2);
    assert.equal(record?.to, "112");
  });

  test("an ordinary call to the same callee carries none of them", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const got = await call(parley, { from: "3001", dialled: "3002", callee: "3002" });
    assert.deepEqual(got, { alertInfo: "", priority: "", resourcePriority: "" });
  });

  test("a caller's own Alert-Info, Priority and Resource-Priority are stripped on an ordinary call", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const got = await call(parley, {
      from: "3001",
      dialled: "3002",
      callee: "3002",
      scenario: "caller-marked",
    });
    assert.deepEqual(got, { alertInfo: "", priority: "", resourcePriority: "" });
  });

  test("a phone whose User-Agent matches a profile gets its vendor form before the URN", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const got = await call(parley, {
      from: "3001",
      dialled: "112",
      callee: "3002",
      userAgent: "Yealink SIP-T46U 108.86.0.20",
    });
    assert.equal(got.alertInfo, "<http://localhost/>;info=alert-emergency, <urn:alert:service:emergency>");
  });

  test("a user the admin gave a profile gets it on every phone", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const got = await call(parley, { from: "3001", dialled: "113", callee: "3003" });
    assert.deepEqual(got, {
      alertInfo: "<http://localhost/>;info=Bellcore-dr4, <urn:alert:service:emergency>",
      priority: "emergency",
      resourcePriority: "esnet.0",
    });
    // 113 is set to record: the call was recorded whatever the users' subscriptions.
    await eventually(async () => (await parley.node.recording.store.list({})).length > 0, "the recording");
    const [recording] = await parley.node.recording.store.list({});
    assert.equal(recording?.reason, "emergency");
  });
});

describe("the normal ring marking (calls.normal_alert_info), against SIPp", () => {
  let parley: SipTestNode;

  before(async () => {
    if (!HAS_SIPP) return;
    parley = await startSipTestNode(["3101", "3102"], {
      PARLEY_CALLS_NORMAL_ALERT_INFO: "<urn:alert:service:normal>",
    });
  });
  after(() => parley?.stop());

  test("ordinary calls carry the configured URN, never the caller's emergency marking", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const got = await call(parley, {
      from: "3101",
      dialled: "3102",
      callee: "3102",
      scenario: "caller-marked",
    });
    assert.deepEqual(got, { alertInfo: "<urn:alert:service:normal>", priority: "", resourcePriority: "" });
  });
});
