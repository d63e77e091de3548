import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ImapFlow } from "imapflow";
import { readWav } from "../../../src/media/index.ts";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { BARESIP_HOW_TO_GET, BaresipPhone, HAS_BARESIP } from "../../support/baresip.ts";
import { eventually } from "../../support/call-peers.ts";
import { missingPeer } from "../../support/peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";
import { toneWav } from "../../support/voicemail.ts";

const BOB = "1002@parley.test";

describe("voicemail phone menu with baresip", () => {
  test("*98 from the owner's phone plays the messages; 7 deletes the newest, 9 saves the next, and the IMAP view agrees", async (t) => {
    if (!HAS_BARESIP) return missingPeer(t, "baresip", BARESIP_HOW_TO_GET);
    const parley = await startSipTestNode(["1001", "1002"], {}, { features: { voicemail: true } });
    t.after(() => parley.stop());
    const store = parley.node.voicemail.store;
    const send = async (frequency: number) => {
      const audio = toneWav(frequency);
      const response = await fetch(`${parley.api}/voicemail/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${parley.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ from: "1001@parley.test", to: [BOB], audio: audio.toString("base64") }),
      });
      assert.equal(response.status, 202);
    };
    await send(700);
    await send(900);
    const [older, newer] = await store.messages(BOB, "INBOX");
    assert.ok(older && newer);
    const bob = await BaresipPhone.start({
      extension: "1002",
      password: "pw-1002",
      registrar: parley.target,
      toneHz: 2000,
      seconds: 60,
    });
    t.after(() => bob.kill());
    await eventually(() => parley.node.sip.location.lookup(`sip:${BOB}`).length === 1, "1002 to register");
    assert.equal((await bob.command("dial", `sip:*98@${parley.target}`)).ok, true);
    await eventually(
      () => parley.node.sip.calls.calls[0]?.parties[0]?.answered === true,
      "the menu to answer",
    );
    // "Two new messages", then the newest message's introduction: 7 deletes it.
    await sleep(3500);
    assert.equal((await bob.command("sndcode", "7")).ok, true);
    await eventually(
      async () => !(await store.messages(BOB, "INBOX")).some((m) => m.uid === newer.uid),
      "the newest message deleted",
    );
    // "Message deleted", then the older message plays: 9 saves it.
    await sleep(3500);
    assert.equal((await bob.command("sndcode", "9")).ok, true);
    await eventually(
      async () => (await store.messages(BOB, "Saved")).length === 1,
      "a message saved",
      10_000,
    );
    await eventually(() => parley.node.sip.calls.calls.length === 0, "the menu to hang up", 20_000);
    assert.deepEqual(await store.messages(BOB, "INBOX"), [], "nothing left in INBOX");
    const [saved] = await store.messages(BOB, "Saved");
    assert.ok(saved?.flags.includes("\\Seen"), "the saved message is marked heard");
    const raw = await store.source(BOB, "Saved", saved?.uid ?? 0);
    const message = await parseVoiceMessage(raw as Buffer);
    const tone = dominantTone(readWav(message.audio.data).samples[0] as Int16Array, 8000, [700, 900]);
    assert.equal(tone.frequency, 700, "the older message (700 Hz) is the one saved");
    assert.deepEqual(await store.counts(BOB), { newMessages: 0, oldMessages: 1, urgentNew: 0, urgentOld: 0 });
    // What an IMAP client sees is the same state.
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: parley.node.voicemail.imap?.address.port ?? 0,
      secure: false,
      doSTARTTLS: false,
      auth: { user: BOB, pass: "web-1002" },
      logger: false,
    });
    await imap.connect();
    const inboxStatus = await imap.status("INBOX", { messages: true });
    assert.ok(inboxStatus, "STATUS INBOX");
    assert.equal(inboxStatus.messages, 0);
    const savedBox = await imap.mailboxOpen("Saved");
    assert.equal(savedBox.exists, 1);
    const fetched = await imap.fetchOne("1", { uid: true, flags: true });
    assert.ok(fetched, "FETCH 1 in Saved");
    assert.equal(fetched.flags?.has("\\Seen"), true, "IMAP sees the saved message as read");
    await imap.logout();
    await bob.quit();
  });
});
