import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { digestCredentials } from "../../../src/directory/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import {
  AuthFailureBan,
  LocationService,
  MemoryBindingStore,
  Registrar,
} from "../../../src/registrar/index.ts";
import {
  DigestChallenger,
  DigestClient,
  parseSipMessage,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  UserAgentCore,
} from "../../../src/sip/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const DOMAIN = "parley.test";

function setup(
  store = new MemoryBindingStore(),
  clock = new FakeClock(),
  persistence: "write-through" | "write-back" = "write-through",
) {
  const logger = silentLogger();
  const location = new LocationService({ store, clock, logger, persistence, flushIntervalMs: 1000 });
  const credentials = new Map([
    ["1001", digestCredentials("1001", DOMAIN, "pw-1001")],
    ["1002", digestCredentials("1002", DOMAIN, "pw-1002")],
  ]);
  const challenger = new DigestChallenger({
    clock,
    credentials: { lookup: async (u, r) => (r === DOMAIN ? credentials.get(u) : undefined) },
  });
  const ban = new AuthFailureBan({ clock, logger, maxFailures: 3, windowSeconds: 60, banSeconds: 600 });
  const registrar = new Registrar({
    core: new UserAgentCore({ logger, supported: ["path"], product: "test" }),
    location,
    challenger,
    subscribers: {
      domainFor: async (host) => (host === DOMAIN || host === "127.0.0.1" ? DOMAIN : undefined),
    },
    ban,
    clock,
    logger,
    minExpires: 60,
    maxExpires: 7200,
    defaultExpires: 3600,
  });
  let cseq = 0;
  /** Sends a REGISTER (challenge round included when `password` is given) and returns the final answer. */
  async function register(options: {
    user?: string;
    password?: string;
    contact?: string;
    expires?: string;
    callId?: string;
    host?: string;
    extra?: string[];
  }) {
    const user = options.user ?? "1001";
    const build = () => {
      cseq += 1;
      const lines = [
        `REGISTER sip:${options.host ?? DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKreg${cseq}`,
        "Max-Forwards: 70",
        `From: <sip:${user}@${DOMAIN}>;tag=f`,
        `To: <sip:${user}@${DOMAIN}>`,
        `Call-ID: ${options.callId ?? "reg-call"}`,
        `CSeq: ${cseq} REGISTER`,
        ...(options.contact === undefined
          ? ["Contact: <sip:1001@10.0.0.5:5060>"]
          : options.contact === ""
            ? []
            : [`Contact: ${options.contact}`]),
        ...(options.expires === undefined ? [] : [`Expires: ${options.expires}`]),
        ...(options.extra ?? []),
        "Content-Length: 0",
        "",
        "",
      ];
      return parseSipMessage(Buffer.from(lines.join("\r\n"))) as SipRequest;
    };
    const send = async (request: SipRequest) => {
      const responses: SipResponse[] = [];
      const transaction = {
        options: {
          transport: {
            reliable: false,
            send() {},
            source: { protocol: "udp", address: "203.0.113.9", port: 40000 },
          },
        },
        respond: (r: SipResponse) => responses.push(r),
      } as unknown as ServerTransaction;
      await registrar.handle(request, transaction);
      assert.equal(responses.length, 1);
      return responses[0] as SipResponse;
    };
    const first = build();
    const challenge = await send(first);
    if (options.password === undefined || challenge.status !== 401) return challenge;
    const second = build();
    const auth = new DigestClient({ username: user, password: options.password }).authorize(
      second,
      challenge.headers.lines("www-authenticate"),
    );
    second.headers.append("Authorization", auth ?? "");
    return send(second);
  }
  return { clock, location, registrar, register, ban, store };
}

