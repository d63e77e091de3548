import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MessageWaitingIndicator, type MessageWaitingSettings } from "../../../src/calls/index.ts";
import { digestCredentials } from "../../../src/directory/index.ts";
import { randomHex } from "../../../src/kernel/ids.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { LocationService, MemoryBindingStore } from "../../../src/registrar/index.ts";
import { DigestChallenger, DigestClient, type SipRequest, type SipResponse } from "../../../src/sip/index.ts";
import { type SipPeer, stackAndPeer } from "../../support/sip-peer.ts";

const DOMAIN = "parley.test";
const TYPE = "application/simple-message-summary";

/** A MessageWaitingIndicator on a real stack (timers on a FakeClock) with users 1001 and 1002. */
async function setup(t: import("node:test").TestContext, settings: MessageWaitingSettings = {}) {
  const { stack, clock, peer, close } = await stackAndPeer();
  t.after(close);
  const logger = silentLogger();
  const location = new LocationService({ store: new MemoryBindingStore(), clock, logger });
  const credentials = new Map([
    ["1001", digestCredentials("1001", DOMAIN, "pw-1001")],
    ["1002", digestCredentials("1002", DOMAIN, "pw-1002")],
  ]);
  const challenger = new DigestChallenger({
    clock,
    credentials: { lookup: async (u, r) => (r === DOMAIN ? credentials.get(u) : undefined) },
  });
  const mwi = new MessageWaitingIndicator({
    ...settings,
    stack,
    challenger,
    subscribers: { domainFor: async (host) => (host === DOMAIN ? DOMAIN : undefined) },
    location,
    clock,
    logger,
  });
  stack.core.handle("SUBSCRIBE", (request, transaction) => mwi.handle(request, transaction));
  return { stack, clock, peer, mwi, location };
}

/**
 * SUBSCRIBE to `mailbox`'s message-summary as `user`: the 401 round, then the request with
 * credentials; resolves with the final answer (and the request that got it).
 */
async function subscribe(
  peer: SipPeer,
  options: { user: string; password: string; mailbox?: string },
): Promise<{ answer: SipResponse; request: SipRequest }> {
  const mailbox = options.mailbox ?? options.user;
  const fields = {
    callId: `mwi-${randomHex(6)}`,
    from: `<sip:${options.user}@${DOMAIN}>;tag=${randomHex(4)}`,
    to: `<sip:${mailbox}@${DOMAIN}>`,
    uri: `sip:${mailbox}@${DOMAIN}`,
    headers: [
      ["Event", "message-summary"],
      ["Accept", TYPE],
      ["Expires", "600"],
    ] as Array<[string, string]>,
  };
  peer.sendRequest("SUBSCRIBE", { ...fields, cseq: 1 });
  const challenge = await peer.nextResponse(401, "SUBSCRIBE");
  const request = peer.request("SUBSCRIBE", { ...fields, cseq: 2 });
  const authorization = new DigestClient({ username: options.user, password: options.password }).authorize(
    request,
    challenge.headers.lines("www-authenticate"),
  );
  request.headers.append("Authorization", authorization ?? "");
  peer.send(request);
  const answer = (await peer.next(
    "final answer to the SUBSCRIBE",
    (m) => m.kind === "response" && m.callId === fields.callId && m.cseq.seq === 2,
  )) as SipResponse;
  return { answer, request };
}

