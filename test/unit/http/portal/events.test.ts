import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ALICE, PortalClient, type PortalFixture, portalFixture } from "./portal-fixture.ts";

/** The `progress` events of an event-stream body, as parsed JSON with their ids. */
function progressEvents(body: string) {
  return body
    .split("\n\n")
    .filter((block) => block.includes("event: progress"))
    .map((block) => {
      const id = Number(/^id: (\d+)$/m.exec(block)?.[1]);
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null");
      return { id, ...data };
    });
}

describe("portal call status events (SSE)", () => {
  let f: PortalFixture;
  let alice: PortalClient;
  before(async () => {
    f = await portalFixture();
    alice = new PortalClient(f.app);
    await alice.login(ALICE.extension, ALICE.password);
  });
  after(async () => {
    await f.close();
  });

  const place = async () => {
    await alice.get("/call/pizza/0");
    const res = await alice.post("/calls", {
      merchantId: "pizza",
      index: "0",
      memberNumber: "1001",
      _csrf: alice.csrf,
    });
    return String(res.headers.location).slice("/calls/".length);
  };
  const events = (id: string, headers: Record<string, string> = {}) =>
    f.app.inject({
      url: `/calls/${id}/events`,
      headers: { cookie: `parley_session=${alice.session}`, ...headers },
    });

  test("the stream replays past steps first, then live ones, and ends after ended with duration and cost", async () => {
    const id = await place();
    f.clickToCall.step(id, "calling-member", "Calling you at 1001");
    f.clickToCall.step(id, "member-answered", "You answered");
    const pending = events(id);
    await f.clickToCall.watched();
    f.clickToCall.step(id, "calling-merchant", "Calling Pizza Roma");
    f.clickToCall.step(id, "connected", "Connected");
    f.clickToCall.step(id, "ended", "The call ended", { durationSeconds: 65, cost: 30, currency: "EUR" });
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
    const got = progressEvents(res.body);
    assert.deepEqual(
      got.map((e) => [e.id, e.step]),
      [
        [1, "checking"],
        [2, "calling-member"],
        [3, "member-answered"],
        [4, "calling-merchant"],
        [5, "connected"],
        [6, "ended"],
      ],
    );
    assert.equal(got[1].label, "Calling you");
    assert.equal(got[1].message, "Calling you at 1001");
    assert.equal(got[5].final, true);
    assert.equal(got[5].outcome, "Duration 1 min 5 s, cost €0.30.");
    assert.equal(f.clickToCall.listenerCount("progress"), 0, "the stream unsubscribed when it ended");
  });

  test("a finished call's stream replays everything and closes at once; Last-Event-ID skips what was seen", async () => {
    const id = await place();
    f.clickToCall.step(id, "calling-member", "Calling you at 1001");
    f.clickToCall.step(id, "failed", "You did not answer; the merchant was not called");
    const all = progressEvents((await events(id)).body);
    assert.deepEqual(
      all.map((e) => e.step),
      ["checking", "calling-member", "failed"],
    );
    assert.equal(all[2].outcome, "You did not answer; the merchant was not called");
    const rest = progressEvents((await events(id, { "last-event-id": "2" })).body);
    assert.deepEqual(
      rest.map((e) => e.id),
      [3],
    );
    const page = await alice.get(`/calls/${id}`);
    assert.match(
      page.body,
      /<p id="call-outcome" class="outcome" role="status">You did not answer; the merchant was not called<\/p>/,
    );
    assert.doesNotMatch(page.body, /http-equiv="refresh"/, "a finished call's page does not refresh");
  });

  test("an ended call's page shows duration and cost without JavaScript", async () => {
    const id = await place();
    for (const step of ["calling-member", "member-answered", "calling-merchant", "connected"] as const) {
      f.clickToCall.step(id, step, step);
    }
    f.clickToCall.step(id, "ended", "Ended", { durationSeconds: 42, cost: 7, currency: "USD" });
    const page = await alice.get(`/calls/${id}`);
    assert.match(page.body, /<li data-step="connected"/);
    assert.match(page.body, /Duration 42 s, cost \$0\.07\./);
  });

  test("visitors without a session get no stream", async () => {
    const id = await place();
    const res = await f.app.inject({ url: `/calls/${id}/events` });
    assert.equal(res.statusCode, 303);
    assert.doesNotMatch(String(res.headers["content-type"]), /event-stream/);
  });
});
