import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { connect } from "node:net";
import { describe, test } from "node:test";
import { WebSocket } from "ws";
import { DigestClient, parseSipMessage, type SipResponse } from "../../../src/sip/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { memoryNode, startSipTestNode } from "../../support/sip-node.ts";

function options(via: string, callId: string): Buffer {
  return Buffer.from(
    [
      "OPTIONS sip:server.invalid SIP/2.0",
      `Via: ${via}`,
      "Max-Forwards: 70",
      "From: <sip:probe@client.invalid>;tag=t1",
      "To: <sip:server.invalid>",
      `Call-ID: ${callId}`,
      "CSeq: 1 OPTIONS",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"),
  );
}

async function startNode(env: Record<string, string>, clock?: FakeClock) {
  const node = memoryNode(env, clock);
  await node.start();
  return node;
}

/** Sends one datagram and waits (bounded) for the first answer. */
async function udpExchange(
  family: "udp4" | "udp6",
  host: string,
  port: number,
  data: (localPort: number) => Buffer,
) {
  const socket = createSocket(family);
  socket.bind(0, host);
  await once(socket, "listening");
  const answer = once(socket, "message").then(([msg]) => parseSipMessage(msg as Buffer) as SipResponse);
  socket.send(data(socket.address().port), port, host);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("no answer in 5 s")), 5000),
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    socket.close();
  }
}

describe("SIP transports", () => {
  test('listening on "::" answers over IPv6 and IPv4, UDP and TCP', async (t) => {
    const node = await startNode({ PARLEY_SIP_HOST: "::" });
    t.after(() => node.stop());
    const port = node.sipAddresses.udp?.port ?? 0;
    const v6 = await udpExchange("udp6", "::1", port, (p) =>
      options(`SIP/2.0/UDP [::1]:${p};branch=z9hG4bKv6`, "v6"),
    );
    assert.equal(v6.status, 200);
    const v4 = await udpExchange("udp4", "127.0.0.1", port, (p) =>
      options(`SIP/2.0/UDP 127.0.0.1:${p};branch=z9hG4bKv4`, "v4"),
    );
    assert.equal(v4.status, 200);
    const tcp = connect(node.sipAddresses.tcp?.port ?? 0, "::1");
    await once(tcp, "connect");
    tcp.write(options(`SIP/2.0/TCP [::1]:${tcp.localPort};branch=z9hG4bKtcp6`, "tcp6"));
    const [data] = await once(tcp, "data");
    assert.match(String(data), /^SIP\/2\.0 200 OK\r\n/);
    tcp.destroy();
  });

  test("a request whose Via names another host gets received and rport, and the answer goes to the source port (RFC 3581)", async (t) => {
    const node = await startNode({ PARLEY_SIP_HOST: "127.0.0.1" });
    t.after(() => node.stop());
    const answer = await udpExchange("udp4", "127.0.0.1", node.sipAddresses.udp?.port ?? 0, () =>
      options("SIP/2.0/UDP phone.invalid:5999;branch=z9hG4bKnat;rport", "nat"),
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.topVia.received, "127.0.0.1");
    assert.equal(typeof answer.topVia.rport, "number", "rport filled with the source port");
  });

  test("a TCP CRLF keep-alive ping gets a CRLF pong (RFC 5626 §3.5.1), and an idle connection is closed on the clock", async (t) => {
    const clock = new FakeClock();
    const node = await startNode({ PARLEY_SIP_HOST: "127.0.0.1", PARLEY_SIP_TCP_IDLE_TIMEOUT: "60" }, clock);
    t.after(() => node.stop());
    const socket = connect(node.sipAddresses.tcp?.port ?? 0, "127.0.0.1");
    await once(socket, "connect");
    socket.write("\r\n\r\n");
    const [pong] = await once(socket, "data");
    assert.equal(String(pong), "\r\n");
    const closed = once(socket, "close");
    clock.advance(30_000);
    assert.equal(socket.destroyed, false, "not idle long enough yet");
    clock.advance(60_000);
    await closed;
  });
});

