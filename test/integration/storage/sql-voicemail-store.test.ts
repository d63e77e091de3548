import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { MailboxChange } from "../../../src/imap/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  SqlDatabase,
  SqlMailboxSettingsStore,
  SqlOutboxStore,
  SqlSignatureStore,
  SqlVoicemailStore,
} from "../../../src/storage/index.ts";
import { BACKENDS, freshDatabase } from "../../support/databases.ts";

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const BOB = "1002@example.com";
const raw = (n: number) => Buffer.from(`Subject: message ${n}\r\n\r\nbody ${n}\r\n\u0000\u00ff`, "latin1");

for (const backend of BACKENDS) {
  describe(`voicemail storage on ${backend}`, () => {
    test("mailboxes keep UIDVALIDITY and UIDs across a reopen; flags, copy, expunge and counts follow the RFC 3842 rules", async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      let database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        await database.migrate();
        let store = new SqlVoicemailStore(database.db, { now: () => T0 });
        const changes: Array<[string, MailboxChange]> = [];
        store.watchAll((user, change) => changes.push([user, change]));
        const u1 = await store.append(BOB, "INBOX", raw(1), { date: new Date(T0) });
        const u2 = await store.append(BOB, "INBOX", raw(2), {
          date: new Date(T0 + 1000),
          flags: ["\\Flagged"],
        });
        assert.deepEqual([u1, u2], [1, 2]);
        assert.deepEqual(await store.source(BOB, "inbox", u1), raw(1), "binary-safe, INBOX case-insensitive");
        const boxes = await store.mailboxes(BOB);
        assert.deepEqual(
          boxes.map((b) => [b.name, b.messages, b.unseen, b.uidNext]),
          [
            ["INBOX", 2, 2, 3],
            ["Old", 0, 0, 1],
            ["Saved", 0, 0, 1],
          ],
        );
        assert.deepEqual(await store.counts(BOB), {
          newMessages: 2,
          oldMessages: 0,
          urgentNew: 1,
          urgentOld: 0,
        });
        await store.setFlags(BOB, "INBOX", u1, ["\\Seen"]);
        const copied = await store.copy(BOB, "INBOX", [u2], "Saved");
        await store.expunge(BOB, "INBOX", [u2]);
        assert.deepEqual(copied.uids, [1]);
        assert.deepEqual(await store.counts(BOB), {
          newMessages: 0,
          oldMessages: 2,
          urgentNew: 0,
          urgentOld: 1,
        });
        assert.deepEqual(
          changes.map(([user, c]) => `${user} ${c.kind} ${c.mailbox} ${c.uid}`),
          [
            `${BOB} added INBOX 1`,
            `${BOB} added INBOX 2`,
            `${BOB} flags INBOX 1`,
            `${BOB} added Saved 1`,
            `${BOB} expunged INBOX 2`,
          ],
        );
        const validity = (await store.status(BOB, "INBOX"))?.uidValidity;
        await database.close();

        database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
        store = new SqlVoicemailStore(database.db, { now: () => T0 + 86_400_000 });
        const inbox = await store.status(BOB, "INBOX");
        assert.equal(inbox?.uidValidity, validity, "UIDVALIDITY survives the restart");
        assert.equal(inbox?.uidNext, 3, "an expunged UID is never given again");
        assert.deepEqual(
          (await store.messages(BOB, "INBOX")).map((m) => [m.uid, m.flags, m.internalDate.getTime(), m.size]),
          [[1, ["\\Seen"], T0, raw(1).length]],
        );
        assert.equal(await store.append(BOB, "INBOX", raw(3), { date: new Date(T0) }), 3);
      } finally {
        await database.close();
        await db.drop();
      }
    });

    test("mailbox settings, signatures and the SMTP outbox are read back as written", async (t) => {
      const db = await freshDatabase(t, backend);
      if (!db) return;
      const database = SqlDatabase.open({ url: db.url, logger: silentLogger() });
      try {
        await database.migrate();
        const settings = new SqlMailboxSettingsStore(database.db);
        assert.equal(await settings.get(BOB), undefined);
        await settings.update(BOB, {
          pinHash: "$argon2id$x",
          greeting: Buffer.from([1, 2, 3]),
          maxMessages: 5,
        });
        await settings.update(BOB, { maxMessages: null, divertAlways: true });
        assert.deepEqual(await settings.get(BOB), {
          pinHash: "$argon2id$x",
          divertAlways: true,
          greeting: Buffer.from([1, 2, 3]),
        });
        const signatures = new SqlSignatureStore(database.db, { now: () => T0 });
        const image = { contentType: "image/png" as const, data: Buffer.from([0x89, 0x50, 0, 255]) };
        await signatures.put(BOB, { text: "Bob — Parley", voice: Buffer.from([0, 1, 255]), image });
        assert.deepEqual(await signatures.get(BOB), {
          text: "Bob — Parley",
          voice: Buffer.from([0, 1, 255]),
          image,
        });
        await signatures.put(BOB, { text: "only text" });
        assert.deepEqual(await signatures.get(BOB), { text: "only text" });
        assert.equal(await signatures.remove(BOB), true);
        assert.equal(await signatures.get(BOB), undefined);
        const outbox = new SqlOutboxStore(database.db);
        const item = {
          id: "m1@example.com",
          envelope: { from: BOB, to: ["1001@other.example"] },
          raw: raw(1),
          attempts: 2,
          enqueuedAt: T0,
          nextAttemptAt: T0 + 300_000,
          lastFailures: [
            {
              recipient: "1001@other.example",
              permanent: false,
              status: "4.4.1",
              reason: "connection refused",
            },
          ],
        };
        await outbox.save(item);
        await outbox.save({ ...item, attempts: 3 });
        assert.deepEqual(await outbox.pending(), [{ ...item, attempts: 3 }]);
        await outbox.remove(item.id);
        assert.deepEqual(await outbox.pending(), []);
      } finally {
        await database.close();
        await db.drop();
      }
    });
  });
}
