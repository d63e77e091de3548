import assert from "node:assert/strict";
import { test } from "node:test";
import type { Call, HangupCause } from "../../../../src/calls/index.ts";
import { silentLogger } from "../../../../src/kernel/log.ts";
import {
  BackgroundCallService,
  type BackgroundCallSettings,
  type CallbackDialer,
  MemoryCallbackBlockList,
  MemoryCallbackJobStore,
  QuietHours,
} from "../../../../src/services/background-call/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";

const SETTINGS: BackgroundCallSettings = {
  maxAttempts: 4,
  retryIntervalSeconds: 3600,
  maxDurationSeconds: 86_400,
  ringSeconds: 30,
  callerRingSeconds: 30,
  maxActivePerUser: 2,
  quietHours: "",
  timeZone: "UTC",
  offerThreshold: 3,
  offerWindowSeconds: 3600,
  defaultDomain: "example.com",
};

/** A dialer whose every call fails at once with `cause` (busy by default), counting the attempts. */
function failingDialer(cause: HangupCause = "USER_BUSY") {
  const placed: string[] = [];
  const dialer: CallbackDialer = {
    originate(target, options) {
      placed.push(target.kind === "user" ? target.extension : target.number);
      queueMicrotask(() => options.onFailed?.(cause));
      return { on() {} } as unknown as Call;
    },
  };
  return { dialer, placed };
}

function service(
  clock: FakeClock,
  store = new MemoryCallbackJobStore(),
  settings: Partial<BackgroundCallSettings> = {},
) {
  const { dialer, placed } = failingDialer();
  const svc = new BackgroundCallService({
    store,
    blocks: new MemoryCallbackBlockList(),
    dialer,
    sms: { send: async () => {} },
    findUser: async (id) =>
      ["1001@example.com", "1002@example.com"].includes(id)
        ? { extension: id.split("@")[0] as string, domain: "example.com", displayName: "", phoneNumbers: [] }
        : undefined,
    settings: { ...SETTINGS, ...settings },
    clock,
    logger: silentLogger(),
  });
  return { svc, placed, store };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a job retries every retryInterval (hours apart, no cap) and is exhausted after maxAttempts", async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
  const { svc, placed } = service(clock);
  const job = await svc.begin({ caller: "1001@example.com", callee: "1002", origin: "api" });
  for (let i = 0; i < 6; i++) {
    await clock.advance(i === 0 ? 0 : 3600_000);
    await settle();
  }
  const done = await svc.get(job.id);
  assert.equal(placed.length, 4, "maxAttempts calls, an hour apart");
  assert.equal(done?.state, "exhausted");
  assert.equal(done?.attempts, 4);
  svc.close();
});

test("a stopped job places no further call; a restarted service resumes the waiting job on its schedule", async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
  const store = new MemoryCallbackJobStore();
  const first = service(clock, store);
  const job = await first.svc.begin({ caller: "1001@example.com", callee: "1002", origin: "api" });
  const other = await first.svc.begin({ caller: "1001@example.com", callee: "+4930555", origin: "api" });
  await clock.advance(0);
  await settle();
  assert.equal(first.placed.length, 2);
  await first.svc.stop(other.id, "test");
  first.svc.close(); // the process dies while both wait

  const second = service(clock, store);
  assert.equal(await second.svc.start(), 1, "only the active job resumes");
  await clock.advance(3600_000);
  await settle();
  assert.deepEqual(second.placed, ["1002"], "the next attempt, at its time, for the active job only");
  assert.equal((await store.get(job.id))?.attempts, 2);
  assert.equal((await store.get(other.id))?.state, "stopped");
  second.svc.close();
});

test("limits: one job per pair, maxActivePerUser, blocked callers, unknown callees", async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
  const { svc } = service(clock);
  await svc.begin({ caller: "1001@example.com", callee: "1002", origin: "api" });
  await assert.rejects(svc.begin({ caller: "1001@example.com", callee: "1002", origin: "api" }), {
    code: "CALLBACK_DUPLICATE",
  });
  await svc.begin({ caller: "1001@example.com", callee: "+4930111", origin: "api" });
  await assert.rejects(svc.begin({ caller: "1001@example.com", callee: "+4930222", origin: "api" }), {
    code: "CALLBACK_LIMIT",
  });
  await svc.block("1001@example.com", "1002");
  await assert.rejects(svc.begin({ caller: "1002@example.com", callee: "1001", origin: "api" }), {
    code: "CALLBACK_BLOCKED",
  });
  await assert.rejects(svc.begin({ caller: "1002@example.com", callee: "nobody", origin: "api" }), {
    code: "CALLBACK_TARGET",
  });
  // An outside caller (formatted as people type numbers) naming a bare extension: the user of the
  // default domain, so that user's blocks apply.
  await svc.block("1001@example.com", "+1 555 123 0001");
  await assert.rejects(svc.begin({ caller: "+1 (555) 123-0001", callee: "1001", origin: "api" }), {
    code: "CALLBACK_BLOCKED",
  });
  const outside = await svc.begin({ caller: "+1 555 123 0002", callee: "1001", origin: "api" });
  assert.deepEqual([outside.caller, outside.callee], ["+15551230002", "1001@example.com"]);
  svc.close();
});

test("quiet hours postpone an attempt to the end of the window, in the configured time zone", async () => {
  const quiet = new QuietHours("22:00-07:30", "Europe/Berlin");
  const lateEvening = Date.UTC(2026, 10, 23, 22, 15); // 23:15 in Berlin (UTC+1)
  assert.equal(quiet.contains(lateEvening), true);
  assert.equal(new Date(quiet.nextAllowed(lateEvening)).toISOString(), "2026-11-24T06:30:00.000Z");
  assert.equal(quiet.contains(Date.UTC(2026, 10, 23, 12)), false);

  const clock = new FakeClock(lateEvening);
  const { svc, placed } = service(clock, undefined, { quietHours: "22:00-07:30", timeZone: "Europe/Berlin" });
  const job = await svc.begin({ caller: "1001@example.com", callee: "1002", origin: "api" });
  await clock.advance(0);
  await settle();
  assert.equal(placed.length, 0, "no call at night");
  assert.equal(
    new Date((await svc.get(job.id))?.nextAttemptAt ?? 0).toISOString(),
    "2026-11-24T06:30:00.000Z",
  );
  await clock.advance(Date.UTC(2026, 10, 24, 6, 30) - lateEvening);
  await settle();
  assert.equal(placed.length, 1, "the first call when the quiet hours end");
  svc.close();
});

test("three unanswered calls in a row open exactly one offer; a connected call starts the count again", () => {
  const clock = new FakeClock(0);
  const { svc } = service(clock);
  const offers = svc.offers;
  assert.equal(offers.missed("a", "b", 0), false);
  assert.equal(offers.missed("a", "b", 1), false);
  assert.equal(offers.missed("a", "b", 2), true, "the third miss offers");
  assert.equal(offers.missed("a", "b", 3), false, "once");
  assert.equal(offers.accept("a", 4), "b");
  assert.equal(offers.accept("a", 5), undefined, "an offer is taken once");
  offers.missed("a", "c", 10);
  offers.missed("a", "c", 11);
  offers.connected("a", "c");
  assert.equal(offers.missed("a", "c", 12), false, "counting restarted after the connected call");
  svc.close();
});
