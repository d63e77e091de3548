import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  type DeliveryReport,
  MemoryOutboxStore,
  type OutboxItem,
  type OutgoingMessage,
  type RecipientFailure,
  SmtpOutbox,
  type SmtpOutboxOptions,
} from "../../../src/smtp/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const MINUTE = 60_000;
const RAW = Buffer.from("Subject: voice\r\n\r\nbody\r\n");

/** A sender that answers from a script, one entry per attempt, and records what it was given. */
class ScriptedSender {
  readonly attempts: Array<{ at: number; to: string[] }> = [];
  readonly #script: Array<(to: readonly string[]) => DeliveryReport>;
  readonly #clock: FakeClock;

  constructor(clock: FakeClock, script: Array<(to: readonly string[]) => DeliveryReport>) {
    this.#clock = clock;
    this.#script = script;
  }

  send = async (message: OutgoingMessage): Promise<DeliveryReport> => {
    this.attempts.push({ at: this.#clock.now(), to: [...message.envelope.to] });
    const next = this.#script.shift();
    if (!next) throw new Error("the test did not expect another attempt");
    return next(message.envelope.to);
  };
}

const accept = (to: readonly string[]): DeliveryReport => ({ accepted: [...to], failed: [] });
const tempFail = (to: readonly string[]): DeliveryReport => ({
  accepted: [],
  failed: to.map((recipient) => ({
    recipient,
    permanent: false,
    responseCode: 451,
    reply: "451 4.3.0 try later",
    status: "4.3.0",
    reason: "peer answered 451",
  })),
});
const permFail = (to: readonly string[]): DeliveryReport => ({
  accepted: [],
  failed: to.map((recipient) => ({
    recipient,
    permanent: true,
    responseCode: 550,
    reply: "550 5.1.1 no such mailbox",
    status: "5.1.1",
    reason: "peer answered 550",
  })),
});

function setUp(
  script: Array<(to: readonly string[]) => DeliveryReport>,
  options: Partial<SmtpOutboxOptions> = {},
  shared?: { clock: FakeClock; store: MemoryOutboxStore },
) {
  const clock = shared?.clock ?? new FakeClock();
  const store = shared?.store ?? new MemoryOutboxStore();
  const sender = new ScriptedSender(clock, script);
  const undeliverable: Array<{ item: OutboxItem; failures: readonly RecipientFailure[] }> = [];
  const delivered: string[] = [];
  const outbox = new SmtpOutbox({
    clock,
    store,
    send: sender.send,
    retryDelaysMs: [1 * MINUTE, 5 * MINUTE, 15 * MINUTE],
    onUndeliverable: (item, failures) => {
      undeliverable.push({ item, failures });
    },
    onDelivered: (_item, accepted) => delivered.push(...accepted),
    logger: silentLogger(),
    ...options,
  });
  return { clock, store, sender, outbox, undeliverable, delivered };
}

const message = (to: string[], id = "vm-1@parley-a.example") => ({
  id,
  envelope: { from: "2000@parley-a.example", to },
  raw: RAW,
});

describe("SmtpOutbox", () => {
  test("retries a temporary failure after the first back-off delay and forgets the message once delivered", async () => {
    const { clock, store, sender, outbox, undeliverable, delivered } = setUp([tempFail, accept]);
    await outbox.start();
    await outbox.enqueue(message(["2001@parley-b.example"]));
    await outbox.idle();
    assert.equal(sender.attempts.length, 1, "tried at once");
    assert.equal(store.size, 1, "kept while deferred");
    const [saved] = await store.pending();
    assert.equal(saved?.attempts, 1);
    assert.equal(saved?.nextAttemptAt, clock.now() + MINUTE);
    assert.equal(saved?.lastFailures?.[0]?.responseCode, 451);

    clock.advance(MINUTE - 1);
    await outbox.idle();
    assert.equal(sender.attempts.length, 1, "not before the delay is up");
    clock.advance(1);
    await outbox.idle();
    assert.equal(sender.attempts.length, 2);
    assert.deepEqual(delivered, ["2001@parley-b.example"]);
    assert.equal(store.size, 0);
    assert.equal(outbox.size, 0);
    assert.equal(clock.pendingTimers, 0, "no timer left behind");
    assert.deepEqual(undeliverable, []);
    await outbox.close();
  });

  test("back-off grows along retryDelaysMs", async () => {
    const { clock, sender, outbox } = setUp([tempFail, tempFail, tempFail, accept]);
    const start = clock.now();
    await outbox.enqueue(message(["2001@parley-b.example"]));
    await outbox.idle();
    for (const minutes of [1, 5, 15]) {
      clock.advance(minutes * MINUTE - 1);
      await outbox.idle();
      const before = sender.attempts.length;
      clock.advance(1);
      await outbox.idle();
      assert.equal(sender.attempts.length, before + 1, `the retry comes exactly ${minutes} min later`);
    }
    assert.deepEqual(
      sender.attempts.map((a) => (a.at - start) / MINUTE),
      [0, 1, 1 + 5, 1 + 5 + 15],
    );
    await outbox.close();
  });

  test("a permanent failure goes to onUndeliverable at once, with no retry", async () => {
    const { clock, store, sender, outbox, undeliverable } = setUp([permFail]);
    await outbox.enqueue(message(["9999@parley-b.example"]));
    await outbox.idle();
    assert.equal(undeliverable.length, 1);
    assert.deepEqual(undeliverable[0]?.item.envelope.to, ["9999@parley-b.example"]);
    assert.equal(undeliverable[0]?.failures[0]?.status, "5.1.1");
    assert.equal(undeliverable[0]?.item.raw, RAW, "the original bytes come along for the notice");
    assert.equal(store.size, 0);
    clock.advance(24 * 60 * MINUTE);
    await outbox.idle();
    assert.equal(sender.attempts.length, 1);
    await outbox.close();
  });

  test("when the attempts run out the recipients go to onUndeliverable with the last reason", async () => {
    const { clock, store, sender, outbox, undeliverable } = setUp([tempFail, tempFail, tempFail], {
      maxAttempts: 3,
    });
    await outbox.enqueue(message(["2001@parley-b.example"]));
    await outbox.idle();
    clock.advance(MINUTE);
    await outbox.idle();
    assert.equal(undeliverable.length, 0, "two attempts: still trying");
    clock.advance(5 * MINUTE);
    await outbox.idle();
    assert.equal(sender.attempts.length, 3);
    assert.equal(undeliverable.length, 1);
    assert.equal(undeliverable[0]?.item.attempts, 3);
    assert.equal(undeliverable[0]?.failures[0]?.reply, "451 4.3.0 try later");
    assert.equal(store.size, 0);
    assert.equal(clock.pendingTimers, 0);
    await outbox.close();
  });

  test("a mixed result delivers, gives up and retries per recipient; the retry goes only to those still pending", async () => {
    const mixed = (): DeliveryReport => ({
      accepted: ["a@parley-b.example"],
      failed: [...permFail(["b@parley-b.example"]).failed, ...tempFail(["c@parley-c.example"]).failed],
    });
    const { clock, sender, outbox, undeliverable, delivered } = setUp([mixed, accept]);
    await outbox.enqueue(message(["a@parley-b.example", "b@parley-b.example", "c@parley-c.example"]));
    await outbox.idle();
    assert.deepEqual(delivered, ["a@parley-b.example"]);
    assert.deepEqual(
      undeliverable.map((u) => u.item.envelope.to),
      [["b@parley-b.example"]],
    );
    clock.advance(MINUTE);
    await outbox.idle();
    assert.deepEqual(sender.attempts[1]?.to, ["c@parley-c.example"]);
    assert.deepEqual(delivered, ["a@parley-b.example", "c@parley-c.example"]);
    await outbox.close();
  });

  test("a sender that throws counts as a temporary failure", async () => {
    const { clock, outbox, delivered } = setUp([
      () => {
        throw new Error("socket hang up");
      },
      accept,
    ]);
    await outbox.enqueue(message(["2001@parley-b.example"]));
    await outbox.idle();
    clock.advance(MINUTE);
    await outbox.idle();
    assert.deepEqual(delivered, ["2001@parley-b.example"]);
    await outbox.close();
  });

  test("after a restart start() re-reads pending items and keeps their next attempt time", async () => {
    const clock = new FakeClock();
    const store = new MemoryOutboxStore();
    const first = setUp([tempFail], {}, { clock, store });
    await first.outbox.enqueue(message(["2001@parley-b.example"], "vm-a@parley-a.example"));
    await first.outbox.idle();
    await first.outbox.close();
    assert.equal(clock.pendingTimers, 0, "close() cancels the retry timer");
    assert.equal(store.size, 1, "the message stays in the store");

    clock.advance(30_000); // the process is down for half the back-off
    const second = setUp([accept], {}, { clock, store });
    await second.outbox.start();
    assert.equal(second.outbox.size, 1);
    clock.advance(29_999);
    await second.outbox.idle();
    assert.equal(second.sender.attempts.length, 0, "the stored next attempt time is kept");
    clock.advance(1);
    await second.outbox.idle();
    assert.deepEqual(second.delivered, ["2001@parley-b.example"]);
    assert.equal(store.size, 0);
    await second.outbox.close();
  });

  test("an item whose time passed while the process was down is tried right after start()", async () => {
    const clock = new FakeClock();
    const store = new MemoryOutboxStore();
    await store.save({
      id: "vm-old@parley-a.example",
      envelope: { from: "2000@parley-a.example", to: ["2001@parley-b.example"] },
      raw: RAW,
      attempts: 2,
      enqueuedAt: clock.now() - 3_600_000,
      nextAttemptAt: clock.now() - 1,
    });
    const { outbox, undeliverable } = setUp([tempFail], { maxAttempts: 3 }, { clock, store });
    await outbox.start();
    clock.advance(0);
    await outbox.idle();
    assert.equal(undeliverable.length, 1, "the third attempt was the last");
    await outbox.close();
  });

  test("enqueue of an id already queued does nothing; enqueue after close() throws SMTP_STATE_INVALID", async () => {
    const { sender, outbox } = setUp([tempFail]);
    await outbox.enqueue(message(["2001@parley-b.example"]));
    await outbox.enqueue(message(["2001@parley-b.example"]));
    await outbox.idle();
    assert.equal(sender.attempts.length, 1);
    await outbox.close();
    await outbox.close();
    await assert.rejects(outbox.enqueue(message(["x@parley-b.example"], "vm-2@x")), {
      code: "SMTP_STATE_INVALID",
    });
  });

  test("refuses an empty retry table with SMTP_CONFIG_INVALID", () => {
    assert.throws(() => setUp([], { retryDelaysMs: [] }), { code: "SMTP_CONFIG_INVALID" });
  });
});
