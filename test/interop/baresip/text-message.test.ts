import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import type { IncomingText } from "../../../src/calls/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { missingPeer } from "../../support/peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";

/** Real-time bound for a peer process to show something (not a protocol timer). */
const DEADLINE_MS = 20_000;

async function until(what: string, done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited >= DEADLINE_MS) throw new Error(`baresip: no ${what} within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A baresip phone with its stdio user interface, the only way baresip shows incoming texts
 * (`<From URI>: "<text>"`); BaresipPhone retries on a port taken by a parallel test.
 */
async function startTextPhone(
  t: TestContext,
  options: { extension: string; registrar: string },
): Promise<{ output: () => string }> {
  const phone = await BaresipPhone.start({
    extension: options.extension,
    password: `pw-${options.extension}`,
    registrar: options.registrar,
    toneHz: 440,
    seconds: 60,
    ui: true,
  });
  t.after(() => phone.kill());
  return { output: () => phone.output };
}

/**
 * Texts `uri` from a BaresipPhone: its contact module's `message` command sends to the current
 * contact, which `contact_next` / `contact_prev` move through (without wrapping around).
 */
async function textFrom(phone: BaresipPhone, uri: string, text: string): Promise<void> {
  const moves = [
    "contact_next",
    "contact_next",
    "contact_next",
    "contact_prev",
    "contact_prev",
    "contact_prev",
  ];
  let current = "";
  for (const move of moves) {
    current = (await phone.command(move)).data;
    if (current.includes(`<${uri}>`)) break;
  }
  assert.ok(current.includes(`<${uri}>`), `the contact to text is ${uri}: ${current}`);
  const sent = await phone.command("message", text);
  assert.ok(sent.ok, sent.data);
  assert.equal(sent.data, "", "no message_send error");
}

/**
 * A BaresipPhone that can send texts: baresip 1.0.0's menu has no command for it, its contact
 * module has (`message <text>` to the current contact), reading `contacts` in the config dir
 * when it loads.
 */
async function startTexter(
  parley: SipTestNode,
  extension: string,
  contacts: string[],
): Promise<BaresipPhone> {
  const phone = await BaresipPhone.start({
    extension,
    password: `pw-${extension}`,
    registrar: parley.target,
    toneHz: 440,
    seconds: 60,
  });
  await until(
    "registration",
    () => parley.node.sip.location.lookup(`sip:${extension}@parley.test`).length > 0,
  );
  writeFileSync(join(phone.dir, "contacts"), contacts.map((uri) => `"${uri}" <${uri}>\n`).join(""));
  const loaded = await phone.command("insmod", "contact");
  assert.ok(loaded.ok && /loaded module contact/.test(loaded.data), loaded.data);
  return phone;
}

describe("SIP MESSAGE (RFC 3428) against baresip (real phones)", () => {
  test("a registered baresip phone shows the text Parley sends, from parley", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["4201"]);
    t.after(() => parley.stop());
    const phone = await startTextPhone(t, { extension: "4201", registrar: parley.target });
    await until("registration", () => parley.node.sip.location.lookup("sip:4201@parley.test").length > 0);

    const text = "Bob did not answer 3 times. Reply YES to have Parley keep trying …";
    const delivery = await parley.node.sip.messaging.send("sip:4201@parley.test", text);
    assert.deepEqual(delivery, { delivered: 1, attempted: 1 }, "baresip answered 200");
    await until("text shown", () => phone.output().includes(`sip:parley@parley.test: "${text}"`));
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
    const ann = await startTextPhone(t, { extension: "4201", registrar: parley.target });
    await until(
      "4201 registration",
      () => parley.node.sip.location.lookup("sip:4201@parley.test").length > 0,
    );
    const parleyUri = `sip:parley@${parley.target}`;
    const annUri = `sip:4201@${parley.target}`;
    texter = await startTexter(parley, "4202", [parleyUri, annUri]);

    await textFrom(texter, parleyUri, "YES");
    await until("the handler's text", () => seen.length >= 1);
    assert.deepEqual(seen, [{ from: "4202@parley.test", to: "parley", text: "YES" }]);
    await until("the answer", () => statuses.length >= 1);
    assert.deepEqual(statuses, [200]);

    await textFrom(texter, annUri, "lunch?");
    await until("the relayed text on 4201", () => ann.output().includes('sip:4202@parley.test: "lunch?"'));
    assert.deepEqual(statuses, [200, 202], "taken, then relayed");
    assert.deepEqual(seen[1], { from: "4202@parley.test", to: "4201", text: "lunch?" }, "asked first");
  });
});
