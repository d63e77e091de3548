import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { describe, test } from "node:test";
import { SystemClock } from "../../../../src/kernel/clock.ts";
import { silentLogger } from "../../../../src/kernel/log.ts";
import {
  decodeMulaw,
  encodeMulaw,
  PortAllocator,
  RtpPacket,
  RtpSession,
  RtpSocket,
} from "../../../../src/media/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import { dominantTone, sineFrame } from "../../../support/tone-probe.ts";

const allocator = new PortAllocator({ min: 40000 + Math.floor(Math.random() * 5000) * 2, max: 59999 });

async function session(clock: FakeClock | SystemClock = new SystemClock(), timeoutMs = 0) {
  const socket = await RtpSocket.open({ address: "127.0.0.1", allocator, logger: silentLogger() });
  return new RtpSession({ socket, clock, logger: silentLogger(), timeoutMs, relatchAfterMs: 2000 });
}

/** The next `latched` event of a session. */
function nextLatch(s: RtpSession): Promise<{ address: string; port: number }> {
  return new Promise((resolve) => s.once("latched", resolve));
}

/** Waits until `count` packets arrived (bounded, so a lost test fails instead of hanging). */
function collect(s: RtpSession, count: number): Promise<RtpPacket[]> {
  const got: RtpPacket[] = [];
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`only ${got.length}/${count} packets arrived`)), 5000);
    s.on("packet", (p) => {
      got.push(p);
      if (got.length === count) {
        clearTimeout(guard);
        resolve(got);
      }
    });
  });
}

describe("PortAllocator", () => {
  test("hands out even ports round-robin, never twice, and reports exhaustion", () => {
    const ports = new PortAllocator({ min: 10001, max: 10008 });
    assert.equal(ports.capacity, 3);
    const taken = [ports.allocate(), ports.allocate(), ports.allocate()];
    assert.deepEqual(taken, [10002, 10004, 10006]);
    assert.throws(
      () => ports.allocate(),
      (e: unknown) => (e as { code?: string }).code === "MEDIA_PORTS_EXHAUSTED",
    );
    ports.release(10004);
    assert.equal(ports.allocate(), 10004);
  });
});

describe("RtpSession (RFC 3550)", () => {
  test("a 1 kHz tone sent as PCMU arrives in order, decodable, with continuous sequence numbers", async (t) => {
    const a = await session();
    const b = await session();
    t.after(() => {
      a.close();
      b.close();
    });
    a.setRemote({ address: "127.0.0.1", port: b.port });
    const arriving = collect(b, 25);
    for (let i = 0; i < 25; i++)
      a.send(encodeMulaw(sineFrame(1000, 8000, 160, 0.5, i * 160 * ((2 * Math.PI * 1000) / 8000))), {
        payloadType: 0,
      });
    const packets = await arriving;
    for (let i = 1; i < packets.length; i++) {
      assert.equal(packets[i]?.sequenceNumber, ((packets[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff);
      assert.equal(packets[i]?.timestamp, ((packets[i - 1]?.timestamp ?? 0) + 160) >>> 0);
      assert.equal(packets[i]?.ssrc, a.ssrc);
    }
    const pcm = decodeMulaw(packets[10]?.payload ?? new Uint8Array());
    assert.equal(dominantTone(pcm, 8000, [1000, 2000]).frequency, 1000);
  });

  test("latches onto the real source of a NATed peer and answers there; other sources are refused", async (t) => {
    const clock = new FakeClock();
    const a = await session();
    const b = await session(clock);
    const intruder = createSocket("udp4");
    intruder.bind(0, "127.0.0.1");
    await once(intruder, "listening");
    t.after(() => {
      a.close();
      b.close();
      intruder.close();
    });
    // The SDP of A names an address nothing listens on (a private address behind NAT).
    b.setRemote({ address: "127.0.0.1", port: 9 });
    a.setRemote({ address: "127.0.0.1", port: b.port });
    const latched = nextLatch(b);
    const first = collect(b, 1);
    a.send(new Uint8Array(160), { payloadType: 0 });
    await first;
    assert.deepEqual(await latched, { address: "127.0.0.1", port: a.port });
    const back = collect(a, 1);
    b.send(new Uint8Array(160).fill(0xff), { payloadType: 0 });
    assert.equal((await back)[0]?.ssrc, b.ssrc, "B answers the latched source, not the SDP address");

    const bogus = new RtpPacket({
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 1,
      ssrc: 7,
      payload: new Uint8Array(160),
    });
    intruder.send(bogus.serialize(), b.port, "127.0.0.1");
    for (let i = 0; i < 500 && b.stats.foreign === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(b.stats.foreign, 1, "the intruder's packet was dropped");
    assert.equal(b.remote?.port, a.port);

    clock.advance(2500);
    const taken = nextLatch(b);
    intruder.send(bogus.serialize(), b.port, "127.0.0.1");
    assert.equal(
      (await taken).port,
      intruder.address().port,
      "after 2 s of silence a new source may take over",
    );
  });

  test("forward() rewrites SSRC, sequence and timestamp so a change of source is seamless, with the marker set", async (t) => {
    const relay = await session();
    const listener = await session();
    t.after(() => {
      relay.close();
      listener.close();
    });
    relay.setRemote({ address: "127.0.0.1", port: listener.port });
    const arriving = collect(listener, 6);
    const from = (ssrc: number, seq: number, ts: number) =>
      new RtpPacket({
        payloadType: 8,
        sequenceNumber: seq,
        timestamp: ts,
        ssrc,
        payload: new Uint8Array(160),
      });
    relay.forward(from(111, 65534, 4294967000));
    relay.forward(from(111, 65535, 4294967160));
    relay.forward(from(111, 0, 24));
    relay.forward(from(222, 500, 90000));
    relay.forward(from(222, 501, 90160));
    relay.forward(from(222, 502, 90320));
    const out = await arriving;
    assert.ok(out.every((p) => p.ssrc === relay.ssrc));
    for (let i = 1; i < out.length; i++) {
      assert.equal(out[i]?.sequenceNumber, ((out[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff);
      assert.equal(out[i]?.timestamp, ((out[i - 1]?.timestamp ?? 0) + 160) >>> 0);
    }
    assert.deepEqual(
      out.map((p) => p.marker),
      [true, false, false, true, false, false],
    );
  });

  test("no packets for timeoutMs raises timeout once; a packet clears it", async (t) => {
    const clock = new FakeClock();
    const s = await session(clock, 5000);
    t.after(() => s.close());
    let timeouts = 0;
    s.on("timeout", () => {
      timeouts += 1;
    });
    clock.advance(4000);
    assert.equal(timeouts, 0);
    clock.advance(1500);
    assert.equal(timeouts, 1);
    clock.advance(10_000);
    assert.equal(timeouts, 1, "raised once until packets come back");
  });
});