describe("MessageWaitingIndicator (RFC 3842 over RFC 6665)", () => {
  test("a SUBSCRIBE is challenged like a REGISTER; the user's own mailbox is accepted and the initial NOTIFY carries what lookup says", async (t) => {
    const { peer, mwi } = await setup(t);
    const asked: string[] = [];
    mwi.lookup = async (aor) => {
      asked.push(aor);
      return { new: 3, old: 4 };
    };
    const { answer, request } = await subscribe(peer, { user: "1001", password: "pw-1001" });
    assert.equal(answer.status, 200);
    const notify = await peer.nextRequest("NOTIFY", request.callId);
    assert.equal(notify.headers.get("event"), "message-summary");
    assert.equal(notify.headers.get("subscription-state"), "active;expires=600");
    assert.equal(notify.contentType, TYPE);
    assert.equal(
      notify.body.toString(),
      "Messages-Waiting: yes\r\nMessage-Account: sip:1001@parley.test\r\nVoice-Message: 3/4 (0/0)\r\n",
    );
    peer.respond(notify, 200);
    assert.deepEqual(asked, ["sip:1001@parley.test"]);
    assert.deepEqual(mwi.subscriptions(), new Map([["sip:1001@parley.test", 1]]));
  });

  test("another user's mailbox gets 403, even with valid credentials, and no subscription", async (t) => {
    const { peer, mwi } = await setup(t);
    const { answer } = await subscribe(peer, { user: "1002", password: "pw-1002", mailbox: "1001" });
    assert.equal(answer.status, 403);
    assert.equal(mwi.subscriptions().size, 0);
    assert.deepEqual(await peer.settle(), [], "no NOTIFY");
  });

  test("a wrong password gets 403; a domain that is not ours gets 404; an unknown package 489 before any challenge", async (t) => {
    const { peer } = await setup(t);
    const { answer } = await subscribe(peer, { user: "1001", password: "wrong" });
    assert.equal(answer.status, 403);
    peer.sendRequest("SUBSCRIBE", {
      callId: "elsewhere",
      from: "<sip:1001@elsewhere.test>;tag=e",
      to: "<sip:1001@elsewhere.test>",
      uri: "sip:1001@elsewhere.test",
      cseq: 1,
      headers: [["Event", "message-summary"]],
    });
    await peer.nextResponse(404, "SUBSCRIBE");
    peer.sendRequest("SUBSCRIBE", {
      callId: "presence",
      from: `<sip:1001@${DOMAIN}>;tag=p`,
      to: `<sip:1001@${DOMAIN}>`,
      uri: `sip:1001@${DOMAIN}`,
      cseq: 1,
      headers: [["Event", "presence"]],
    });
    await peer.nextResponse(489, "SUBSCRIBE");
  });

  test("update NOTIFYs every subscription of the AOR and no other; update(aor, undefined) sends nothing", async (t) => {
    const { peer, mwi } = await setup(t);
    mwi.update("sip:1001@parley.test", { new: 0, old: 0 });
    const first = await subscribe(peer, { user: "1001", password: "pw-1001" });
    const second = await subscribe(peer, { user: "1001", password: "pw-1001" });
    const other = await subscribe(peer, { user: "1002", password: "pw-1002" });
    for (const s of [first, second, other])
      peer.respond(await peer.nextRequest("NOTIFY", s.request.callId), 200);
    mwi.update("sip:1001@parley.test", { new: 1, old: 2, urgentNew: 1 });
    for (const s of [first, second]) {
      const notify = await peer.nextRequest("NOTIFY", s.request.callId);
      assert.match(notify.body.toString(), /^Messages-Waiting: yes\r\n.*Voice-Message: 1\/2 \(1\/0\)\r\n$/s);
      peer.respond(notify, 200);
    }
    mwi.update("sip:1001@parley.test", undefined);
    assert.deepEqual(await peer.settle(), [], "nothing for 1002, and nothing for an unreadable mailbox");
    assert.equal(mwi.summary("sip:1001@parley.test"), undefined);
  });

  test("the initial NOTIFY has no body when lookup fails, and when it does not answer within lookupTimeoutMs", async (t) => {
    const { peer, clock, mwi } = await setup(t, { lookupTimeoutMs: 1000 });
    mwi.lookup = async () => {
      throw new Error("voicemail store down");
    };
    const failed = await subscribe(peer, { user: "1001", password: "pw-1001" });
    const bare = await peer.nextRequest("NOTIFY", failed.request.callId);
    assert.equal(bare.body.length, 0);
    assert.equal(bare.headers.has("content-type"), false);
    peer.respond(bare, 200);

    mwi.lookup = () => new Promise(() => {});
    const hanging = await subscribe(peer, { user: "1002", password: "pw-1002" });
    assert.deepEqual(await peer.settle(), [], "the NOTIFY waits for the look-up");
    clock.advance(1000);
    const late = await peer.nextRequest("NOTIFY", hanging.request.callId);
    assert.equal(late.body.length, 0);
  });

  test("unsolicited: an update for an AOR without subscription NOTIFYs each registered contact where it registered from", async (t) => {
    const { peer, clock, mwi, location } = await setup(t, { unsolicited: true });
    const notices: string[] = [];
    mwi.on("notified", (aor, notice) => notices.push(`${aor} ${notice.kind} ${notice.status}`));
    await location.save({
      aor: "sip:1001@parley.test",
      contact: "sip:1001@10.0.0.5:5060",
      q: 1,
      expiresAt: clock.now() + 3_600_000,
      callId: "reg",
      cseq: 1,
      source: { protocol: "udp", address: "127.0.0.1", port: peer.port },
      path: [],
      registeredAt: clock.now(),
    });
    mwi.update("sip:1001@parley.test", { new: 2, old: 0 });
    const notify = await peer.nextRequest("NOTIFY");
    assert.equal(notify.uriText, "sip:1001@10.0.0.5:5060", "Request-URI: the registered contact");
    assert.equal(notify.to.tag, undefined, "outside any dialog");
    assert.equal(notify.headers.get("event"), "message-summary");
    assert.equal(notify.headers.get("subscription-state"), "active");
    assert.match(notify.body.toString(), /Voice-Message: 2\/0/);
    peer.respond(notify, 200);
    await peer.settle();
    assert.deepEqual(notices, ["sip:1001@parley.test unsolicited 200"]);
    mwi.update("sip:1002@parley.test", { new: 1, old: 0 });
    assert.deepEqual(await peer.settle(), [], "no binding, no NOTIFY");
  });

  test("without unsolicited (the default) an update for an AOR without subscription sends nothing", async (t) => {
    const { peer, clock, mwi, location } = await setup(t);
    await location.save({
      aor: "sip:1001@parley.test",
      contact: "sip:1001@10.0.0.5:5060",
      q: 1,
      expiresAt: clock.now() + 3_600_000,
      callId: "reg",
      cseq: 1,
      source: { protocol: "udp", address: "127.0.0.1", port: peer.port },
      path: [],
      registeredAt: clock.now(),
    });
    mwi.update("sip:1001@parley.test", { new: 2, old: 0 });
    assert.deepEqual(await peer.settle(), []);
    assert.deepEqual(mwi.summary("sip:1001@parley.test"), { new: 2, old: 0 }, "the summary is kept");
  });

  test("counts outside 0..2^32-1 are the caller's bug: update throws RangeError and keeps the old summary", async (t) => {
    const { mwi } = await setup(t);
    mwi.update("sip:1001@parley.test", { new: 1, old: 0 });
    assert.throws(() => mwi.update("sip:1001@parley.test", { new: -1, old: 0 }), RangeError);
    assert.deepEqual(mwi.summary("sip:1001@parley.test"), { new: 1, old: 0 });
  });
});
