import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, describe, test } from "node:test";
import fc from "fast-check";
import { pino } from "pino";
import { missingPeer } from "../../support/peers.ts";
import { selfSignedCertificate } from "../../support/tls-certificate.ts";
import { PASSWORD, simpleMessage, startTestServer, type TestServer, USER } from "./test-server.ts";
import { WireClient } from "./wire-client.ts";

const certificate = (() => {
  const files = selfSignedCertificate();
  return files ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : undefined;
})();

describe("ImapServer", () => {
  let t: TestServer | undefined;
  const clients: WireClient[] = [];
  const connect = async (options: { tls?: boolean; port?: number } = {}) => {
    const client = await WireClient.connect(options.port ?? t?.port ?? 0, options);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await t?.close();
    t = undefined;
  });

  test("a 10 MB synchronising literal is refused with BAD; the connection and the others go on", async () => {
    t = await startTestServer();
    const big = await connect();
    const other = await connect();
    big.write("A1 APPEND INBOX {10485760}\r\n");
    assert.equal(await big.readResponse(), "A1 BAD Literal too large");
    assert.match((await other.command("NOOP")).tagged, /OK/);
    assert.match((await big.command("NOOP")).tagged, /^A1 OK/);
  });

  test("a 10 MB LITERAL+ closes that connection with BYE; the server keeps serving", async () => {
    t = await startTestServer({ maxCommandBytes: 4096 });
    const big = await connect();
    const other = await connect();
    await other.login();
    big.write("A1 APPEND INBOX {10485760+}\r\n");
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 160 && !big.socket.destroyed; i++) big.socket.write(chunk);
    assert.equal(await big.readResponse(), "* BYE Literal too large");
    await big.ended;
    assert.match((await other.command("SELECT INBOX")).tagged, /OK/);
    const fresh = await connect();
    assert.match(fresh.greeting, /^\* OK/);
  });

  test("a client that drops mid-literal closes only its own connection", async () => {
    t = await startTestServer();
    const other = await connect();
    await other.login();
    const dropping = await connect();
    dropping.write("A1 LOGIN {100}\r\n");
    assert.match(await dropping.readResponse(), /^\+ /);
    dropping.write("half of it");
    dropping.socket.resetAndDestroy();
    const server = t.server;
    while (server.connectionCount > 1) await new Promise((resolve) => setImmediate(resolve));
    assert.match((await other.command("SELECT INBOX")).tagged, /OK/);
  });

  test("connections beyond maxConnections get BYE", async () => {
    t = await startTestServer({ maxConnections: 1 });
    await connect();
    const refused = await WireClient.connect(t.port).catch((error: Error) => error);
    assert.ok(!(refused instanceof Error));
    clients.push(refused);
    assert.equal(refused.greeting, "* BYE Too many connections");
    await refused.ended;
  });

  test("a line longer than maxCommandBytes without CRLF closes the connection with BYE", async () => {
    t = await startTestServer({ maxCommandBytes: 1024 });
    const client = await connect();
    client.write(`A1 LOGIN ${"x".repeat(2000)}`);
    assert.equal(await client.readResponse(), "* BYE Command line too long");
    await client.ended;
  });

  test("after N failed logins from one address, logins answer NO [UNAVAILABLE] without checking, until the window passes", async () => {
    let checks = 0;
    t = await startTestServer({
      loginRateLimit: { failures: 3, windowMs: 60_000 },
      login: {
        verify: async (user, password) => {
          checks++;
          return user === USER && password === PASSWORD ? USER : undefined;
        },
      },
    });
    const client = await connect();
    for (let i = 0; i < 3; i++) {
      assert.match((await client.command(`LOGIN ${USER} wrong${i}`)).tagged, /NO \[AUTHENTICATIONFAILED\]/);
    }
    assert.match((await client.command(`LOGIN ${USER} ${PASSWORD}`)).tagged, /NO \[UNAVAILABLE\]/);
    const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64");
    const second = await connect();
    assert.match((await second.command(`AUTHENTICATE PLAIN ${plain}`)).tagged, /NO \[UNAVAILABLE\]/);
    assert.equal(checks, 3, "the password is not looked at while the address is over its budget");
    t.clock.advance(60_001);
    assert.match((await client.command(`LOGIN ${USER} ${PASSWORD}`)).tagged, /OK/);
    assert.equal(checks, 4);
  });

  test("autologout: a connection silent for 30 minutes gets BYE and is closed", async () => {
    t = await startTestServer();
    const client = await connect();
    await client.login();
    t.clock.advance(29 * 60_000);
    assert.match((await client.command("NOOP")).tagged, /OK/, "traffic restarts the timer");
    t.clock.advance(29 * 60_000);
    assert.match((await client.command("NOOP")).tagged, /OK/);
    t.clock.advance(30 * 60_000);
    assert.equal(await client.readResponse(), "* BYE Autologout; idle for too long");
    await client.ended;
  });

  test("close() says BYE to every client and stops listening", async () => {
    t = await startTestServer();
    const a = await connect();
    const b = await connect();
    await b.login();
    const closing = t.server.close();
    assert.equal(await a.readResponse(), "* BYE Server shutting down");
    assert.equal(await b.readResponse(), "* BYE Server shutting down");
    await Promise.all([a.ended, b.ended, closing]);
    assert.equal(t.server.closed, true);
    await assert.rejects(WireClient.connect(t.port));
  });

  test("STARTTLS upgrades the connection and drops what the client pipelined behind it", async (c) => {
    if (!certificate)
      return missingPeer(c, "openssl", "apt-get install openssl (to make a test certificate)");
    t = await startTestServer({ tls: certificate, requireTls: true });
    const plain = await connect();
    assert.match(plain.greeting, /STARTTLS LOGINDISABLED\]/);
    assert.match((await plain.command(`LOGIN ${USER} ${PASSWORD}`)).tagged, /NO \[PRIVACYREQUIRED\]/);
    plain.write("A5 STARTTLS\r\nA6 LOGIN injected command\r\n");
    assert.equal(await plain.readResponse(), "A5 OK Begin TLS negotiation now");
    const secure = await plain.startTls();
    clients.push(secure);
    const { untagged } = await secure.command("CAPABILITY");
    assert.deepEqual(untagged, ["* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS UNSELECT AUTH=PLAIN"]);
    await secure.login();
    assert.match((await secure.command("STARTTLS")).tagged, /BAD/);
  });

  test("requireTls or an implicit-TLS port without a certificate is refused at construction", async () => {
    await assert.rejects(startTestServer({ requireTls: true }), { code: "IMAP_OPTIONS" });
    await assert.rejects(startTestServer({ implicitTlsPort: 0 }), { code: "IMAP_OPTIONS" });
  });

  test("STARTTLS without a certificate is refused", async () => {
    t = await startTestServer();
    const client = await connect();
    assert.ok(!client.greeting.includes("STARTTLS"));
    assert.match((await client.command("STARTTLS")).tagged, /NO/);
  });

  test("the implicit-TLS listener greets over TLS", async (c) => {
    if (!certificate)
      return missingPeer(c, "openssl", "apt-get install openssl (to make a test certificate)");
    t = await startTestServer({ tls: certificate, implicitTlsPort: 0, requireTls: true });
    const address = t.server.implicitTlsAddress;
    assert.ok(address);
    const client = await connect({ tls: true, port: address.port });
    assert.match(client.greeting, /AUTH=PLAIN\] Parley IMAP4rev1 ready$/);
    assert.ok(!client.greeting.includes("STARTTLS"));
    await client.login();
  });

  test("property: arbitrary bytes from a client never stop the server from serving others", async () => {
    const errors: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => void errors.push(line) });
    t = await startTestServer({ maxCommandBytes: 2048, logger });
    t.store.append(USER, "INBOX", simpleMessage("kept"));
    const server = t;
    const watcher = await connect();
    await watcher.login();
    await watcher.command("SELECT INBOX");
    const fragments = [
      "A1 ",
      "LOGIN ",
      `${USER} ${PASSWORD}`,
      "SELECT INBOX",
      "FETCH ",
      "1:* ",
      "(BODY[1.MIME]<0.5>)",
      "{5}\r\n",
      "{3+}\r\n",
      "\r\n",
      '"',
      "(",
      ")",
      "[",
      "]",
      "*",
      "IDLE",
      "DONE",
      "AUTHENTICATE PLAIN",
      "STORE 1 +FLAGS (\\Deleted)",
      "EXPUNGE",
      "UID ",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constantFrom(...fragments),
            fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString("latin1")),
          ),
          {
            maxLength: 30,
          },
        ),
        async (parts) => {
          const client = await WireClient.connect(server.port);
          // Three LOGOUTs: one may be eaten by a pending literal, one may end IDLE or AUTHENTICATE.
          client.write(Buffer.from(`${parts.join("")}\r\n${"Z1 LOGOUT\r\n".repeat(3)}`, "latin1"));
          await client.ended;
        },
      ),
      { numRuns: 40 },
    );
    assert.deepEqual(errors, [], "no handler failed with an unexpected exception");
    assert.match((await watcher.command("NOOP")).tagged, /OK/);
    const fresh = await connect();
    await fresh.login();
    assert.match((await fresh.command("SELECT INBOX")).tagged, /OK/);
  });
});
