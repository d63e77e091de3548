import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { CallParty, CallSession, UnansweredCallInfo } from "../../../../src/calls/index.ts";
import { silentLogger } from "../../../../src/kernel/log.ts";
import { wavHeader } from "../../../../src/media/index.ts";
import {
  MemoryMailboxSettingsStore,
  MemorySignatureStore,
  MemoryVoicemailStore,
  type MessageCounts,
  SignatureLookup,
  trimWav,
  VoicemailService,
} from "../../../../src/services/voicemail/index.ts";
import { parseVoiceMessage } from "../../../../src/smtp/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";

const BOB = "1002@example.com";

function service(
  overrides: { store?: MemoryVoicemailStore; lamps?: Array<[string, MessageCounts | undefined]> } = {},
) {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const store = overrides.store ?? new MemoryVoicemailStore();
  const settings = new MemoryMailboxSettingsStore();
  const signatures = new MemorySignatureStore();
  const lamps = overrides.lamps ?? [];
  const vm = new VoicemailService({
    store,
    settings,
    signatures: new SignatureLookup({ store: signatures, clock, logger: silentLogger() }),
    messageWaiting: { update: (aor, counts) => lamps.push([aor, counts]) },
    isLocalDomain: async (domain) => domain === "example.com",
    userExists: async (user) => user === BOB || user === "1001@example.com",
    defaultDomain: "example.com",
    dir: mkdtempSync(join(tmpdir(), "parley-vm-")),
    enabled: true,
    divertOn: ["busy", "no-answer"],
    maxMessageSeconds: 60,
    minMessageSeconds: 1,
    maxMessages: 10,
    silenceSeconds: 5,
    ownBoxCode: "*98",
    anyBoxCode: "*99",
    clock,
    logger: silentLogger(),
  });
  return { vm, store, settings, signatures, lamps, clock };
}

const wav = (seconds: number) =>
  Buffer.concat([wavHeader(8000, 1, seconds * 16_000), Buffer.alloc(seconds * 16_000, 1)]);

test("every mailbox change re-counts the lamp (RFC 3842 counts, urgent included); an unreadable store sends no count", async () => {
  const { vm, store, lamps } = service();
  await vm.start();
  await vm.delivery.send({
    sender: { user: "1001@example.com", address: "1001@example.com" },
    recipients: [BOB],
    callerId: "1001",
    audio: wav(1),
    durationSeconds: 1,
    urgent: true,
    date: new Date(0),
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(lamps.at(-1), [
    `sip:${BOB}`,
    { newMessages: 1, oldMessages: 0, urgentNew: 1, urgentOld: 0 },
  ]);
  const [message] = await store.messages(BOB, "INBOX");
  await store.setFlags(BOB, "INBOX", message?.uid ?? 0, ["\\Flagged", "\\Seen"]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(lamps.at(-1), [
    `sip:${BOB}`,
    { newMessages: 0, oldMessages: 1, urgentNew: 0, urgentOld: 1 },
  ]);

  store.counts = async () => {
    throw new Error("disk unreadable");
  };
  await store.setFlags(BOB, "INBOX", message?.uid ?? 0, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(lamps.at(-1), [`sip:${BOB}`, undefined], "no count rather than a wrong one");
  vm.stop();
});

test("unanswered calls go to voicemail only for users with the voicemail feature and a listed reason, or a mailbox that diverts every call", async () => {
  const { vm, settings } = service();
  const answered: string[] = [];
  const session = {
    id: "C1",
    answer: () => answered.push("answer"),
    play: async () => ({ interrupted: false }),
    hangup: () => answered.push("hangup"),
    recordMessage: async () => ({ reason: "hangup", durationMs: 0 }),
  } as unknown as CallSession;
  const caller = { id: "L1", state: "Answered" } as unknown as CallParty;
  const info = (reason: UnansweredCallInfo["reason"], voicemail: boolean): UnansweredCallInfo => ({
    dialled: "1002",
    callee: { extension: "1002", domain: "example.com", features: { voicemail } },
    reason,
    cause: "USER_BUSY",
  });
  const takes = (i: UnansweredCallInfo) => vm.module.unanswered?.(session, caller, i);
  assert.equal(await takes(info("busy", false)), false, "no voicemail feature: refused as before");
  assert.equal(await takes(info("unregistered", true)), false, "a reason divert_on does not list");
  assert.equal(await takes(info("unconditional", true)), false, "only mailboxes that divert every call");
  await settings.update(BOB, { divertAlways: true });
  assert.equal(await takes(info("unconditional", true)), true);
  assert.equal(await takes(info("busy", true)), true);
  assert.deepEqual(answered.slice(0, 1), ["answer"], "voicemail answers the caller");
});

test("a message to a mailbox here is filed as VPIM MIME with the sender's signature; unknown users and other domains without a relay are reported", async () => {
  const { vm, store, signatures } = service();
  await signatures.put("1001@example.com", { text: "Alice" });
  const report = await vm.delivery.send({
    sender: { user: "1001@example.com", address: "1001@example.com" },
    recipients: [BOB, "9999@example.com", "2001@elsewhere.example"],
    callerId: "1001",
    audio: wav(2),
    durationSeconds: 2,
    date: new Date(0),
  });
  assert.equal(report.signature, "attached");
  assert.deepEqual(
    report.recipients.map((r) => r.outcome),
    ["filed", "unknown", "no-route"],
  );
  const [message] = await store.messages(BOB, "INBOX");
  const parsed = await parseVoiceMessage((await store.source(BOB, "INBOX", message?.uid ?? 0)) as Buffer);
  assert.equal(parsed.signature.text, "Alice");
  assert.equal(parsed.durationSeconds, 2);
});

test("trimWav keeps every whole sample a crashed writer left and drops trailing silence on request", () => {
  const full = wav(3);
  full.writeUInt32LE(16_000, 40); // the header last rewritten after one second
  const kept = trimWav(full, 0);
  assert.equal(kept.readUInt32LE(40), 48_000, "the data size is what the file holds");
  assert.equal(kept.length, 44 + 48_000);
  const trimmed = trimWav(full, 1000);
  assert.equal(trimmed.readUInt32LE(40), 32_000);
  assert.equal(trimmed.readUInt32LE(4), trimmed.length - 8);
});
