import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { IncomingText } from "../../../src/calls/index.ts";
import { BARESIP_HOW_TO_GET, type BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { BaresipTextPhone } from "../../support/baresip-text-phone.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";

/** Real-time bound for a peer process to show something (not a protocol timer). */
const DEADLINE_MS = 20_000;

async function until(what: string, done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited >= DEADLINE_MS) throw new Error(`baresip: no ${what} within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("SIP MESSAGE (RFC 3428) against baresip (real phones)", () => {
  test("a registered baresip phone shows the text Parley sends, from parley", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["4201"]);
    t.after(() => parley.stop());
    const phone = await BaresipTextPhone.start(t, { extension: "4201", registrar: parley.target });
    await until("registration", () => parley.node.sip.location.lookup("sip:4201@parley.test").length > 0);

    const text = "Bob did not answer 3 times. Reply YES to have Parley keep trying …";
    const delivery = await parley.node.sip.messaging.send("sip:4201@parley.test", text);
    assert.deepEqual(delivery, { delivered: 1, attempted: 1 }, "baresip answered 200");
    await until("text shown", () => phone.output.includes(`sip:parley@parley.test: "${text}"`));
  });

  test("baresip texts Parley: the service handler gets the authenticated sender and YES; a text to another user is relayed to that user's phone", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["4201", "4202"]);
    let texter: BaresipPhone | undefined;
    t.after(async () => {
      await texter?.quit();
      await parley.stop();
    });
    const messaging = parley.node.sip.messaging;
    const seen: IncomingText[] = [];
    const statuses: number[] = [];
    messaging.on("received", (_message, status) => statuses.push(status));
    messaging.onText((message) => {
      seen.push(message);
      return message.to === "parley";
    });
    const ann = await BaresipTextPhone.start(t, { extension: "4201", registrar: parley.target });
    await until(
      "4201 registration",
      () => parley.node.sip.location.lookup("sip:4201@parley.test").length > 0,
    );
    const parleyUri = `sip:parley@${parley.target}`;
    const annUri = `sip:4201@${parley.target}`;
    const sender = await BaresipTextPhone.start(t, {
      extension: "4202",
      registrar: parley.target,
      contacts: [parleyUri, annUri],
    });
    texter = sender;
    await until(
      "4202 registration",
      () => parley.node.sip.location.lookup("sip:4202@parley.test").length > 0,
    );

    await sender.text(parleyUri, "YES");
    await until("the handler's text", () => seen.length >= 1);
    assert.deepEqual(seen, [{ from: "4202@parley.test", to: "parley", text: "YES" }]);
    await until("the answer", () => statuses.length >= 1);
    assert.deepEqual(statuses, [200]);

    await sender.text(annUri, "lunch?");
    await until("the relayed text on 4201", () => ann.output.includes('sip:4202@parley.test: "lunch?"'));
    assert.deepEqual(statuses, [200, 202], "taken, then relayed");
    assert.deepEqual(seen[1], { from: "4202@parley.test", to: "4201", text: "lunch?" }, "asked first");
  });
});
