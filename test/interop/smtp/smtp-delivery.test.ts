import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  composeVoiceMessage,
  MemoryOutboxStore,
  type OutboxItem,
  parseVoiceMessage,
  type ReceivedEnvelope,
  type RecipientFailure,
  SmtpMessageError,
  SmtpOutbox,
  SmtpReceiver,
  type SmtpReceiverOptions,
  type SmtpRefusal,
  SmtpSender,
  type SmtpSenderOptions,
  type VoiceMessageParts,
} from "../../../src/smtp/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { missingPeer } from "../../support/peers.ts";
import { selfSignedCertificate } from "../../support/tls-certificate.ts";

const DOMAIN = "parley-b.example";
const MAILBOXES = new Set([`2001@${DOMAIN}`, `2002@${DOMAIN}`]);

interface Received {
  envelope: ReceivedEnvelope;
  raw: Buffer;
  remoteAddress: string;
}

/** A receiver on 127.0.0.1:0 that knows MAILBOXES and records what it files and what it refuses. */
async function startReceiver(overrides: Partial<SmtpReceiverOptions> = {}) {
  const received: Received[] = [];
  const refused: SmtpRefusal[] = [];
  const receiver = new SmtpReceiver({
    host: "127.0.0.1",
    port: 0,
    serverName: "mx.parley-b.example",
    domains: [DOMAIN],
    allowFrom: ["127.0.0.0/8", "::1"],
    maxMessageBytes: 1_000_000,
    onRecipient: async (address) => MAILBOXES.has(address.toLowerCase()),
    onMessage: async (envelope, raw, remoteAddress) => {
      received.push({ envelope, raw, remoteAddress });
    },
    onRefused: (refusal) => refused.push(refusal),
    logger: silentLogger(),
    closeTimeoutMs: 1_000,
    ...overrides,
  });
  await receiver.listen();
  return { receiver, received, refused, port: receiver.address().port };
}

function senderTo(
  port: number,
  overrides: Partial<SmtpSenderOptions> = {},
  tls: "none" | "starttls" = "none",
) {
  return new SmtpSender({
    clientName: "mx.parley-a.example",
    peers: [{ domain: DOMAIN, host: "127.0.0.1", port, tls }],
    logger: silentLogger(),
    connectionTimeoutMs: 5_000,
    greetingTimeoutMs: 5_000,
    socketTimeoutMs: 10_000,
    ...overrides,
  });
}

function voiceMessage(overrides: Partial<VoiceMessageParts> = {}): Buffer {
  return composeVoiceMessage({
    messageId: `${randomBytes(6).toString("hex")}@parley-a.example`,
    from: { address: "2000@parley-a.example", name: "Zoë Ångström" },
    to: [{ address: `2001@${DOMAIN}` }],
    date: new Date(Date.UTC(2026, 0, 14, 21, 5, 9)),
    caller: { id: "2000", name: "Zoë Ångström" },
    durationSeconds: 12,
    audio: randomBytes(40_000),
    signature: {
      text: "Zoë Ångström — Parley A",
      voice: randomBytes(8_000),
      image: { data: randomBytes(3_000), contentType: "image/jpeg" },
    },
    ...overrides,
  });
}

const HAS_PYTHON = spawnSync("python3", ["--version"]).status === 0;
const PYTHON_HOW_TO_GET = "install python3 (apt-get install python3)";

/** Python's smtplib as a second, independent SMTP client: prints what the server refused as JSON. */
const PYTHON_CLIENT = `
import json, smtplib, ssl, sys
port, mode, cafile, mail_from = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rcpts = sys.argv[5:]
raw = sys.stdin.buffer.read()
def codes(d):
    return {k: [v[0], v[1].decode()] for k, v in d.items()}
with smtplib.SMTP("127.0.0.1", port, local_hostname="python.example", timeout=10) as s:
    s.ehlo()
    if mode == "starttls":
        s.starttls(context=ssl.create_default_context(cafile=cafile))
        s.ehlo()
    try:
        print(json.dumps({"refused": codes(s.sendmail(mail_from, rcpts, raw))}))
    except smtplib.SMTPRecipientsRefused as e:
        print(json.dumps({"allRefused": codes(e.recipients)}))
`;

