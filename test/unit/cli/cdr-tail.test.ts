import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CallRecordWithLegs, MemoryCdrStore } from "../../../src/calls/cdr/index.ts";
import { CdrTail } from "../../../src/cli/cdr-tail.ts";
import { callRecord } from "../../support/cdr-store-contract.ts";
import { FakeClock } from "../../support/fake-clock.ts";

function following(options: { intervalMs?: number; lookbackMs?: number } = {}) {
  const clock = new FakeClock();
  const store = new MemoryCdrStore();
  const printed: string[] = [];
  const failures: unknown[] = [];
  let wake: (() => void) | undefined;
  const tail = new CdrTail({
    feed: store,
    clock,
    intervalMs: options.intervalMs ?? 2_000,
    ...(options.lookbackMs !== undefined && { lookbackMs: options.lookbackMs }),
    print: (record: CallRecordWithLegs) => {
      printed.push(record.id);
      wake?.();
    },
    fail: (error) => failures.push(error),
  });
  /** Opens and ends a call now (or at `endedAt`), as call control would. */
  const end = async (id: string, endedAt = clock.now()) => {
    await store.openCall(callRecord(id, endedAt - 30_000));
    await store.updateCall(id, { endedAt, disposition: "answered" });
  };
  /** Moves the clock by `ms` and resolves once the poll that fires has printed `count` more. */
  const advanceUntilPrinted = (ms: number, count: number) => {
    const target = printed.length + count;
    const done = new Promise<void>((resolve) => {
      wake = () => {
        if (printed.length >= target) resolve();
      };
    });
    clock.advance(ms);
    return done;
  };
  return { clock, store, tail, printed, failures, end, advanceUntilPrinted };
}

describe("CdrTail (parley cdr tail)", () => {
  test("polls on the clock's timer and prints each call that ended after it started, once, in end order", async () => {
    const f = following();
    await f.end("before-start", f.clock.now() - 1);
    f.tail.start();
    assert.equal(f.clock.pendingTimers, 1, "the next poll is armed on the injected clock");
    await f.end("B", f.clock.now() + 500);
    await f.end("A", f.clock.now() + 100);
    await f.store.openCall(callRecord("still-talking", f.clock.now()));
    await f.advanceUntilPrinted(2_000, 2);
    assert.deepEqual(f.printed, ["A", "B"]);

    await f.tail.poll();
    assert.deepEqual(f.printed, ["A", "B"], "a record is printed once");
    await f.store.updateCall("still-talking", { endedAt: f.clock.now(), disposition: "answered" });
    await f.advanceUntilPrinted(2_000, 1);
    assert.deepEqual(f.printed, ["A", "B", "still-talking"]);
    await f.tail.stop();
    assert.equal(f.clock.pendingTimers, 0, "stop cancels the next poll");
    assert.deepEqual(f.failures, []);
  });

  test("a record committed late, with an end before the last poll, is still printed within the look-back", async () => {
    const f = following({ intervalMs: 1_000, lookbackMs: 10_000 });
    f.tail.start();
    f.clock.advance(30_000);
    await f.tail.poll();
    await f.end("late", f.clock.now() - 8_000);
    await f.end("too-late", f.clock.now() - 12_000);
    await f.tail.poll();
    assert.deepEqual(f.printed, ["late"]);
    await f.tail.stop();
  });

  test("a failing poll is reported and polling goes on", async () => {
    const clock = new FakeClock();
    const failures: string[] = [];
    let failed: () => void = () => {};
    const failing = new CdrTail({
      feed: {
        listEnded: async () => {
          throw new Error(`database unreachable (${failures.length + 1})`);
        },
      },
      clock,
      intervalMs: 1_000,
      print: () => assert.fail("nothing to print"),
      fail: (error) => {
        failures.push((error as Error).message);
        failed();
      },
    });
    failing.start();
    for (const expected of ["database unreachable (1)", "database unreachable (2)"]) {
      const reported = new Promise<void>((resolve) => {
        failed = resolve;
      });
      clock.advance(1_000);
      assert.equal(clock.pendingTimers, 1, "the next poll is armed");
      await reported;
      assert.equal(failures.at(-1), expected);
    }
    await failing.stop();
    assert.equal(clock.pendingTimers, 0);
  });
});
