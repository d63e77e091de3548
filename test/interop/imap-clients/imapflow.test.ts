import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { ImapFlow } from "imapflow";
import { missingPeer } from "../../support/peers.ts";
import { selfSignedCertificate } from "../../support/tls-certificate.ts";
import { MESSAGE_WAV_LENGTH, MESSAGE_WAV_SHA256, PASSWORD, startInteropServer, USER } from "./imap-peer.ts";

function client(port: number, options: { starttls?: boolean } = {}): ImapFlow {
  return new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    doSTARTTLS: options.starttls ?? false,
    tls: { rejectUnauthorized: false },
    auth: { user: USER, pass: PASSWORD },
    logger: false,
  });
}

async function readAll(stream: AsyncIterable<unknown> | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("imapflow against ImapServer (real client)", () => {
  test("lists, opens INBOX, reads BODYSTRUCTURE and the audio part, sets \\Seen, deletes and expunges", async (t) => {
    const { server, store, port } = await startInteropServer();
    t.after(() => server.close());
    const imap = client(port);
    t.after(() => imap.close());
    await imap.connect();
    assert.deepEqual((await imap.list()).map((m) => m.path).sort(), ["INBOX", "Saved"]);
    const box = await imap.mailboxOpen("INBOX");
    assert.equal(box.exists, 2);
    assert.equal(Number(box.uidValidity), 1_700_000_000);
    const message = await imap.fetchOne("1", { uid: true, flags: true, bodyStructure: true, envelope: true });
    assert.ok(message);
    assert.equal(message.envelope?.from?.[0]?.address, "voicemail@parley.example");
    assert.equal(message.envelope?.subject, "Voice message from +33 1 23 45 67 89 (0:01)");
    const parts = message.bodyStructure?.childNodes ?? [];
    assert.deepEqual(
      parts.map((p) => [p.part, p.type, p.dispositionParameters?.filename]),
      [
        ["1", "text/plain", undefined],
        ["2", "audio/wav", "message.wav"],
        ["3", "text/plain", "signature.txt"],
        ["4", "audio/wav", "signature.wav"],
        ["5", "image/png", "signature.png"],
      ],
    );
    assert.equal(message.flags?.has("\\Seen"), false);
    const download = await imap.download("1", "2");
    const wav = await readAll(download.content);
    assert.equal(wav.length, MESSAGE_WAV_LENGTH);
    assert.equal(createHash("sha256").update(wav).digest("hex"), MESSAGE_WAV_SHA256);
    assert.equal((await store.messages(USER, "INBOX"))[0]?.flags.length, 0, "download peeks");

    assert.ok(await imap.messageFlagsAdd("1", ["\\Seen"]));
    assert.ok(await imap.messageDelete("2"));
    assert.deepEqual(
      (await store.messages(USER, "INBOX")).map((m) => ({ uid: m.uid, flags: m.flags })),
      [{ uid: 1, flags: ["\\Seen"] }],
    );
    const copied = await imap.messageCopy("1", "Saved");
    assert.ok(copied);
    assert.equal(copied.uidMap?.get(1), 1);
    await imap.logout();
  });

  test("IDLE: imapflow hears an exists event when a voicemail is deposited", async (t) => {
    const { server, store, port } = await startInteropServer();
    t.after(() => server.close());
    const imap = client(port);
    t.after(() => imap.close());
    await imap.connect();
    await imap.mailboxOpen("INBOX");
    const exists = new Promise<{ count: number; prevCount: number }>((resolve) => imap.on("exists", resolve));
    const idling = imap.idle();
    await new Promise<void>((resolve) => {
      const poll = () => (imap.idling ? resolve() : setImmediate(poll));
      poll();
    });
    const raw = readFileSync(new URL("../../fixtures/mail/voice-message.eml", import.meta.url));
    store.append(USER, "INBOX", raw);
    assert.deepEqual(await exists, { path: "INBOX", count: 3, prevCount: 2 });
    await imap.logout();
    await idling;
  });

  test("STARTTLS with a self-signed certificate before LOGIN", async (t) => {
    const files = selfSignedCertificate();
    if (!files) return missingPeer(t, "openssl", "apt-get install openssl (to make a test certificate)");
    const tls = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
    const { server, port } = await startInteropServer({ tls, requireTls: true });
    t.after(() => server.close());
    const imap = client(port, { starttls: true });
    t.after(() => imap.close());
    await imap.connect();
    assert.equal(imap.secureConnection, true, "the session runs over TLS");
    const box = await imap.mailboxOpen("INBOX");
    assert.equal(box.exists, 2);
    await imap.logout();
  });
});
