import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, before, describe, test } from "node:test";
import type { IncomingText } from "../../../src/calls/index.ts";
import { registerSippPhone } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { describeSippResult, findSipp, runSipp, SIPP_HOW_TO_GET, writeUsersCsv } from "../../support/sipp.ts";

const HAS_SIPP = findSipp() !== undefined;

/** Resolves once something (SIPp) holds UDP `port` on 127.0.0.1: a real-time poll, no protocol timer. */
async function listening(port: number, deadlineMs = 10_000): Promise<void> {
  for (let waited = 0; waited < deadlineMs; waited += 50) {
    const socket = createSocket("udp4");
    const taken = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(true));
      socket.bind(port, "127.0.0.1", () => resolve(false));
    });
    await new Promise<void>((resolve) => (taken ? resolve() : socket.close(() => resolve())));
    if (taken) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on UDP ${port} within ${deadlineMs} ms`);
}

describe("SIP MESSAGE (RFC 3428) against SIPp (real peer)", () => {
  let parley: SipTestNode;

  before(async () => {
    if (!HAS_SIPP) return;
    // MD5 first: SIPp 3.6.1 answers only the first challenge, and only MD5.
    parley = await startSipTestNode(["3101", "3102"], { PARLEY_SIP_DIGEST_ALGORITHMS: "MD5,SHA-256" });
  });
  after(() => parley?.stop());

  test("a phone texts Parley with digest auth; the service handler gets the authenticated sender, the recipient and the text, and the phone 200", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const messaging = parley.node.sip.messaging;
    const seen: IncomingText[] = [];
    const remove = messaging.onText((message) => {
      seen.push(message);
      return true;
    });
    t.after(remove);
    const result = await runSipp({
      scenario: "message-uac",
      target: parley.target,
      injection: writeUsersCsv([{ user: "3101", password: "pw-3101", domain: "parley.test" }]),
      authUri: "parley.test",
      timeoutSeconds: 20,
      extraArgs: ["-mp", "0", "-s", "parley"],
    });
    assert.equal(result.code, 0, `${describeSippResult(result)}\n${result.messages.slice(-3000)}`);
    // The text is handed on as sent: SIPp ends each body line with CRLF.
    assert.deepEqual(seen, [{ from: "3101@parley.test", to: "parley", text: "YES\r\n" }]);
    assert.match(result.messages, /SIP\/2\.0 401 Unauthorized[\s\S]*SIP\/2\.0 200 OK/);
    const metrics = await parley.node.metrics.metrics();
    assert.match(metrics, /^parley_sip_messages_total\{direction="inbound",outcome="taken"\} 1$/m);
  });

  test("Parley texts a registered phone: SIPp gets the MESSAGE from parley with the text and answers 200, which send counts as delivered", async (t) => {
    if (!HAS_SIPP) return missingPeer(t, "SIPp", SIPP_HOW_TO_GET);
    const port = await registerSippPhone(parley.node, "3102");
    const phone = runSipp({
      scenario: "message-uas",
      target: parley.target,
      port,
      timeoutSeconds: 20,
      extraArgs: ["-mp", "0"],
    });
    await listening(port);
    const delivery = await parley.node.sip.messaging.send(
      "sip:3102@parley.test",
      "Bob did not answer 3 times. Reply YES to have Parley keep trying.",
    );
    const result = await phone;
    assert.equal(result.code, 0, `${describeSippResult(result)}\n${result.messages.slice(-3000)}`);
    assert.deepEqual(delivery, { delivered: 1, attempted: 1 });
    assert.match(
      result.logs,
      /MESSAGE from sip:parley@parley\.test to .*Contact \): Bob did not answer 3 times\./,
    );
  });
});
