import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { ParleyNode } from "../../../src/node/index.ts";
import { StreamFramer } from "../../../src/sip/index.ts";
import { memoryNode } from "../../support/sip-node.ts";

interface Expectation {
  file: string;
  outcome: "answered" | "rejected" | "dropped";
  status?: number;
  reasonIncludes?: string;
  note: string;
  transport: "udp" | "tcp";
  responses?: number;
}

const DIR = new URL("../../fixtures/sip/", import.meta.url);
const EXPECTATIONS = JSON.parse(readFileSync(new URL("expectations.json", DIR), "utf8")) as Expectation[];

/** A response as the test reads it: by regex, since a 400 may echo the request's broken headers. */
interface Answer {
  status: number;
  reason: string;
  callId: string | undefined;
  startLine: string;
}

function readAnswer(data: Buffer): Answer | undefined {
  const text = data.toString("latin1");
  const line = /^SIP\/2\.0 (\d{3}) ([^\r\n]*)/.exec(text);
  if (!line) return undefined;
  const callId = /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(text)?.[1]?.trim();
  return { status: Number(line[1]), reason: line[2] ?? "", callId, startLine: line[0] };
}

function fill(file: string, values: Record<string, string>): Buffer {
  let text = readFileSync(new URL(file, DIR)).toString("latin1");
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{{${name}}}`, value);
  return Buffer.from(text, "latin1");
}

describe("malformed and tricky SIP messages (test/fixtures/sip)", () => {
  let node: ParleyNode;
  const udp = createSocket("udp4");
  const inbox: Answer[] = [];
  let waiters: Array<() => void> = [];
  let server = { host: "127.0.0.1", port: 0 };

  before(async () => {
    node = memoryNode({ PARLEY_SIP_HOST: "127.0.0.1" });
    await node.start();
    server = { host: "127.0.0.1", port: node.sipAddresses.udp?.port ?? 0 };
    udp.bind(0, "127.0.0.1");
    await once(udp, "listening");
    udp.on("message", (data) => {
      const answer = readAnswer(data);
      if (answer) inbox.push(answer);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  after(async () => {
    udp.close();
    await node.stop();
  });

  /** Sends an OPTIONS over UDP and waits for its 200; every earlier UDP answer has arrived by then. */
  async function probe(): Promise<void> {
    const callId = `probe-${randomUUID()}`;
    const message = fill("01-baseline-options.sip", {
      local_host: "127.0.0.1",
      local_port: String(udp.address().port),
      server_host: server.host,
      server_port: String(server.port),
      call_id: callId,
    });
    const branched = Buffer.from(
      message.toString("latin1").replace(/branch=[^;\r\n]+/, `branch=z9hG4bK${callId}`),
      "latin1",
    );
    udp.send(branched, server.port, server.host);
    for (;;) {
      const answer = inbox.find((r) => r.callId === callId);
      if (answer) {
        inbox.splice(inbox.indexOf(answer), 1);
        assert.equal(answer.status, 200, "the server still answers OPTIONS");
        return;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  async function sendUdp(e: Expectation): Promise<Answer[]> {
    inbox.length = 0;
    waiters = [];
    const data = fill(e.file, {
      local_host: "127.0.0.1",
      local_port: String(udp.address().port),
      server_host: server.host,
      server_port: String(server.port),
      call_id: `fx-${randomUUID()}`,
    });
    udp.send(data, server.port, server.host);
    await probe();
    return inbox.splice(0);
  }

  async function sendTcp(e: Expectation): Promise<Answer[]> {
    const socket = connect(node.sipAddresses.tcp?.port ?? 0, "127.0.0.1");
    await once(socket, "connect");
    const framer = new StreamFramer(1 << 20);
    const answers: Answer[] = [];
    const expected = e.outcome === "dropped" ? 0 : (e.responses ?? 1);
    let wake: () => void = () => {};
    socket.on("data", (chunk: Buffer) => {
      for (const framed of framer.push(chunk)) {
        const answer = framed.kind === "message" ? readAnswer(framed.data) : undefined;
        if (answer) answers.push(answer);
      }
      if (answers.filter((a) => a.status >= 200).length >= expected) wake();
    });
    socket.on("error", () => {});
    const closed = once(socket, "close");
    const data = fill(e.file, {
      local_host: "127.0.0.1",
      local_port: String(socket.localPort),
      server_host: server.host,
      server_port: String(node.sipAddresses.tcp?.port),
      call_id: `fx-${randomUUID()}`,
    });
    if (expected > 0) {
      const enough = new Promise<void>((resolve) => {
        wake = resolve;
      });
      socket.write(data);
      await Promise.race([enough, closed]);
    } else {
      socket.write(data);
    }
    socket.end();
    await closed;
    return answers;
  }

  test("there are at least 40 fixtures and each has an expectation", () => {
    assert.ok(EXPECTATIONS.length >= 40, `${EXPECTATIONS.length} fixtures`);
  });

  for (const e of EXPECTATIONS) {
    const label =
      e.outcome === "dropped"
        ? "is dropped"
        : `gets ${e.status}${e.reasonIncludes ? ` (${e.reasonIncludes})` : ""}`;
    test(`${e.file} over ${e.transport.toUpperCase()} ${label}, and OPTIONS is answered after it`, async () => {
      const answers = (e.transport === "udp" ? await sendUdp(e) : await sendTcp(e)).filter(
        (r) => r.status >= 200,
      );
      if (e.outcome === "dropped") {
        assert.deepEqual(
          answers.map((a) => `${a.status} ${a.reason}`),
          [],
          e.note,
        );
      } else {
        assert.equal(
          answers.length,
          e.responses ?? 1,
          `${e.note}\nanswers: ${answers.map((a) => a.startLine).join(" | ")}`,
        );
        for (const answer of answers) {
          assert.equal(answer.status, e.status, `${e.note}\ngot: ${answer.startLine}`);
          if (e.reasonIncludes)
            assert.ok(
              answer.reason.toLowerCase().includes(e.reasonIncludes),
              `reason "${answer.reason}" should mention ${e.reasonIncludes}`,
            );
        }
      }
      await probe();
    });
  }
});
