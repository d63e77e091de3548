import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { toneWav } from "../../support/voicemail.ts";

const BOB = "1002@parley.test";

describe("voicemail menu from any phone (*99) with a PIN", () => {
  test("*99 asks for the mailbox and its PIN; a wrong PIN is refused, the right one opens the box and 7 deletes the message", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], {}, { features: { voicemail: true } });
    t.after(() => parley.stop());
    const headers = { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" };
    const patched = await fetch(`${parley.api}/users/${BOB}/voicemail`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ pin: "4711" }),
    });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as { hasPin: boolean }).hasPin, true);
    const sent = await fetch(`${parley.api}/voicemail/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({ from: "1001@parley.test", to: [BOB], audio: toneWav(700).toString("base64") }),
    });
    assert.equal(sent.status, 202);
    const store = parley.node.voicemail.store;
    // Alice calls *99 from her own phone and opens Bob's box with his PIN.
    const alice = await BaresipPhone.start({
      extension: "1001",
      password: "pw-1001",
      registrar: parley.target,
      toneHz: 1000,
      seconds: 60,
    });
    t.after(() => alice.kill());
    await eventually(
      () => parley.node.sip.location.lookup("sip:1001@parley.test").length === 1,
      "1001 to register",
    );
    assert.equal((await alice.command("dial", `sip:*99@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the menu to answer",
    );
    const press = async (digits: string) => {
      for (const digit of digits) {
        assert.equal((await alice.command("sndcode", digit)).ok, true);
        await sleep(300);
      }
    };
    await sleep(3500); // "Please enter the mailbox number"
    await press("1002#");
    await sleep(2500); // "Please enter your PIN"
    await press("0000#");
    await sleep(3500); // "That PIN is not correct. Please enter your PIN"
    assert.deepEqual(
      (await store.messages(BOB, "INBOX")).map((m) => m.flags.length),
      [0],
      "a wrong PIN opens nothing",
    );
    await press("4711#");
    // The message plays and is marked heard; 7 deletes it.
    await sleep(3000);
    await press("7");
    await eventually(
      async () => (await store.messages(BOB, "INBOX")).length === 0,
      "the message deleted",
      10_000,
    );
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the menu to hang up", 20_000);
    await alice.quit();
  });
});