function pythonSend(
  port: number,
  raw: Buffer,
  rcpts: string[],
  options: { starttls?: string } = {},
): Promise<{ refused?: Record<string, [number, string]>; allRefused?: Record<string, [number, string]> }> {
  return new Promise((resolve, reject) => {
    const args = [
      "-c",
      PYTHON_CLIENT,
      String(port),
      options.starttls ? "starttls" : "plain",
      options.starttls ?? "",
      "2000@parley-a.example",
      ...rcpts,
    ];
    const child = execFile("python3", args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python3 smtplib failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin?.end(raw);
  });
}

describe("voice messages between servers over SMTP (nodemailer → smtp-server on loopback)", () => {
  test("SmtpSender delivers a composed voice message; the bytes arrive intact and parse with the signature", async () => {
    const { receiver, received } = await startReceiver();
    const sender = senderTo(receiver.address().port);
    try {
      const raw = voiceMessage({ to: [{ address: `2001@${DOMAIN}` }, { address: `2002@${DOMAIN}` }] });
      const report = await sender.send({
        envelope: { from: "2000@parley-a.example", to: [`2001@${DOMAIN}`, `2002@${DOMAIN}`] },
        raw,
      });
      assert.deepEqual(report, { accepted: [`2001@${DOMAIN}`, `2002@${DOMAIN}`], failed: [] });
      assert.equal(received.length, 1, "one transaction for both recipients on the same peer");
      const [message] = received;
      assert.ok(message?.raw.equals(raw), "the received bytes are the sent bytes");
      assert.deepEqual(message?.envelope, {
        from: "2000@parley-a.example",
        to: [`2001@${DOMAIN}`, `2002@${DOMAIN}`],
      });
      assert.equal(message?.remoteAddress, "127.0.0.1");
      const parsed = await parseVoiceMessage(message?.raw ?? Buffer.alloc(0));
      const original = await parseVoiceMessage(raw);
      assert.ok(parsed.audio.data.equals(original.audio.data));
      assert.equal(parsed.signature.text, "Zoë Ångström — Parley A");
      assert.ok(parsed.signature.voice?.equals(original.signature.voice ?? Buffer.alloc(1)));
      assert.ok(parsed.signature.image?.data.equals(original.signature.image?.data ?? Buffer.alloc(1)));
      assert.deepEqual(parsed.signatureStatus, { state: "attached" });
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test("an unknown recipient gets 550 and the sender reports it as permanent; the known one still gets the message", async () => {
    const { receiver, received, refused } = await startReceiver();
    const sender = senderTo(receiver.address().port);
    try {
      const report = await sender.send({
        envelope: { from: "2000@parley-a.example", to: [`2001@${DOMAIN}`, `9999@${DOMAIN}`] },
        raw: voiceMessage(),
      });
      assert.deepEqual(report.accepted, [`2001@${DOMAIN}`]);
      assert.equal(report.failed.length, 1);
      const [failure] = report.failed;
      assert.equal(failure?.recipient, `9999@${DOMAIN}`);
      assert.equal(failure?.permanent, true);
      assert.equal(failure?.responseCode, 550);
      assert.equal(failure?.status, "5.1.1");
      assert.match(failure?.reply ?? "", /^550 5\.1\.1 <9999@parley-b\.example>: no such mailbox/);
      assert.deepEqual(received[0]?.envelope.to, [`2001@${DOMAIN}`]);
      assert.deepEqual(
        refused.map((r) => [r.stage, r.responseCode]),
        [["rcpt", 550]],
      );

      const alone = await sender.send({
        envelope: { from: "", to: [`9999@${DOMAIN}`] },
        raw: voiceMessage(),
      });
      assert.deepEqual(alone.accepted, []);
      assert.equal(alone.failed[0]?.permanent, true, "all recipients refused is still permanent");
      assert.equal(alone.failed[0]?.responseCode, 550);
      assert.equal(received.length, 1);
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test("mail for a domain the receiver does not serve is refused as relaying (550 5.7.1)", async () => {
    const { receiver, received } = await startReceiver();
    const sender = new SmtpSender({
      clientName: "mx.parley-a.example",
      peers: [{ domain: "elsewhere.example", host: "127.0.0.1", port: receiver.address().port, tls: "none" }],
      logger: silentLogger(),
    });
    try {
      const report = await sender.send({
        envelope: { from: "", to: ["2001@elsewhere.example"] },
        raw: voiceMessage(),
      });
      assert.equal(report.failed[0]?.status, "5.7.1");
      assert.equal(report.failed[0]?.permanent, true);
      assert.equal(received.length, 0);
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test("a peer that is not on the allow-list is refused with 554 when it connects", async () => {
    const { receiver, received, refused } = await startReceiver({
      allowFrom: ["10.0.0.0/8", "2001:db8::/32"],
    });
    const sender = senderTo(receiver.address().port);
    try {
      const report = await sender.send({
        envelope: { from: "", to: [`2001@${DOMAIN}`] },
        raw: voiceMessage(),
      });
      assert.deepEqual(report.accepted, []);
      assert.equal(report.failed[0]?.responseCode, 554);
      assert.equal(report.failed[0]?.permanent, true);
      assert.equal(received.length, 0);
      assert.deepEqual(
        refused.map((r) => [r.stage, r.remoteAddress, r.responseCode]),
        [["connect", "127.0.0.1", 554]],
      );
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test("onMessage failing answers 451 (temporary); a message that is not a voice message answers 554", async () => {
    let failNext: Error | undefined = new Error("database is locked");
    const { receiver } = await startReceiver({
      onMessage: async () => {
        const error = failNext;
        failNext = undefined;
        if (error) throw error;
      },
    });
    const sender = senderTo(receiver.address().port);
    try {
      const first = await sender.send({
        envelope: { from: "", to: [`2001@${DOMAIN}`] },
        raw: voiceMessage(),
      });
      assert.equal(first.failed[0]?.responseCode, 451);
      assert.equal(first.failed[0]?.permanent, false);
      assert.equal(first.failed[0]?.status, "4.3.0");

      failNext = new SmtpMessageError("SMTP_MESSAGE_INVALID", "the message has no audio part");
      const second = await sender.send({
        envelope: { from: "", to: [`2001@${DOMAIN}`] },
        raw: voiceMessage(),
      });
      assert.equal(second.failed[0]?.responseCode, 554);
      assert.equal(second.failed[0]?.permanent, true);
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test("a message over maxMessageBytes is refused with 552", async () => {
    const { receiver, received } = await startReceiver({ maxMessageBytes: 20_000 });
    const sender = senderTo(receiver.address().port);
    try {
      const report = await sender.send({
        envelope: { from: "", to: [`2001@${DOMAIN}`] },
        raw: voiceMessage(),
      });
      assert.equal(report.failed[0]?.responseCode, 552);
      assert.equal(report.failed[0]?.permanent, true);
      assert.equal(received.length, 0);
    } finally {
      sender.close();
      await receiver.close();
    }
  });

  test("no listener on the peer's port is a temporary failure; a domain without a route a permanent one", async () => {
    const { receiver } = await startReceiver();
    const port = receiver.address().port;
    await receiver.close();
    const sender = senderTo(port);
    try {
      const report = await sender.send({
        envelope: { from: "", to: [`2001@${DOMAIN}`, "someone@unrouted.example"] },
        raw: voiceMessage(),
      });
      const byRecipient = new Map(report.failed.map((f) => [f.recipient, f]));
      assert.equal(byRecipient.get(`2001@${DOMAIN}`)?.permanent, false);
      assert.equal(byRecipient.get(`2001@${DOMAIN}`)?.status, "4.4.1");
      assert.equal(byRecipient.get("someone@unrouted.example")?.permanent, true);
      assert.equal(byRecipient.get("someone@unrouted.example")?.status, "5.4.4");
    } finally {
      sender.close();
    }
  });

  test("listen() on a port already taken rejects, and close() afterwards still resolves", async () => {
    const { receiver } = await startReceiver();
    const second = new SmtpReceiver({
      host: "127.0.0.1",
      port: receiver.address().port,
      domains: [DOMAIN],
      allowFrom: ["127.0.0.1"],
      maxMessageBytes: 1000,
      onRecipient: async () => true,
      onMessage: async () => {},
      logger: silentLogger(),
    });
    try {
      await assert.rejects(second.listen(), { code: "EADDRINUSE" });
      await second.close();
      assert.equal(second.closed, true);
    } finally {
      await receiver.close();
    }
  });

  test("the outbox retries through a real peer that first answered 451, on the fake clock", async () => {
    let failures = 1;
    const { receiver, received } = await startReceiver({
      onMessage: async (envelope, raw, remoteAddress) => {
        if (failures-- > 0) throw new Error("mailbox store busy");
        received.push({ envelope, raw, remoteAddress });
      },
    });
    const sender = senderTo(receiver.address().port);
    const clock = new FakeClock();
    const undeliverable: Array<[OutboxItem, readonly RecipientFailure[]]> = [];
    const outbox = new SmtpOutbox({
      clock,
      store: new MemoryOutboxStore(),
      send: (message) => sender.send(message),
      retryDelaysMs: [60_000],
      onUndeliverable: (item, failed) => {
        undeliverable.push([item, failed]);
      },
      logger: silentLogger(),
    });
    try {
      await outbox.start();
      const raw = voiceMessage();
      await outbox.enqueue({
        id: "vm-retry@parley-a.example",
        envelope: { from: "2000@parley-a.example", to: [`2001@${DOMAIN}`, `9999@${DOMAIN}`] },
        raw,
      });
      await outbox.idle();
      assert.equal(received.length, 0, "the first attempt got 451");
      // nodemailer fails the whole transaction on the 451 to DATA and drops the 550 it got for the
      // unknown RCPT, so both recipients are retried; the retry then sorts them out.
      assert.equal(undeliverable.length, 0);
      clock.advance(60_000);
      await outbox.idle();
      assert.equal(received.length, 1);
      assert.ok(received[0]?.raw.equals(raw));
      assert.deepEqual(received[0]?.envelope.to, [`2001@${DOMAIN}`]);
      assert.deepEqual(
        undeliverable.map(([item, failed]) => [item.envelope.to, failed[0]?.responseCode]),
        [[[`9999@${DOMAIN}`], 550]],
        "the unknown mailbox failed for good on the retry",
      );
      assert.equal(outbox.size, 0);
    } finally {
      await outbox.close();
      sender.close();
      await receiver.close();
    }
  });
});

describe("STARTTLS between servers (self-signed certificate)", () => {
  const certificate = selfSignedCertificate();
  let tls: { cert: string; key: string } | undefined;
  before(() => {
    if (certificate)
      tls = { cert: readFileSync(certificate.cert, "utf8"), key: readFileSync(certificate.key, "utf8") };
  });

  test("with requireTls the sender upgrades with STARTTLS, verifies the peer's certificate against its trust anchor, and delivers", async (t) => {
    if (!tls) return missingPeer(t, "openssl", "install openssl to make a test certificate");
    const { receiver, received } = await startReceiver({ tls, requireTls: true });
    const port = receiver.address().port;
    const trusting = new SmtpSender({
      clientName: "mx.parley-a.example",
      peers: [{ domain: DOMAIN, host: "127.0.0.1", port, tls: "starttls", ca: tls.cert }],
      logger: silentLogger(),
    });
    const untrusting = new SmtpSender({
      clientName: "mx.parley-a.example",
      peers: [{ domain: DOMAIN, host: "127.0.0.1", port, tls: "starttls" }],
      logger: silentLogger(),
    });
    const lax = new SmtpSender({
      clientName: "mx.parley-a.example",
      peers: [{ domain: DOMAIN, host: "127.0.0.1", port, tls: "starttls", rejectUnauthorized: false }],
      logger: silentLogger(),
    });
    const cleartext = senderTo(port);
    try {
      const raw = voiceMessage();
      const ok = await trusting.send({ envelope: { from: "", to: [`2001@${DOMAIN}`] }, raw });
      assert.deepEqual(ok.accepted, [`2001@${DOMAIN}`]);
      assert.ok(received[0]?.raw.equals(raw));

      const unverified = await untrusting.send({ envelope: { from: "", to: [`2001@${DOMAIN}`] }, raw });
      assert.equal(
        unverified.failed[0]?.permanent,
        false,
        "an unverifiable certificate is a temporary failure",
      );
      assert.match(unverified.failed[0]?.reason ?? "", /self[- ]signed|certificate/i);

      assert.deepEqual((await lax.send({ envelope: { from: "", to: [`2001@${DOMAIN}`] }, raw })).accepted, [
        `2001@${DOMAIN}`,
      ]);

      const refused = await cleartext.send({ envelope: { from: "", to: [`2001@${DOMAIN}`] }, raw });
      assert.equal(refused.failed[0]?.responseCode, 530, "MAIL before STARTTLS is refused");
      assert.equal(received.length, 2);
    } finally {
      for (const sender of [trusting, untrusting, lax, cleartext]) sender.close();
      await receiver.close();
    }
  });
});

describe("Python's smtplib as a second SMTP client", () => {
  let peer: Awaited<ReturnType<typeof startReceiver>> | undefined;
  const certificate = selfSignedCertificate();
  before(async () => {
    if (!HAS_PYTHON || !certificate) return;
    peer = await startReceiver({
      tls: { cert: readFileSync(certificate.cert, "utf8"), key: readFileSync(certificate.key, "utf8") },
    });
  });
  after(() => peer?.receiver.close());

  test("smtplib delivers a voice message to SmtpReceiver in the clear and over STARTTLS; bytes arrive intact", async (t) => {
    if (!HAS_PYTHON) return missingPeer(t, "python3", PYTHON_HOW_TO_GET);
    if (!peer || !certificate) return missingPeer(t, "openssl", "install openssl to make a test certificate");
    const raw = voiceMessage();
    assert.deepEqual(await pythonSend(peer.port, raw, [`2001@${DOMAIN}`]), { refused: {} });
    assert.deepEqual(await pythonSend(peer.port, raw, [`2002@${DOMAIN}`], { starttls: certificate.cert }), {
      refused: {},
    });
    assert.equal(peer.received.length, 2);
    for (const message of peer.received)
      assert.ok(message.raw.equals(raw), "the received bytes are the sent bytes");
    assert.deepEqual(
      peer.received.map((m) => m.envelope.to),
      [[`2001@${DOMAIN}`], [`2002@${DOMAIN}`]],
    );
    const parsed = await parseVoiceMessage(peer.received[1]?.raw ?? Buffer.alloc(0));
    assert.equal(parsed.signature.text, "Zoë Ångström — Parley A");
  });

  test("smtplib sees 550 for an unknown mailbox and the message goes to the known one only", async (t) => {
    if (!HAS_PYTHON) return missingPeer(t, "python3", PYTHON_HOW_TO_GET);
    if (!peer) return missingPeer(t, "openssl", "install openssl to make a test certificate");
    const before = peer.received.length;
    const result = await pythonSend(peer.port, voiceMessage(), [`2001@${DOMAIN}`, `9999@${DOMAIN}`]);
    assert.equal(result.refused?.[`9999@${DOMAIN}`]?.[0], 550);
    assert.match(result.refused?.[`9999@${DOMAIN}`]?.[1] ?? "", /5\.1\.1 .*no such mailbox/);
    assert.equal(peer.received.length, before + 1);

    const none = await pythonSend(peer.port, voiceMessage(), [`9999@${DOMAIN}`]);
    assert.equal(none.allRefused?.[`9999@${DOMAIN}`]?.[0], 550);
    assert.equal(peer.received.length, before + 1);
  });
});