describe("Registrar (RFC 3261 §10.3)", () => {
  test("an unauthenticated REGISTER is challenged with SHA-256 and MD5", async () => {
    const { register } = setup();
    const r = await register({});
    assert.equal(r.status, 401);
    assert.equal(r.headers.lines("www-authenticate").length, 2);
  });

  test("an authenticated REGISTER binds the contact with the observed source and answers with every binding", async () => {
    const { register, location } = setup();
    const r = await register({
      password: "pw-1001",
      contact: "<sip:1001@10.0.0.5:5060>;q=0.5",
      expires: "600",
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("contact") ?? "", /^<sip:1001@10\.0\.0\.5:5060>;expires=600;q=0\.5$/);
    assert.ok(r.headers.has("date"));
    const [binding] = location.lookup("sip:1001@parley.test");
    assert.deepEqual(binding?.source, {
      protocol: "udp",
      address: "203.0.113.9",
      port: 40000,
      flowId: undefined,
    });
    assert.equal(binding?.q, 0.5);
  });

  test("Path is stored with the binding and echoed to a UA that supports path (RFC 3327)", async () => {
    const { register, location } = setup();
    const r = await register({
      password: "pw-1001",
      extra: ["Path: <sip:edge1.example.com;lr>", "Path: <sip:edge2.example.com;lr>", "Supported: path"],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers.values("path"), ["<sip:edge1.example.com;lr>", "<sip:edge2.example.com;lr>"]);
    assert.deepEqual(location.lookup("sip:1001@parley.test")[0]?.path, [
      "<sip:edge1.example.com;lr>",
      "<sip:edge2.example.com;lr>",
    ]);
    const noSupport = await register({ password: "pw-1001", extra: ["Path: <sip:edge1.example.com;lr>"] });
    assert.equal(noSupport.headers.has("path"), false, "not echoed without Supported: path");
  });

  test("a query (no Contact) lists the bindings without changing them", async () => {
    const { register } = setup();
    await register({ password: "pw-1001" });
    const r = await register({ password: "pw-1001", contact: "" });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("contact") ?? "", /sip:1001@10\.0\.0\.5:5060/);
  });

  test("Expires below min_expires gets 423 with Min-Expires; above max_expires is shortened", async () => {
    const { register } = setup();
    const brief = await register({ password: "pw-1001", expires: "30" });
    assert.equal(brief.status, 423);
    assert.equal(brief.headers.get("min-expires"), "60");
    const long = await register({ password: "pw-1001", expires: "999999" });
    assert.match(long.headers.get("contact") ?? "", /;expires=7200$/);
  });

  test("Contact: * with Expires: 0 removes every binding; * with another Expires is 400", async () => {
    const { register, location } = setup();
    await register({ password: "pw-1001", contact: "<sip:1001@10.0.0.5:5060>, <sip:1001@10.0.0.6:5060>" });
    assert.equal(location.lookup("sip:1001@parley.test").length, 2);
    assert.equal((await register({ password: "pw-1001", contact: "*", expires: "60" })).status, 400);
    const removed = await register({ password: "pw-1001", contact: "*", expires: "0", callId: "other-call" });
    assert.equal(removed.status, 200);
    assert.equal(removed.headers.has("contact"), false);
    assert.deepEqual(location.lookup("sip:1001@parley.test"), []);
  });

  test("a wrong password gets 403 and a domain this server does not serve gets 404", async () => {
    const { register } = setup();
    const other = await register({ user: "1002", password: "pw-1001" });
    assert.equal(other.status, 403, "wrong password for 1002");
    assert.equal((await register({ host: "elsewhere.example" })).status, 404);
  });

  test("three failures from one source ban it (the transport then drops its messages)", async () => {
    const { register, ban } = setup();
    for (let i = 0; i < 3; i++) assert.equal((await register({ password: "nope" })).status, 403);
    assert.equal(ban.isBanned("203.0.113.9"), true);
    assert.equal(ban.isBanned("203.0.113.10"), false);
  });

  test("write-back keeps changes in memory and stores them in one batch a second later, or at stop()", async () => {
    const store = new MemoryBindingStore();
    const clock = new FakeClock();
    const { register, location } = setup(store, clock, "write-back");
    await register({ password: "pw-1001" });
    assert.equal(location.lookup("sip:1001@parley.test").length, 1, "answered from memory at once");
    assert.deepEqual(await store.load(clock.now()), [], "not stored yet");
    clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await store.load(clock.now())).length, 1, "stored by the flush");
    await register({ user: "1002", password: "pw-1002", contact: "<sip:1002@10.0.0.7>" });
    await location.stop();
    assert.equal((await store.load(clock.now())).length, 2, "stop() flushes what is pending");
  });

  test("bindings expire on the clock, and a restart reloads the unexpired ones from the store", async () => {
    const store = new MemoryBindingStore();
    const clock = new FakeClock();
    const first = setup(store, clock);
    await first.location.start(1000);
    await first.register({ password: "pw-1001", expires: "120" });
    await first.register({
      user: "1002",
      password: "pw-1002",
      contact: "<sip:1002@10.0.0.7>",
      expires: "3600",
    });
    await first.location.stop();
    const second = setup(store, clock);
    assert.equal(await second.location.start(1000), 2, "a restart keeps the bindings");
    clock.advance(121_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(second.location.lookup("sip:1001@parley.test"), []);
    assert.equal(second.location.lookup("sip:1002@parley.test").length, 1);
    assert.equal(
      (await store.load(clock.now())).length,
      1,
      "the sweep removed the expired binding from the store too",
    );
    await second.location.stop();
  });
});
