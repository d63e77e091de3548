import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { Registry } from "prom-client";
import { type IncomingText, TextMessaging, type TextMessagingSettings } from "../../../src/calls/index.ts";
import { digestCredentials } from "../../../src/directory/index.ts";
import { randomHex } from "../../../src/kernel/ids.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { LocationService, MemoryBindingStore } from "../../../src/registrar/index.ts";
import { DigestChallenger, DigestClient, type SipBody, type SipResponse } from "../../../src/sip/index.ts";
import { inviteFromPeer, SipPeer, sdp, stackAndPeer, TIMERS } from "../../support/sip-peer.ts";

const DOMAIN = "parley.test";
const USERS = ["1001", "1002", "1003"];

/** TextMessaging on a real stack (timers on a FakeClock) with users 1001–1003 of parley.test. */
async function setup(t: TestContext, settings: TextMessagingSettings = {}) {
  const { stack, clock, peer, close } = await stackAndPeer();
  t.after(close);
  const logger = silentLogger();
  const location = new LocationService({ store: new MemoryBindingStore(), clock, logger });
  const credentials = new Map(USERS.map((u) => [u, digestCredentials(u, DOMAIN, `pw-${u}`)]));
  const challenger = new DigestChallenger({
    clock,
    credentials: { lookup: async (u, r) => (r === DOMAIN ? credentials.get(u) : undefined) },
  });
  const metrics = new Registry();
  const messaging = new TextMessaging({
    ...settings,
    stack,
    challenger,
    subscribers: { domainFor: async (host) => (host === DOMAIN ? DOMAIN : undefined) },
    users: {
      byExtension: async (extension, domain) =>
        domain === DOMAIN && USERS.includes(extension) ? { extension, domain } : undefined,
    },
    location,
    clock,
    logger,
    metrics,
  });
  stack.core.handle("MESSAGE", (request, transaction) => messaging.handle(request, transaction));
  /** A phone of `extension` at `phone`, as a REGISTER from it would bind it. */
  const bind = (extension: string, phone: SipPeer, path: string[] = []) =>
    location.save({
      aor: `sip:${extension}@${DOMAIN}`,
      contact: `sip:${extension}@10.0.0.${phone.port % 250}:5060`,
      q: 1,
      expiresAt: clock.now() + 3_600_000,
      callId: `reg-${phone.port}`,
      cseq: 1,
      source: { protocol: "udp", address: "127.0.0.1", port: phone.port },
      path,
      registeredAt: clock.now(),
    });
  const openPhone = async () => {
    const phone = await SipPeer.open(peer.stackPort);
    t.after(() => phone.close());
    return phone;
  };
  return { stack, clock, peer, messaging, location, metrics, bind, openPhone };
}

const plain = (text: string, contentType = "text/plain;charset=UTF-8"): SipBody => ({
  contentType,
  data: Buffer.from(text, "utf8"),
});

/**
 * `peer` texts `to` as `user`: the 401 round, then the MESSAGE with credentials; resolves with
 * the final answer. With `password: undefined` only the first MESSAGE is sent.
 */
async function text(
  peer: SipPeer,
  options: { user: string; password?: string; to: string; body: SipBody },
): Promise<SipResponse> {
  const fields = {
    callId: `im-${randomHex(6)}`,
    from: `<sip:${options.user}@${DOMAIN}>;tag=${randomHex(4)}`,
    to: `<sip:${options.to}@${DOMAIN}>`,
    uri: `sip:${options.to}@${DOMAIN}`,
    body: options.body,
  };
  const final = (cseq: number) =>
    peer.next(
      `final answer to MESSAGE ${cseq}`,
      (m) => m.kind === "response" && m.callId === fields.callId && m.cseq.seq === cseq && m.status >= 200,
    ) as Promise<SipResponse>;
  peer.sendRequest("MESSAGE", { ...fields, cseq: 1 });
  const first = await final(1);
  if (first.status !== 401 || options.password === undefined) return first;
  const request = peer.request("MESSAGE", { ...fields, cseq: 2 });
  const authorization = new DigestClient({ username: options.user, password: options.password }).authorize(
    request,
    first.headers.lines("www-authenticate"),
  );
  request.headers.append("Authorization", authorization ?? "");
  peer.send(request);
  return final(2);
}