describe("SIP connection limits", () => {
  test("connections beyond sip.max_connections are closed at once; the ones inside the limit still work", async (t) => {
    const node = await startNode({ PARLEY_SIP_HOST: "127.0.0.1", PARLEY_SIP_MAX_CONNECTIONS: "2" });
    t.after(() => node.stop());
    const port = node.sipAddresses.tcp?.port ?? 0;
    const open = async () => {
      const socket = connect(port, "127.0.0.1");
      await once(socket, "connect");
      return socket;
    };
    const [a, b] = [await open(), await open()];
    // Make sure the server has adopted both before the third arrives.
    for (const s of [a, b]) {
      s.write("\r\n\r\n");
      await once(s, "data");
    }
    const c = await open();
    await once(c, "close");
    a.write(options(`SIP/2.0/TCP 127.0.0.1:${a.localPort};branch=z9hG4bKlim`, "lim"));
    const [data] = await once(a, "data");
    assert.match(String(data), /^SIP\/2\.0 200 OK/);
    a.destroy();
    b.destroy();
  });
});

describe("SIP over WebSocket (RFC 7118)", () => {
  async function wsClient(port: number, protocol: string | undefined) {
    const socket = protocol
      ? new WebSocket(`ws://127.0.0.1:${port}`, protocol)
      : new WebSocket(`ws://127.0.0.1:${port}`);
    const messages: string[] = [];
    socket.on("message", (data) => messages.push(String(data)));
    return { socket, messages };
  }

  test("a browser-style client registers with SHA-256 digest over WS; the binding remembers the WS flow", async (t) => {
    const parley = await startSipTestNode(["1001"], { PARLEY_SIP_DIGEST_ALGORITHMS: "SHA-256,MD5" });
    t.after(() => parley.stop());
    const { socket, messages } = await wsClient(parley.node.sipAddresses.ws?.port ?? 0, "sip");
    await once(socket, "open");
    t.after(() => socket.close());
    const register = (cseq: number, authorization?: string) =>
      [
        "REGISTER sip:parley.test SIP/2.0",
        `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws${cseq}`,
        "Max-Forwards: 70",
        "From: <sip:1001@parley.test>;tag=ws1",
        "To: <sip:1001@parley.test>",
        "Call-ID: ws-call",
        `CSeq: ${cseq} REGISTER`,
        "Contact: <sip:1001@df7jal23ls0d.invalid;transport=ws>",
        ...(authorization ? [`Authorization: ${authorization}`] : []),
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
    const next = async () => {
      while (messages.length === 0) await once(socket, "message");
      return parseSipMessage(Buffer.from(messages.shift() as string)) as SipResponse;
    };
    socket.send(register(1));
    const challenge = await next();
    assert.equal(challenge.status, 401);
    const request = parseSipMessage(Buffer.from(register(2)));
    const authorization = new DigestClient({ username: "1001", password: "pw-1001" }).authorize(
      request as never,
      challenge.headers.lines("www-authenticate"),
    );
    assert.match(authorization ?? "", /algorithm=SHA-256/, "the client picked SHA-256 (RFC 8760)");
    socket.send(register(2, authorization));
    const ok = await next();
    assert.equal(ok.status, 200);
    const [binding] = parley.node.sip.location.lookup("sip:1001@parley.test");
    assert.equal(binding?.source.protocol, "ws");
    assert.match(binding?.source.flowId ?? "", /^ws-\d+$/);

    // A request to the registered browser goes back on its WebSocket flow (RFC 5626 §5.3).
    const path = await parley.node.sip.stack.transports.transportTo({
      protocol: "ws",
      address: binding?.source.address ?? "",
      port: binding?.source.port ?? 0,
      flowId: binding?.source.flowId ?? "",
    });
    const message = parseSipMessage(
      Buffer.from(
        [
          "MESSAGE sip:1001@df7jal23ls0d.invalid;transport=ws SIP/2.0",
          "Via: SIP/2.0/WS parley.invalid;branch=z9hG4bKmsg",
          "Max-Forwards: 70",
          "From: <sip:parley@parley.test>;tag=p",
          "To: <sip:1001@parley.test>",
          "Call-ID: to-browser",
          "CSeq: 1 MESSAGE",
          "Content-Length: 0",
          "",
          "",
        ].join("\r\n"),
      ),
    );
    path.send(message);
    while (messages.length === 0) await once(socket, "message");
    assert.match(messages.shift() ?? "", /^MESSAGE sip:1001@/);
  });

  test("a WebSocket handshake without the sip subprotocol is refused", async (t) => {
    const node = await startNode({ PARLEY_SIP_HOST: "127.0.0.1" });
    t.after(() => node.stop());
    const { socket } = await wsClient(node.sipAddresses.ws?.port ?? 0, undefined);
    const [code] = (await once(socket, "close")) as [number];
    assert.equal(code, 1002);
  });
});
