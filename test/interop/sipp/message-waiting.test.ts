import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, runSipp, SIPP_HOW_TO_GET, writeUsersCsv } from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

describe("message-waiting indication against SIPp (real peer)", () => {
  let parley: SipTestNode;

  before(async () => {
    if (!HAS_SIPP) return;
    // MD5 first: SIPp 3.6.1 answers only the first challenge, and only MD5.
    parley = await startSipTestNode(["3001"], { PARLEY_SIP_DIGEST_ALGORITHMS: "MD5,SHA-256" });
  });
  after(() => parley?.stop());

  test("a phone subscribes with digest auth, gets the initial NOTIFY, the NOTIFY of an update, and a final NOTIFY when it unsubscribes", async (t) => {
    if (!HAS_SIPP) {
      missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
      return;
    }
    const aor = "sip:3001@parley.test";
    const mwi = parley.node.sip.messageWaiting;
    const lookedUp: string[] = [];
    mwi.lookup = async (mailbox) => {
      lookedUp.push(mailbox);
      return { new: 0, old: 0 };
    };
    // Once the initial NOTIFY is answered, the mailbox changes: SIPp waits for that NOTIFY.
    const notices: string[] = [];
    mwi.on("subscribed", (subscribed) => notices.push(`subscribed ${subscribed}`));
    mwi.on("notified", (notified, notice) => {
      notices.push(`${notice.kind} ${notice.status}${notice.final ? " final" : ""}`);
      if (notified === aor && notices.filter((n) => n.startsWith("subscription")).length === 1)
        mwi.update(aor, { new: 2, old: 1 });
    });
    const result = await runSipp({
      scenario: "subscribe-mwi",
      target: parley.target,
      injection: writeUsersCsv([{ user: "3001", password: "pw-3001", domain: "parley.test" }]),
      authUri: "parley.test",
      timeoutSeconds: 20,
      extraArgs: ["-mp", "0"],
    });
    assert.equal(result.code, 0, `${describeSippResult(result)}\n${result.messages.slice(-3000)}`);
    assert.deepEqual(lookedUp, [aor], "the unknown mailbox was looked up once, for the initial NOTIFY");
    assert.deepEqual(notices, [
      `subscribed ${aor}`,
      "subscription 200",
      "subscription 200",
      "subscription 200 final",
    ]);
    assert.match(result.messages, /Subscription-State: terminated;reason=timeout/);
    assert.deepEqual(mwi.subscriptions(), new Map(), "the unsubscribe removed the subscription");
    const metrics = await parley.node.metrics.metrics();
    assert.match(metrics, /^parley_mwi_notifies_total\{kind="subscription",outcome="accepted"\} 3$/m);
  });
});
