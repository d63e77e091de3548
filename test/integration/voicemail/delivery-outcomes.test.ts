import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import { parseVoiceMessage, SmtpReceiver } from "../../../src/smtp/index.ts";
import { eventually } from "../../support/call-peers.ts";
import { startSipTestNode } from "../../support/sip-node.ts";
import { adminApi, toneWav } from "../../support/voicemail.ts";

const ALICE = "1001@parley.test";
const BOB = "1002@parley.test";
const VOICEMAIL = { features: { voicemail: true } };

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("voice message delivery outcomes", () => {
  test("a message for a server that never answers comes back to the sender's INBOX as a non-delivery notice", async (t) => {
    const port = await closedPort();
    const node = await startSipTestNode(
      ["1001", "1002"],
      {},
      {
        ...VOICEMAIL,
        toml: `[smtp]\nretry_delays = [1]\n\n[[smtp.peers]]\ndomain = "gone.example"\nhost = "127.0.0.1"\nport = ${port}\ntls = "none"\n`,
      },
    );
    t.after(() => node.stop());
    const sent = await adminApi(node, "POST", "/voicemail/messages", {
      from: ALICE,
      to: ["2001@gone.example"],
      audio: toneWav(1000).toString("base64"),
    });
    assert.equal(sent.status, 202);
    assert.deepEqual(sent.body?.recipients, [{ address: "2001@gone.example", outcome: "queued" }]);
    await eventually(
      async () => (await node.node.voicemail.store.messages(ALICE, "INBOX")).length === 1,
      "the non-delivery notice in Alice's INBOX",
      15_000,
    );
    const [notice] = await node.node.voicemail.store.messages(ALICE, "INBOX");
    const raw =
      (await node.node.voicemail.store.source(ALICE, "INBOX", notice?.uid ?? 0))?.toString("latin1") ?? "";
    assert.match(raw, /^Content-Type: multipart\/report; report-type=delivery-status/m);
    assert.match(raw, /^Final-Recipient: rfc822; ?2001@gone\.example$/im);
    assert.match(raw, /^Action: failed$/im);
  });

  test("a full mailbox refuses the message; a user with notifyEmail gets a copy, audio attached, through the relay", async (t) => {
    const relayed: Array<{ to: readonly string[]; raw: Buffer }> = [];
    const relay = new SmtpReceiver({
      host: "127.0.0.1",
      port: 0,
      domains: () => true,
      allowFrom: ["127.0.0.1"],
      maxMessageBytes: 10_000_000,
      onRecipient: async () => true,
      onMessage: async (envelope, raw) => {
        relayed.push({ to: envelope.to, raw });
      },
      logger: silentLogger(),
    });
    await relay.listen();
    t.after(() => relay.close());
    const node = await startSipTestNode(
      ["1001", "1002"],
      {},
      {
        ...VOICEMAIL,
        toml: `[smtp]\nrelay_host = "127.0.0.1"\nrelay_port = ${relay.address().port}\nrelay_tls = "none"\n`,
      },
    );
    t.after(() => node.stop());
    const patched = await adminApi(node, "PATCH", `/users/${BOB}/voicemail`, {
      maxMessages: 1,
      notifyEmail: "bob@mail.example",
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body?.notifyEmail, "bob@mail.example");
    const send = () =>
      adminApi(node, "POST", "/voicemail/messages", {
        from: ALICE,
        to: [BOB],
        audio: toneWav(1000).toString("base64"),
      });
    assert.deepEqual((await send()).body?.recipients, [{ address: BOB, outcome: "filed" }]);
    assert.deepEqual((await send()).body?.recipients, [{ address: BOB, outcome: "full" }], "maxMessages = 1");
    await eventually(() => relayed.length === 1, "the e-mail notification at the relay");
    assert.deepEqual(relayed[0]?.to, ["bob@mail.example"]);
    const copy = await parseVoiceMessage(relayed[0]?.raw as Buffer);
    assert.equal(copy.from?.address, ALICE);
    assert.ok(copy.audio.data.length > 16_000, "the audio is attached");
  });

  test("a message being recorded when the process died is delivered at the next start (spool recovery)", async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-spool-"));
    const spool = join(dataDir, "voicemail", "spool");
    mkdirSync(spool, { recursive: true });
    // What a deposit leaves when the process is killed mid-message: the entry and a WAV whose
    // header was last rewritten before the final samples (its data size undercounts).
    const wav = toneWav(1000, 3);
    wav.writeUInt32LE(8000 * 2, 40);
    writeFileSync(
      join(spool, "c0ffee00-0000-4000-8000-000000000001.json"),
      JSON.stringify({
        sender: { user: ALICE, address: ALICE },
        recipients: [BOB],
        callerId: "1001",
        date: "2026-11-23T10:00:00.000Z",
      }),
    );
    writeFileSync(join(spool, "c0ffee00-0000-4000-8000-000000000001.wav"), wav);
    const node = await startSipTestNode(["1001", "1002"], {}, { ...VOICEMAIL, dataDir });
    t.after(() => node.stop());
    const messages = await node.node.voicemail.store.messages(BOB, "INBOX");
    assert.equal(messages.length, 1, "recovered before the node reports running");
    const message = await parseVoiceMessage(
      (await node.node.voicemail.store.source(BOB, "INBOX", messages[0]?.uid ?? 0)) as Buffer,
    );
    assert.equal(message.callerId, "1001");
    assert.equal(message.durationSeconds, 3, "every sample written before the crash is kept");
    assert.equal(message.date?.toISOString(), "2026-11-23T10:00:00.000Z");
  });
});
