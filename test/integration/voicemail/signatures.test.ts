import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readWav } from "../../../src/media/index.ts";
import { parseVoiceMessage } from "../../../src/smtp/index.ts";
import { eventually } from "../../support/call-peers.ts";
import { type SipTestNode, startSipTestNode } from "../../support/sip-node.ts";
import { dominantTone } from "../../support/tone-probe.ts";
import { ALICE_SIGNATURE, adminApi, PNG, toneWav } from "../../support/voicemail.ts";

/** Every user of these nodes has a mailbox. */
const VOICEMAIL = { features: { voicemail: true } };

async function inbox(node: SipTestNode, user: string) {
  const store = node.node.voicemail.store;
  const messages = await store.messages(user, "INBOX");
  return Promise.all(
    messages.map(async (m) => parseVoiceMessage((await store.source(user, "INBOX", m.uid)) as Buffer)),
  );
}

describe("voice messages carry the sender's signature, here and between servers", () => {
  test("Alice's message by API reaches Bob here and Carol on a second Parley by SMTP, each with the text, voice and image of her signature", async (t) => {
    const remote = await startSipTestNode(["2001"], { PARLEY_SIP_DOMAIN: "b.parley.test" }, VOICEMAIL);
    t.after(() => remote.stop());
    const smtpPort = remote.node.voicemail.smtp?.address().port;
    assert.ok(smtpPort);
    const local = await startSipTestNode(
      ["1001", "1002"],
      { PARLEY_SIP_DOMAIN: "a.parley.test" },
      {
        ...VOICEMAIL,
        toml: `[[smtp.peers]]\ndomain = "b.parley.test"\nhost = "127.0.0.1"\nport = ${smtpPort}\ntls = "none"\n`,
      },
    );
    t.after(() => local.stop());

    const stored = await adminApi(local, "PUT", "/users/1001@a.parley.test/signature", ALICE_SIGNATURE);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    const sent = await adminApi(local, "POST", "/voicemail/messages", {
      from: "1001@a.parley.test",
      to: ["1002@a.parley.test", "2001@b.parley.test"],
      audio: toneWav(1000).toString("base64"),
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal(sent.body?.signature, "attached");
    assert.deepEqual(sent.body?.recipients, [
      { address: "1002@a.parley.test", outcome: "filed" },
      { address: "2001@b.parley.test", outcome: "queued" },
    ]);

    const voice = (await adminApi(local, "GET", "/users/1001@a.parley.test/signature")).body?.voice as string;
    for (const [node, user] of [
      [local, "1002@a.parley.test"],
      [remote, "2001@b.parley.test"],
    ] as const) {
      await eventually(async () => (await inbox(node, user)).length === 1, `the message for ${user}`, 10_000);
      const [message] = await inbox(node, user);
      assert.ok(message);
      assert.equal(message.from?.address, "1001@a.parley.test");
      assert.equal(message.signature.text, ALICE_SIGNATURE.text, `${user}: the text part`);
      assert.deepEqual(message.signature.voice, Buffer.from(voice, "base64"), `${user}: the voice part`);
      assert.deepEqual(
        message.signature.image,
        { contentType: "image/png", data: PNG },
        `${user}: the image part`,
      );
      assert.deepEqual(message.signatureStatus, { state: "attached" });
      const tone = dominantTone(readWav(message.audio.data).samples[0] as Int16Array, 8000, [600, 1000]);
      assert.equal(tone.frequency, 1000, "the message audio is the message, not the signature");
    }
    const counts = await remote.node.voicemail.store.counts("2001@b.parley.test");
    assert.equal(counts.newMessages, 1);
  });

  test("a sender without a signature here gets it from the signature server; when that server is down the message goes without and says so", async (t) => {
    const signatureServer = await startSipTestNode(
      ["1001"],
      { PARLEY_SIP_DOMAIN: "a.parley.test" },
      VOICEMAIL,
    );
    t.after(() => signatureServer.stop());
    assert.equal(
      (await adminApi(signatureServer, "PUT", "/users/1001@a.parley.test/signature", ALICE_SIGNATURE)).status,
      200,
    );
    const sender = await startSipTestNode(
      ["1001", "1002", "1003"],
      {
        PARLEY_SIP_DOMAIN: "a.parley.test",
        PARLEY_VOICEMAIL_SIGNATURE_SERVER_URL: signatureServer.api.replace(/\/api\/v1$/, ""),
        PARLEY_VOICEMAIL_SIGNATURE_SERVER_TOKEN: signatureServer.adminToken,
      },
      VOICEMAIL,
    );
    t.after(() => sender.stop());
    const send = (from: string) =>
      adminApi(sender, "POST", "/voicemail/messages", {
        from,
        to: ["1002@a.parley.test"],
        audio: toneWav(1000).toString("base64"),
      });
    const fetched = await send("1001@a.parley.test");
    assert.equal(fetched.status, 202);
    assert.equal(fetched.body?.signature, "attached");
    const [message] = await inbox(sender, "1002@a.parley.test");
    assert.equal(message?.signature.text, ALICE_SIGNATURE.text);
    assert.deepEqual(message?.signature.image, { contentType: "image/png", data: PNG });
    assert.ok(message?.signature.voice && message.signature.voice.length > 44, "the voice part");

    const nobody = await send("1002@a.parley.test");
    assert.equal(nobody.body?.signature, "none", "the server has no signature for 1002: none, not an error");

    await signatureServer.stop();
    const down = await send("1003@a.parley.test");
    assert.equal(down.status, 202, "the message still goes");
    assert.equal(down.body?.signature, "unavailable");
    const messages = await inbox(sender, "1002@a.parley.test");
    const last = messages.find((m) => m.from?.address === "1003@a.parley.test");
    assert.equal(last?.signatureStatus?.state, "unavailable", "the message says why it has no signature");
  });
});
