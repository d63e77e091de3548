import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../../../src/config/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { openDirectory, ParleyNode } from "../../../src/node/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { memoryNode } from "../../support/sip-node.ts";

/** A node on a SQLite file that already holds an admin token, so a test can reach /api/v1. */
async function nodeWithToken(clock: FakeClock) {
  const dir = mkdtempSync(join(tmpdir(), "parley-node-"));
  const { config } = loadConfig({
    env: {
      PARLEY_DATA_DIR: dir,
      PARLEY_HTTP_PORT: "0",
      PARLEY_SIP_PORT: "0",
      PARLEY_IMAP_PORT: "0",
      PARLEY_IMAP_HOST: "127.0.0.1",
      PARLEY_SMTP_PORT: "0",
      PARLEY_SMTP_HOST: "127.0.0.1",
      PARLEY_SIP_WS_PORT: "0",
      PARLEY_SHUTDOWN_TIMEOUT: "3",
    },
  });
  const opened = await openDirectory(config, { logger: silentLogger(), clock });
  const { secret } = await opened.tokens.issue({ name: "test", admin: true });
  await opened.database.close();
  const lines: Array<{ msg?: string; req?: { method?: string } }> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { node: new ParleyNode({ config, logger, clock }), secret, lines };
}

/**
 * Sends an authenticated request whose body never finishes, so the server holds a request in
 * flight (waiting for the body) until the connection is closed.
 */
async function halfRequest(port: number, secret: string) {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  socket.write(
    `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
  );
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  return { socket, closed };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ParleyNode", () => {
  test("stop() with nothing in flight finishes without waiting for the grace timer", async () => {
    const clock = new FakeClock();
    const node = memoryNode({ PARLEY_SHUTDOWN_TIMEOUT: "3" }, clock);
    await node.start();
    assert.equal(node.state, "Running");
    assert.equal(node.media.portsInUse, 0, "the media engine opens no port until a call asks");
    await node.stop();
    assert.equal(node.state, "Stopped");
    assert.equal(clock.pendingTimers, 0, "the grace timer is cancelled");
    await node.stop();
    assert.equal(node.state, "Stopped", "a second stop() does nothing");
  });

  test("stop() waits for a request in flight until shutdown_timeout, then closes its connection", async () => {
    const clock = new FakeClock();
    const { node, secret, lines } = await nodeWithToken(clock);
    await node.start();
    const { closed } = await halfRequest(node.httpAddress.port, secret);
    // The server logs "incoming request" once it has routed the headers; from then on the
    // request is in flight, waiting for its body.
    while (!lines.some((l) => l.msg === "incoming request" && l.req?.method === "POST")) await settle();
    let stopped = false;
    const stopping = node.stop().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 20; i++) await settle();
    assert.equal(stopped, false, "the node waits for the request in flight");
    assert.equal(node.state, "Stopping");
    clock.advance(2_999);
    for (let i = 0; i < 20; i++) await settle();
    assert.equal(stopped, false, "still inside the 3 s grace");
    clock.advance(1);
    await stopping;
    await closed;
    assert.equal(node.state, "Stopped");
  });

  test("start() on a port in use fails with NODE_LISTEN_FAILED and leaves the node stopped", async () => {
    const clock = new FakeClock();
    const first = memoryNode({ PARLEY_SHUTDOWN_TIMEOUT: "3" }, clock);
    await first.start();
    const { config } = loadConfig({
      env: {
        PARLEY_DATABASE_URL: "sqlite::memory:",
        PARLEY_HTTP_PORT: String(first.httpAddress.port),
        PARLEY_SIP_PORT: "0",
        PARLEY_IMAP_PORT: "0",
        PARLEY_IMAP_HOST: "127.0.0.1",
        PARLEY_SMTP_PORT: "0",
        PARLEY_SMTP_HOST: "127.0.0.1",
        PARLEY_SIP_WS_PORT: "0",
      },
    });
    const second = new ParleyNode({ config, logger: silentLogger(), clock });
    await assert.rejects(
      second.start(),
      (e: unknown) => (e as { code?: string }).code === "NODE_LISTEN_FAILED",
    );
    assert.equal(second.state, "Stopped");
    await first.stop();
  });
});
