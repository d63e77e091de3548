import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type {
  CallRecord,
  CallRecordWithLegs,
  CdrFeed,
  CdrStore,
  LegRecord,
} from "../../src/calls/cdr/index.ts";

export type ContractStore = CdrStore & CdrFeed;

/** 2026-01-01T00:00:00Z: record times are offsets from here. */
export const T0 = Date.UTC(2026, 0, 1);

export const callRecord = (id: string, startedAt: number, extra: Partial<CallRecord> = {}): CallRecord => ({
  id,
  kind: "inbound",
  from: "sip:1001@pbx.example.com",
  to: "sip:1002@pbx.example.com",
  service: "basic",
  startedAt,
  ...extra,
});

export const legRecord = (
  id: string,
  callId: string,
  startedAt: number,
  extra: Partial<LegRecord> = {},
): LegRecord => ({
  id,
  callId,
  direction: "outbound",
  sipCallId: `${id}@pbx.example.com`,
  from: "sip:1001@pbx.example.com",
  to: "sip:1002@pbx.example.com",
  target: "sip:1002@10.0.0.7:5060",
  startedAt,
  ...extra,
});

const ids = (records: readonly CallRecordWithLegs[]) => records.map((r) => r.id);

/**
 * What every CdrStore does, as tests. `fresh(t)` returns an empty store (undefined, after
 * skipping t, when its backend is missing); the tests of one suite run one after the other.
 */
