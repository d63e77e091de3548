#!/usr/bin/env node
// The media bench's load generator: plays both phones of N relayed calls (a separate process, so
// its CPU is measured apart from the relay's). Driven over stdin/stdout by run.mjs:
//
//   1. binds 2N UDP sockets on 127.0.0.1 and prints {"phones": [[portA, portB], ...]}
//   2. reads {"relays": [[relayA, relayB], ...]}: the relay port phone A talks to, phone B talks to
//      (each phone socket is connected to its relay port: it sends there and only hears from there)
//   3. prints {"sending": true}, then every 20 ms sends one 172-byte PCMU RTP packet (12-byte header
//      + 160-byte payload) from every phone, both directions; the calls are split into slices
//      spread evenly across the 20 ms tick instead of one burst
//   4. after the send time plus a drain period prints {"result": {...}} and exits
//
// Every payload carries the sender's tick number and send time (performance.now()), so the
// receiver measures one-way transit through the relay. Jitter is RFC 3550 §6.4.1 style on transit
// times (|D| between consecutive packets of a stream, where D = change in transit); since the
// send time is stamped at the real send, the generator's own timer lateness is not counted as
// jitter (it is reported separately as "lag").
//
// Usage: node load.mjs <calls> <seconds> [slices]
import dgram from "node:dgram";
import { createInterface } from "node:readline";

const CALLS = Number(process.argv[2]);
const SECONDS = Number(process.argv[3]);
const SLICES = Math.max(1, Math.min(CALLS, Number(process.argv[4] ?? 4)));
const HOST = "127.0.0.1";
const PTIME_MS = 20;
const PAYLOAD_BYTES = 160;
const PACKET_BYTES = 12 + PAYLOAD_BYTES;
const DRAIN_MS = 600;
if (!(CALLS > 0 && SECONDS > 0)) {
  process.stderr.write("usage: node load.mjs <calls> <seconds> [slices]\n");
  process.exit(2);
}

function out(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** One phone: a socket, its preallocated outgoing packet, and stats of the stream it receives. */
class Phone {
  constructor(ssrc) {
    this.socket = dgram.createSocket({ type: "udp4", recvBufferSize: 1 << 18, sendBufferSize: 1 << 18 });
    this.packet = Buffer.alloc(PACKET_BYTES, 0xff); // 0xff: PCMU silence
    this.packet[0] = 0x80; // V=2
    this.packet[1] = 0; // PT 0 (PCMU)
    this.packet.writeUInt32BE(ssrc >>> 0, 8);
    this.seq = ssrc & 0xffff;
    this.ts = (ssrc * 7) >>> 0;
    this.sent = 0;
    this.received = 0;
    this.lastTick = -1;
    this.outOfOrder = 0;
    this.prevTransit = Number.NaN;
    this.jitter = 0; // RFC 3550 running estimate (ms)
    this.absDSum = 0; // sum of |D| (ms)
    this.absDCount = 0;
    this.maxAbsD = 0;
    this.transitSum = 0;
    this.maxTransit = 0;
    this.socket.on("message", (msg) => this.receive(msg));
    this.socket.on("error", () => {});
  }

  bind() {
    return new Promise((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.bind(0, HOST, () => {
        this.socket.off("error", reject);
        resolve(this.socket.address().port);
      });
    });
  }

  connect(port) {
    return new Promise((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.connect(port, HOST, () => {
        this.socket.off("error", reject);
        resolve();
      });
    });
  }

  send(tick, now) {
    const p = this.packet;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 160) >>> 0;
    p.writeUInt16BE(this.seq, 2);
    p.writeUInt32BE(this.ts, 4);
    p.writeUInt32BE(tick, 12);
    p.writeDoubleBE(now, 16);
    // Reusing the buffer is safe: dgram copies into the kernel synchronously when it can, and the
    // next write to this buffer is one ptime (20 ms) later.
    this.socket.send(p);
    this.sent += 1;
  }

  receive(msg) {
    const now = performance.now();
    if (msg.length < 24) return;
    const tick = msg.readUInt32BE(12);
    const sentAt = msg.readDoubleBE(16);
    this.received += 1;
    if (tick <= this.lastTick) this.outOfOrder += 1;
    else this.lastTick = tick;
    const transit = now - sentAt;
    this.transitSum += transit;
    if (transit > this.maxTransit) this.maxTransit = transit;
    if (!Number.isNaN(this.prevTransit)) {
      const d = Math.abs(transit - this.prevTransit);
      this.jitter += (d - this.jitter) / 16;
      this.absDSum += d;
      this.absDCount += 1;
      if (d > this.maxAbsD) this.maxAbsD = d;
    }
    this.prevTransit = transit;
  }
}