async function counted(metrics: Registry): Promise<string[]> {
  const text = await metrics.metrics();
  return text.split("\n").filter((line) => line.startsWith("parley_sip_messages_total{"));
}

describe("TextMessaging (RFC 3428 MESSAGE)", () => {
  test("a MESSAGE is challenged with 401 like a REGISTER; with credentials the handler that takes it gets from, to and text, and the sender 200 without body or Contact", async (t) => {
    const { peer, messaging, metrics } = await setup(t);
    const seen: IncomingText[] = [];
    messaging.onText((message) => {
      seen.push(message);
      return true;
    });
    peer.sendRequest("MESSAGE", {
      callId: "no-credentials",
      from: `<sip:1001@${DOMAIN}>;tag=a`,
      to: `<sip:parley@${DOMAIN}>`,
      uri: `sip:parley@${DOMAIN}`,
      cseq: 1,
      body: plain("YES"),
    });
    const challenge = await peer.nextResponse(401, "MESSAGE");
    assert.match(challenge.headers.get("www-authenticate") ?? "", /^Digest realm="parley.test"/);
    assert.deepEqual(seen, [], "nothing reaches a handler before authentication");

    const answer = await text(peer, { user: "1001", password: "pw-1001", to: "parley", body: plain("YES") });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.length, 0, "RFC 3428 §7: no body in a 2xx");
    assert.equal(answer.headers.has("contact"), false, "RFC 3428 §7: no Contact in a 2xx");
    assert.deepEqual(seen, [{ from: "1001@parley.test", to: "parley", text: "YES" }]);
    assert.deepEqual(await counted(metrics), [
      'parley_sip_messages_total{direction="inbound",outcome="taken"} 1',
    ]);
  });

  test("the sender is who authenticated, not who From names; handlers are asked in order and one that throws is skipped", async (t) => {
    const { peer, messaging } = await setup(t);
    const asked: string[] = [];
    messaging.onText(() => {
      asked.push("first");
      throw new Error("broken service");
    });
    const remove = messaging.onText(() => {
      asked.push("second");
      return false;
    });
    let taken: IncomingText | undefined;
    messaging.onText(async (message) => {
      asked.push("third");
      taken = message;
      return true;
    });
    const request = peer.request("MESSAGE", {
      callId: "spoofed",
      from: `<sip:1003@${DOMAIN}>;tag=s`,
      to: `<sip:parley@${DOMAIN}>`,
      uri: `sip:parley@${DOMAIN}`,
      cseq: 1,
      body: plain("CALL 1002"),
    });
    peer.send(request);
    const challenge = await peer.nextResponse(401, "MESSAGE");
    const retry = peer.request("MESSAGE", {
      callId: "spoofed",
      from: `<sip:1003@${DOMAIN}>;tag=s`,
      to: `<sip:parley@${DOMAIN}>`,
      uri: `sip:parley@${DOMAIN}`,
      cseq: 2,
      body: plain("CALL 1002"),
    });
    retry.headers.append(
      "Authorization",
      new DigestClient({ username: "1001", password: "pw-1001" }).authorize(
        retry,
        challenge.headers.lines("www-authenticate"),
      ) ?? "",
    );
    peer.send(retry);
    await peer.nextResponse(200, "MESSAGE");
    assert.deepEqual(asked, ["first", "second", "third"]);
    assert.deepEqual(taken, { from: "1001@parley.test", to: "parley", text: "CALL 1002" });

    remove();
    asked.length = 0;
    assert.equal(
      (await text(peer, { user: "1001", password: "pw-1001", to: "parley", body: plain("x") })).status,
      200,
    );
    assert.deepEqual(asked, ["first", "third"], "the removed handler is not asked");
  });

  test("a wrong password gets 403 and reaches no handler; a domain that is not ours gets 404", async (t) => {
    const { peer, messaging } = await setup(t);
    let asked = 0;
    messaging.onText(() => {
      asked++;
      return true;
    });
    const answer = await text(peer, { user: "1001", password: "wrong", to: "parley", body: plain("YES") });
    assert.equal(answer.status, 403);
    peer.sendRequest("MESSAGE", {
      callId: "elsewhere",
      from: "<sip:1001@elsewhere.test>;tag=e",
      to: "<sip:parley@elsewhere.test>",
      uri: "sip:parley@elsewhere.test",
      cseq: 1,
      body: plain("YES"),
    });
    await peer.nextResponse(404, "MESSAGE");
    assert.equal(asked, 0);
  });

  test("bodies other than text/plain get 415 with Accept: text/plain, before any challenge; so does an unknown charset", async (t) => {
    const { peer } = await setup(t);
    for (const contentType of ["text/html", "application/im-iscomposing+xml", "text/plain;charset=KOI8-R"]) {
      const answer = await text(peer, { user: "1001", to: "parley", body: plain("<b>YES</b>", contentType) });
      assert.equal(answer.status, 415, contentType);
      assert.equal(answer.headers.get("accept"), "text/plain");
    }
    const latin = await text(peer, {
      user: "1001",
      to: "parley",
      body: plain("YES", 'text/plain; charset="ISO-8859-1"'),
    });
    assert.equal(latin.status, 401, "ISO-8859-1 is read, so it goes on to the challenge");
  });

  test("a body over maxBodyBytes gets 513; one of exactly maxBodyBytes is taken", async (t) => {
    const { peer, messaging } = await setup(t, { maxBodyBytes: 100 });
    const texts: string[] = [];
    messaging.onText(({ text }) => {
      texts.push(text);
      return true;
    });
    const tooLarge = await text(peer, { user: "1001", to: "parley", body: plain("x".repeat(101)) });
    assert.equal(tooLarge.status, 513);
    const fits = await text(peer, {
      user: "1001",
      password: "pw-1001",
      to: "parley",
      body: plain("é".repeat(50)),
    });
    assert.equal(fits.status, 200);
    assert.deepEqual(texts, ["é".repeat(50)], "UTF-8 decoded");
  });

  test("a text no handler takes, to a local user with phones, is answered 202 and relayed to each phone with the sender's AOR as From", async (t) => {
    const { peer, messaging, bind, openPhone, metrics } = await setup(t);
    messaging.onText(() => false);
    const phone = await openPhone();
    await bind("1002", phone, ["<sip:edge.parley.test;lr>"]);
    const sent: Array<[string, number]> = [];
    messaging.on("sent", (aor, outcome) => sent.push([aor, outcome.status]));
    const answer = await text(peer, {
      user: "1001",
      password: "pw-1001",
      to: "1002",
      body: plain("lunch?"),
    });
    assert.equal(answer.status, 202);
    const relayed = await phone.nextRequest("MESSAGE");
    assert.equal(relayed.uriText, `sip:1002@10.0.0.${phone.port % 250}:5060`, "to the registered contact");
    assert.equal(relayed.from.uri.toString(), "sip:1001@parley.test");
    assert.equal(relayed.to.uri.toString(), "sip:1002@parley.test");
    assert.equal(relayed.to.tag, undefined, "outside any dialog");
    assert.deepEqual(relayed.headers.values("route"), ["<sip:edge.parley.test;lr>"], "the binding's Path");
    assert.equal(relayed.headers.has("contact"), false, "a MESSAGE starts no dialog");
    assert.equal(relayed.headers.has("authorization"), false, "the sender's credentials stay here");
    assert.equal(relayed.contentType, "text/plain;charset=UTF-8");
    assert.equal(relayed.body.toString(), "lunch?");
    phone.respond(relayed, 200);
    await phone.settle();
    await peer.settle();
    assert.deepEqual(sent, [["sip:1002@parley.test", 200]]);
    assert.deepEqual((await counted(metrics)).sort(), [
      'parley_sip_messages_total{direction="inbound",outcome="relayed"} 1',
      'parley_sip_messages_total{direction="outbound",outcome="delivered"} 1',
    ]);
  });

  test("a text to a user nobody knows gets 404; to a local user without registered phones 480", async (t) => {
    const { peer, messaging } = await setup(t);
    const received: number[] = [];
    messaging.on("received", (_message, status) => received.push(status));
    const unknown = await text(peer, { user: "1001", password: "pw-1001", to: "9999", body: plain("hi") });
    assert.equal(unknown.status, 404);
    const away = await text(peer, { user: "1001", password: "pw-1001", to: "1003", body: plain("hi") });
    assert.equal(away.status, 480);
    assert.deepEqual(received, [404, 480]);
  });

  test("a handler that does not answer within handlerTimeoutMs gets the MESSAGE a 504", async (t) => {
    const { peer, clock, messaging } = await setup(t, { handlerTimeoutMs: 3000 });
    let asked!: () => void;
    const handlerAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    messaging.onText(() => {
      asked();
      return new Promise<boolean>(() => {});
    });
    const answered = text(peer, { user: "1001", password: "pw-1001", to: "parley", body: plain("YES") });
    await handlerAsked;
    clock.advance(2999);
    assert.deepEqual(await peer.settle(), [], "not yet");
    clock.advance(1);
    assert.equal((await answered).status, 504);
  });

  test("send puts a MESSAGE on every registered phone of the AOR and counts the 2xx answers", async (t) => {
    const { messaging, bind, openPhone, metrics } = await setup(t);
    const [first, second, third] = [await openPhone(), await openPhone(), await openPhone()];
    await bind("1001", first);
    await bind("1001", second);
    await bind("1002", third);
    const delivery = messaging.send("1001@parley.test", "Bob did not answer 3 times. Reply YES …");
    const one = await first.nextRequest("MESSAGE");
    const two = await second.nextRequest("MESSAGE");
    for (const request of [one, two]) {
      assert.equal(request.from.uri.toString(), "sip:parley@parley.test");
      assert.equal(request.from.displayName, "parley");
      assert.equal(request.to.uri.toString(), "sip:1001@parley.test");
      assert.equal(request.contentType, "text/plain;charset=UTF-8");
      assert.equal(request.body.toString("utf8"), "Bob did not answer 3 times. Reply YES …");
      assert.equal(request.headers.has("contact"), false);
    }
    assert.notEqual(one.callId, two.callId, "each MESSAGE is its own transaction");
    first.respond(one, 200);
    second.respond(two, 486);
    assert.deepEqual(await delivery, { delivered: 1, attempted: 2 });
    assert.deepEqual(await third.settle(), [], "another user's phone gets nothing");
    assert.deepEqual((await counted(metrics)).sort(), [
      'parley_sip_messages_total{direction="outbound",outcome="delivered"} 1',
      'parley_sip_messages_total{direction="outbound",outcome="refused"} 1',
    ]);
    assert.deepEqual(await messaging.send("sip:1003@parley.test", "hello"), { delivered: 0, attempted: 0 });
  });

  test("send: a contact that never answers times out (Timer F, 64·T1 on the clock) and counts as not delivered", async (t) => {
    const { clock, messaging, bind, openPhone } = await setup(t);
    const silent = await openPhone();
    await bind("1001", silent);
    const outcomes: number[] = [];
    messaging.on("sent", (_aor, outcome) => outcomes.push(outcome.status));
    let settled = false;
    const delivery = messaging.send("sip:1001@parley.test", "anyone?", { from: "background-call" });
    void delivery.then(() => {
      settled = true;
    });
    const request = await silent.nextRequest("MESSAGE");
    assert.equal(request.from.uri.toString(), "sip:background-call@parley.test");
    clock.advance(64 * TIMERS.t1 - 1);
    await silent.settle();
    assert.equal(settled, false);
    clock.advance(1);
    assert.deepEqual(await delivery, { delivered: 0, attempted: 1 });
    assert.deepEqual(outcomes, [408]);
  });

  test("send: a MESSAGE over 1300 bytes is not sent to a phone registered over UDP (RFC 3428 §8)", async (t) => {
    const { messaging, bind, openPhone } = await setup(t);
    const phone = await openPhone();
    await bind("1001", phone);
    assert.deepEqual(await messaging.send("sip:1001@parley.test", "x".repeat(1300)), {
      delivered: 0,
      attempted: 1,
    });
    assert.deepEqual(await phone.settle(), []);
    const fits = messaging.send("sip:1001@parley.test", "x".repeat(800));
    phone.respond(await phone.nextRequest("MESSAGE"), 200);
    assert.deepEqual(await fits, { delivered: 1, attempted: 1 });
  });

  test("send refuses an address without a domain and a sender name a SIP URI cannot carry", async (t) => {
    const { messaging } = await setup(t);
    await assert.rejects(messaging.send("1001", "hi"), RangeError);
    await assert.rejects(messaging.send("sip:1001@parley.test", "hi", { from: 'Parley "Bot"' }), RangeError);
  });

  test("after close a MESSAGE gets 503, send sends nothing, and a MESSAGE waiting for its answer resolves undelivered", async (t) => {
    const { peer, messaging, bind, openPhone } = await setup(t);
    const phone = await openPhone();
    await bind("1001", phone);
    const waiting = messaging.send("sip:1001@parley.test", "hi");
    await phone.nextRequest("MESSAGE");
    messaging.close();
    assert.deepEqual(await waiting, { delivered: 0, attempted: 1 });
    const refused = await text(peer, { user: "1001", to: "parley", body: plain("hi") });
    assert.equal(refused.status, 503);
    assert.deepEqual(await messaging.send("sip:1001@parley.test", "hi"), { delivered: 0, attempted: 0 });
    messaging.close();
    assert.equal(messaging.closed, true);
  });
  test("MESSAGE is in the stack's Allow once handled; one inside an INVITE dialog gets 405 from the session (no session-mode IM) and one of no dialog 481, neither reaching a handler", async (t) => {
    const { stack, peer, messaging } = await setup(t);
    let asked = 0;
    messaging.onText(() => {
      asked++;
      return true;
    });
    const options = peer.sendRequest("OPTIONS", {
      callId: "allow",
      from: "<sip:peer@127.0.0.1>;tag=o",
      to: `<${peer.stackUri}>`,
      cseq: 1,
    });
    const allowed = await peer.nextResponse(200, "OPTIONS");
    assert.equal(allowed.callId, options.callId);
    assert.ok(allowed.headers.get("allow")?.split(", ").includes("MESSAGE"), allowed.headers.get("allow"));

    const { incoming, invite } = await inviteFromPeer(stack, peer);
    incoming.accept({ body: sdp("answer") });
    const ok = await peer.nextResponse(200, "INVITE");
    peer.ackFor(invite, ok);
    const inDialog = {
      callId: invite.callId,
      from: invite.headers.get("from") ?? "",
      to: ok.headers.get("to") ?? "",
      body: plain("hello in the call"),
    };
    peer.sendRequest("MESSAGE", { ...inDialog, cseq: 2 });
    const refused = await peer.nextResponse(405, "MESSAGE");
    assert.equal(refused.headers.get("allow")?.split(", ").includes("MESSAGE"), false);
    peer.sendRequest("MESSAGE", { ...inDialog, to: `${inDialog.to}x`, cseq: 3 });
    await peer.nextResponse(481, "MESSAGE");
    assert.equal(asked, 0);
  });
});