export function cdrStoreContract(
  suite: string,
  fresh: (t: TestContext) => Promise<ContractStore | undefined>,
): void {
  describe(suite, () => {
    test("a call opened and updated event by event lists with its legs in start order", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      await store.openCall(callRecord("C1", T0, { caller: "1001" }));
      await store.openLeg(legRecord("L2", "C1", T0 + 200, { target: "sip:1002@10.0.0.8:5060" }));
      await store.openLeg(
        legRecord("L1", "C1", T0 + 100, { direction: "inbound", target: "udp:203.0.113.9" }),
      );
      await store.updateLeg("L2", { ringingAt: T0 + 1_000 });
      await store.updateLeg("L2", { answeredAt: T0 + 4_000, sipStatus: 200 });
      await store.updateCall("C1", { answeredAt: T0 + 4_000, callee: "1002", sipStatus: 200 });
      await store.updateLeg("L1", { answeredAt: T0 + 4_000, sipStatus: 200 });
      const end = { endedAt: T0 + 64_000, disposition: "answered", cause: "NORMAL_CLEARING" } as const;
      await store.updateLeg("L1", end);
      await store.updateLeg("L2", { ...end, reason: 'Q.850;cause=16;text="Normal call clearing"' });
      await store.updateCall("C1", { ...end, reason: undefined });

      const expected: CallRecordWithLegs = {
        ...callRecord("C1", T0, { caller: "1001", callee: "1002" }),
        answeredAt: T0 + 4_000,
        sipStatus: 200,
        ...end,
        legs: [
          {
            ...legRecord("L1", "C1", T0 + 100, { direction: "inbound", target: "udp:203.0.113.9" }),
            answeredAt: T0 + 4_000,
            sipStatus: 200,
            ...end,
          },
          {
            ...legRecord("L2", "C1", T0 + 200, { target: "sip:1002@10.0.0.8:5060" }),
            ringingAt: T0 + 1_000,
            answeredAt: T0 + 4_000,
            sipStatus: 200,
            ...end,
            reason: 'Q.850;cause=16;text="Normal call clearing"',
          },
        ],
      };
      assert.deepStrictEqual(await store.list({}), [expected], "absent fields are absent, not undefined");
      assert.deepStrictEqual(await store.get("C1"), expected);
      assert.equal(await store.get("C404"), undefined);
      await store.updateCall("C404", { endedAt: T0 });
      assert.equal(await store.get("C404"), undefined, "updating an unknown call creates nothing");
    });

    test("a leg naming an unknown call is refused", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      await assert.rejects(store.openLeg(legRecord("L9", "C-missing", T0)));
      assert.deepEqual(await store.list({}), []);
    });

    test("since is inclusive, before exclusive; party matches from, to, caller or callee in any case; disposition matches exactly", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      await store.openCall(callRecord("A", T0, { disposition: "answered", caller: "alice" }));
      await store.openCall(callRecord("B", T0 + 1_000, { to: "tel:+15551234567", disposition: "busy" }));
      await store.openCall(callRecord("C", T0 + 2_000, { from: "sip:Bob@Example.COM" }));
      await store.openCall(callRecord("D", T0 + 3_000, { callee: "carol_50%", disposition: "no-answer" }));
      await store.openCall(callRecord("E", T0 + 4_000, { callee: "carolX50Y", disposition: "interrupted" }));

      assert.deepEqual(ids(await store.list({ since: T0 + 1_000 })), ["E", "D", "C", "B"]);
      assert.deepEqual(ids(await store.list({ before: T0 + 2_000 })), ["B", "A"]);
      assert.deepEqual(ids(await store.list({ since: T0 + 1_000, before: T0 + 3_000 })), ["C", "B"]);
      assert.deepEqual(ids(await store.list({ party: "5551234" })), ["B"], "to");
      assert.deepEqual(ids(await store.list({ party: "bob@example" })), ["C"], "from, case-insensitive");
      assert.deepEqual(ids(await store.list({ party: "ALICE" })), ["A"], "caller");
      assert.deepEqual(ids(await store.list({ party: "carol_50%" })), ["D"], "callee; % and _ are literal");
      assert.deepEqual(ids(await store.list({ party: "1002@pbx" })), ["E", "D", "C", "A"]);
      assert.deepEqual(ids(await store.list({ disposition: "busy" })), ["B"]);
      assert.deepEqual(ids(await store.list({ disposition: "interrupted" })), ["E"]);
      assert.deepEqual(ids(await store.list({ disposition: "failed" })), []);
      assert.deepEqual(ids(await store.list({ party: "carol", disposition: "no-answer" })), ["D"]);
    });

    test("newest first, ties by id descending, and paging with `after` yields every call once", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      const all: string[] = [];
      for (let i = 0; i < 23; i++) {
        const id = `C${String(i).padStart(2, "0")}`;
        all.push(id);
        // Three calls share each start time, so ties are broken by id.
        await store.openCall(callRecord(id, T0 + Math.floor(i / 3) * 1_000));
      }
      const expected = all.reverse();
      assert.deepEqual(ids(await store.list({})), expected);
      const paged: string[] = [];
      let after: { startedAt: number; id: string } | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.list({ limit: 5, ...(after && { after }) });
        paged.push(...ids(page));
        const last = page.at(-1);
        if (page.length < 5 || !last) break;
        after = { startedAt: last.startedAt, id: last.id };
      }
      assert.deepEqual(paged, expected);
      const filtered = await store.list({
        limit: 2,
        since: T0 + 2_000,
        after: { startedAt: T0 + 5_000, id: "C16" },
      });
      assert.deepEqual(ids(filtered), ["C15", "C14"], "after combines with the filters");
    });

    test("a list holds 100 calls unless asked, and never more than 1000", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      for (let i = 0; i < 1_001; i++)
        await store.openCall(callRecord(`C${String(i).padStart(4, "0")}`, T0 + i));
      const first = await store.list({});
      assert.equal(first.length, 100);
      assert.equal(first[0]?.id, "C1000");
      assert.equal((await store.list({ limit: 5_000 })).length, 1_000);
      assert.equal((await store.list({ limit: 3 })).length, 3);
    });

    test("completeInterrupted closes open calls and legs at the latest time they hold, once, and leaves ended records alone", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      // A: answered when the process died.
      await store.openCall(callRecord("A", T0, { answeredAt: T0 + 5_000 }));
      await store.openLeg(legRecord("A1", "A", T0, { ringingAt: T0 + 1_000, answeredAt: T0 + 5_000 }));
      // B: one fork branch ended busy, another was still ringing.
      await store.openCall(callRecord("B", T0 + 10_000));
      await store.openLeg(legRecord("B1", "B", T0 + 10_100, { ringingAt: T0 + 13_000 }));
      const busy = { endedAt: T0 + 12_000, disposition: "busy", sipStatus: 486, cause: "USER_BUSY" } as const;
      await store.openLeg(legRecord("B2", "B", T0 + 10_200, busy));
      // C: ended, but one leg's end was never written.
      const answered = { answeredAt: T0 + 21_000, endedAt: T0 + 30_000, disposition: "answered" } as const;
      await store.openCall(callRecord("C", T0 + 20_000, answered));
      await store.openLeg(legRecord("C1", "C", T0 + 20_000, { answeredAt: T0 + 21_000 }));
      // D: nothing happened after the start.
      await store.openCall(callRecord("D", T0 + 40_000));

      assert.equal(await store.completeInterrupted(), 3);
      const interrupted = { disposition: "interrupted" } as const;
      const a = await store.get("A");
      assert.deepStrictEqual(a, {
        ...callRecord("A", T0, { answeredAt: T0 + 5_000, endedAt: T0 + 5_000, ...interrupted }),
        legs: [
          legRecord("A1", "A", T0, {
            ringingAt: T0 + 1_000,
            answeredAt: T0 + 5_000,
            endedAt: T0 + 5_000,
            ...interrupted,
          }),
        ],
      });
      const b = await store.get("B");
      assert.equal(b?.endedAt, T0 + 13_000, "a call ends no earlier than its legs' latest time");
      assert.equal(b?.disposition, "interrupted");
      assert.deepStrictEqual(b?.legs, [
        legRecord("B1", "B", T0 + 10_100, { ringingAt: T0 + 13_000, endedAt: T0 + 13_000, ...interrupted }),
        legRecord("B2", "B", T0 + 10_200, busy),
      ]);
      const c = await store.get("C");
      assert.deepStrictEqual(c, {
        ...callRecord("C", T0 + 20_000, answered),
        legs: [
          legRecord("C1", "C", T0 + 20_000, {
            answeredAt: T0 + 21_000,
            endedAt: T0 + 21_000,
            ...interrupted,
          }),
        ],
      });
      const d = await store.get("D");
      assert.equal(d?.endedAt, T0 + 40_000);
      assert.equal(d?.disposition, "interrupted");

      const before = await store.list({});
      assert.equal(await store.completeInterrupted(), 0, "nothing is left open");
      assert.deepStrictEqual(await store.list({}), before);
    });

    test("in a cluster, completeInterrupted closes only the calls (and legs) of the node it names; openNodes tells which nodes have open calls", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      await store.openCall(callRecord("N1", T0, { node: "node1", answeredAt: T0 + 1_000 }));
      await store.openLeg(legRecord("N1a", "N1", T0, { answeredAt: T0 + 1_000 }));
      await store.openCall(callRecord("N2", T0 + 5, { node: "node2" }));
      await store.openLeg(legRecord("N2a", "N2", T0 + 5));
      await store.openCall(callRecord("alone", T0 + 10));
      assert.deepEqual((await store.openNodes()).sort(), ["node1", "node2"]);
      assert.equal(await store.completeInterrupted("node1"), 1);
      assert.equal((await store.get("N1"))?.disposition, "interrupted");
      assert.equal((await store.get("N1"))?.legs[0]?.disposition, "interrupted");
      assert.equal((await store.get("N1"))?.node, "node1");
      assert.equal((await store.get("N2"))?.endedAt, undefined, "node2's call is untouched");
      assert.equal((await store.get("N2"))?.legs[0]?.endedAt, undefined, "and its leg");
      assert.equal((await store.get("alone"))?.endedAt, undefined, "a lone node's call is untouched");
      assert.deepEqual(await store.openNodes(), ["node2"]);
      assert.equal(await store.completeInterrupted(), 1, "without a node: the calls without one");
      assert.equal((await store.get("N2"))?.endedAt, undefined);
    });

    test("listEnded gives ended calls oldest end first from `since`, paged with `after`", async (t) => {
      const store = await fresh(t);
      if (!store) return;
      await store.openCall(callRecord("open", T0));
      await store.openCall(callRecord("early", T0, { endedAt: T0 + 500, disposition: "cancelled" }));
      for (const [id, endedAt] of [
        ["X3", T0 + 3_000],
        ["X1", T0 + 1_000],
        ["X2b", T0 + 2_000],
        ["X2a", T0 + 2_000],
      ] as const) {
        await store.openCall(callRecord(id, T0, { endedAt, disposition: "answered" }));
      }
      await store.openLeg(legRecord("X1-leg", "X1", T0));
      const ended = await store.listEnded({ since: T0 + 1_000 });
      assert.deepEqual(ids(ended), ["X1", "X2a", "X2b", "X3"]);
      assert.deepEqual(
        ended[0]?.legs.map((l) => l.id),
        ["X1-leg"],
      );
      assert.deepEqual(
        ids(
          await store.listEnded({ since: T0 + 1_000, after: { endedAt: T0 + 2_000, id: "X2a" }, limit: 1 }),
        ),
        ["X2b"],
      );
    });
  });
}
