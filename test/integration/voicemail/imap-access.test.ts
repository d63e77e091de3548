import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ImapFlow } from "imapflow";
import { readWav } from "../../../src/media/index.ts";
import { eventually } from "../../support/call-peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";
import { toneWav } from "../../support/voicemail.ts";

const BOB = "1002@parley.test";

async function sendFromAlice(node: SipTestNode) {
  const response = await fetch(`${node.api}/voicemail/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${node.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ from: "1001@parley.test", to: [BOB], audio: toneWav(1000).toString("base64") }),
  });
  assert.equal(response.status, 202, await response.text());
}

function client(node: SipTestNode): ImapFlow {
  const port = node.node.voicemail.imap?.address.port;
  assert.ok(port, "the IMAP server listens");
  return new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: BOB, pass: "web-1002" },
    logger: false,
  });
}

describe("voice mailboxes over IMAP4rev1 on a running node", () => {
  test("imapflow reads Bob's voice message (BODYSTRUCTURE, the audio part), marks it \\Seen, which turns the lamp off, and UIDs survive a restart", async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-imap-"));
    let node = await startSipTestNode(["1001", "1002"], {}, { features: { voicemail: true }, dataDir });
    t.after(() => node.stop());
    const lamps: Array<[string, number | undefined]> = [];
    const indicator = node.node.sip.messageWaiting;
    const update = indicator.update.bind(indicator);
    indicator.update = (aor, summary) => {
      lamps.push([aor, summary?.new]);
      update(aor, summary);
    };
    await sendFromAlice(node);
    await eventually(() => lamps.some(([aor, n]) => aor === `sip:${BOB}` && n === 1), "the lamp on (1 new)");

    const imap = client(node);
    await imap.connect();
    const listed = (await imap.list()).map((m) => m.path).sort();
    assert.deepEqual(listed, ["INBOX", "Old", "Saved"]);
    const box = await imap.mailboxOpen("INBOX");
    assert.equal(box.exists, 1);
    const uidValidity = box.uidValidity;
    const message = await imap.fetchOne("1", { uid: true, flags: true, bodyStructure: true, envelope: true });
    assert.ok(message);
    assert.equal(message.envelope?.from?.[0]?.address, "1001@parley.test");
    const parts = message.bodyStructure?.childNodes ?? [];
    const audioPart = parts.find((p) => p.type === "audio/wav");
    assert.ok(audioPart?.part, `an audio/wav part in ${JSON.stringify(parts.map((p) => p.type))}`);
    assert.equal(message.flags?.has("\\Seen"), false);
    const { content } = await imap.download("1", audioPart.part);
    const chunks: Buffer[] = [];
    for await (const chunk of content ?? []) chunks.push(chunk as Buffer);
    const tone = dominantTone(
      readWav(Buffer.concat(chunks)).samples[0] as Int16Array,
      8000,
      [600, 1000, 2000],
    );
    assert.equal(tone.frequency, 1000, "the decoded audio part is the message");

    await imap.messageFlagsAdd("1", ["\\Seen"]);
    await eventually(() => lamps.at(-1)?.[1] === 0, "the lamp off (0 new) after reading over IMAP");
    const uid = message.uid;
    await imap.logout();
    await node.stop();

    node = await startSipTestNode(["1001", "1002"], {}, { features: { voicemail: true }, dataDir });
    const again = client(node);
    await again.connect();
    const reopened = await again.mailboxOpen("INBOX");
    assert.equal(reopened.uidValidity, uidValidity, "UIDVALIDITY unchanged after the restart");
    const same = await again.fetchOne("1", { uid: true, flags: true });
    assert.ok(same, "FETCH 1 after the restart");
    assert.equal(same.uid, uid, "the message keeps its UID");
    assert.equal(same.flags?.has("\\Seen"), true, "and its flags");
    await again.messageFlagsAdd("1", ["\\Deleted"]);
    await again.mailboxClose();
    await again.logout();
    assert.deepEqual(
      await node.node.voicemail.store.messages(BOB, "INBOX"),
      [],
      "CLOSE expunged the deleted message",
    );
  });
});