const calls = [];
for (let i = 0; i < CALLS; i++) {
  calls.push([new Phone(0x10000000 + i * 2), new Phone(0x10000001 + i * 2)]);
}
const phonePorts = [];
for (const [a, b] of calls) phonePorts.push([await a.bind(), await b.bind()]);
out({ phones: phonePorts, pid: process.pid });

const lines = createInterface({ input: process.stdin });
const relays = await new Promise((resolve, reject) => {
  lines.once("line", (line) => {
    try {
      resolve(JSON.parse(line).relays);
    } catch (error) {
      reject(error);
    }
  });
  lines.once("close", () => reject(new Error("stdin closed before relays")));
});
if (!Array.isArray(relays) || relays.length !== CALLS) throw new Error("relays: wrong length");
for (let i = 0; i < CALLS; i++) {
  await calls[i][0].connect(relays[i][0]);
  await calls[i][1].connect(relays[i][1]);
}

// Slice s holds calls [bounds[s], bounds[s+1]); it sends at tick start + s * (ptime / slices).
const bounds = [];
for (let s = 0; s <= SLICES; s++) bounds.push(Math.round((s * CALLS) / SLICES));
const SUB_MS = PTIME_MS / SLICES;
const TICKS = Math.round((SECONDS * 1000) / PTIME_MS);
const TOTAL_SUBS = TICKS * SLICES;
const t0 = performance.now() + 20;
let sub = 0;
let lagSum = 0;
let lagMax = 0;

out({ sending: true });
await new Promise((resolve) => {
  const step = () => {
    let now = performance.now();
    while (sub < TOTAL_SUBS && t0 + sub * SUB_MS <= now) {
      const lag = now - (t0 + sub * SUB_MS);
      lagSum += lag;
      if (lag > lagMax) lagMax = lag;
      const slice = sub % SLICES;
      const tick = Math.floor(sub / SLICES);
      for (let i = bounds[slice]; i < bounds[slice + 1]; i++) {
        const [a, b] = calls[i];
        now = performance.now();
        a.send(tick, now);
        b.send(tick, now);
      }
      sub += 1;
      now = performance.now();
    }
    if (sub >= TOTAL_SUBS) {
      resolve();
      return;
    }
    setTimeout(step, Math.max(0, t0 + sub * SUB_MS - performance.now()));
  };
  setTimeout(step, Math.max(0, t0 - performance.now()));
});
const sendEnd = performance.now();
out({ sent: true });
await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));

let sent = 0;
let received = 0;
let outOfOrder = 0;
let absDSum = 0;
let absDCount = 0;
let maxAbsD = 0;
let jitterSum = 0;
let jitterMax = 0;
let transitSum = 0;
let maxTransit = 0;
let worstLoss = 0;
let deadStreams = 0;
for (const [a, b] of calls) {
  // a receives what b sent, and vice versa.
  for (const [rx, tx] of [
    [a, b],
    [b, a],
  ]) {
    sent += tx.sent;
    received += rx.received;
    outOfOrder += rx.outOfOrder;
    absDSum += rx.absDSum;
    absDCount += rx.absDCount;
    if (rx.maxAbsD > maxAbsD) maxAbsD = rx.maxAbsD;
    jitterSum += rx.jitter;
    if (rx.jitter > jitterMax) jitterMax = rx.jitter;
    transitSum += rx.transitSum;
    if (rx.maxTransit > maxTransit) maxTransit = rx.maxTransit;
    const loss = tx.sent > 0 ? 1 - rx.received / tx.sent : 0;
    if (loss > worstLoss) worstLoss = loss;
    if (rx.received === 0) deadStreams += 1;
  }
}
const round = (x, digits = 3) => Number(x.toFixed(digits));
out({
  result: {
    calls: CALLS,
    streams: CALLS * 2,
    seconds: SECONDS,
    slices: SLICES,
    sendSeconds: round((sendEnd - t0) / 1000),
    sent,
    received,
    lossPct: round(sent > 0 ? (100 * Math.max(0, sent - received)) / sent : 0, 4),
    worstStreamLossPct: round(100 * Math.max(0, worstLoss), 3),
    deadStreams,
    outOfOrder,
    jitterMs: round(absDCount > 0 ? absDSum / absDCount : 0), // mean |D| over every packet pair
    rfc3550JitterMeanMs: round(jitterSum / (CALLS * 2)), // the RFC's running estimate at the end
    rfc3550JitterMaxMs: round(jitterMax),
    maxAbsDMs: round(maxAbsD),
    transitMeanMs: round(received > 0 ? transitSum / received : 0),
    transitMaxMs: round(maxTransit),
    senderLagMeanMs: round(lagSum / Math.max(1, sub)),
    senderLagMaxMs: round(lagMax),
  },
});
for (const [a, b] of calls) {
  a.socket.close();
  b.socket.close();
}
lines.close();
process.exit(0);
