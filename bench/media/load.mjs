#!/usr/bin/env node
// The media bench's load generator: plays every phone of the load (a separate process, so its CPU
// is measured apart from the server's). Phones come in groups: a group of 2 is one relayed call
// (each phone hears the other), a group of 10 is one conference room (each phone hears the mix of
// the other nine). Driven over stdin/stdout by run.mjs:
//
//   1. binds one UDP socket per phone on 127.0.0.1 and prints {"groups": [[port, ...], ...]}
//   2. reads {"relays": [[port, ...], ...]}: for every phone, the server port it talks to (each
//      phone socket is connected to its server port: it sends there and only hears from there)
//   3. prints {"sending": true}, then every 20 ms sends one 172-byte PCMU RTP packet (12-byte
//      header + 160-byte payload) from every phone; the phones are split into slices spread
//      evenly across the 20 ms tick instead of one burst
//   4. prints {"sent": true} when the last packet is out, then after a drain period
//      {"result": {...}} and exits
//
// Pairs (relay, recording): every payload carries the sender's tick number and send time
// (performance.now()) in its first 12 octets, and a constant level after them (so a recording of
// it shows which frames arrived), so the receiver measures one-way transit through the server. Loss is
// packets sent vs packets received; jitter is RFC 3550 §6.4.1 style on transit times (|D| between
// consecutive packets of a stream, D = change in transit). Since the send time is stamped at the
// real send, the generator's own timer lateness is not counted as jitter (it is reported
// separately as "sender lag").
//
// Conference: the server sends each phone its own mixed stream, so nothing of the sender survives
// in it. Every phone sends the same constant PCMU level (code 198, linear 1500), so a mixed packet
// that decodes to k × 1500 carries k voices; a phone of a 10-party room should hear 9. Counted over
// the window [start + 200 ms, start + seconds] by arrival time: expected packets = window / 20 ms
// per phone, and the loss is the share of expected voices not heard (a lost or never-sent mix
// packet loses 9, a participant's packet that missed its mixer tick loses 1). Jitter is RFC 3550
// §6.4.1 on the mixed stream itself: D = arrival difference − RTP timestamp difference.
//
// Usage: node load.mjs <pairs|conference> <phones> <seconds> [slices] [group size]
import dgram from "node:dgram";
import { createInterface } from "node:readline";

const MODE = process.argv[2];
const PHONES = Number(process.argv[3]);
const SECONDS = Number(process.argv[4]);
const SLICES = Math.max(1, Math.min(PHONES, Number(process.argv[5] ?? 4)));
const GROUP = MODE === "pairs" ? 2 : Number(process.argv[6] ?? 10);
const HOST = "127.0.0.1";
const PTIME_MS = 20;
const PAYLOAD_BYTES = 160;
const PACKET_BYTES = 12 + PAYLOAD_BYTES;
const DRAIN_MS = 600;
const WARMUP_MS = 200;
/** Conference: the PCMU code every phone sends, and its linear value (G.711 µ-law). */
const LEVEL_CODE = 198;
const LEVEL = ulawDecode(LEVEL_CODE);
if (!((MODE === "pairs" || MODE === "conference") && PHONES > 0 && SECONDS > 0 && GROUP >= 2)) {
  process.stderr.write("usage: node load.mjs <pairs|conference> <phones> <seconds> [slices] [group size]\n");
  process.exit(2);
}
if (PHONES % GROUP !== 0) {
  process.stderr.write(`load.mjs: ${PHONES} phones is not a whole number of groups of ${GROUP}\n`);
  process.exit(2);
}

function out(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** G.711 µ-law code → 16-bit linear (the standard table; alawmulaw's decoder agrees). */
function ulawDecode(code) {
  const u = ~code & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

let t0 = Number.POSITIVE_INFINITY; // first tick of sending (performance.now() time)
let windowStart = Number.POSITIVE_INFINITY;
let windowEnd = Number.POSITIVE_INFINITY;

/** One phone: a socket, its preallocated outgoing packet, and stats of the stream it receives. */
class Phone {
  constructor(ssrc, others) {
    this.others = others; // how many other phones this one should hear
    this.socket = dgram.createSocket({ type: "udp4", recvBufferSize: 1 << 18, sendBufferSize: 1 << 18 });
    // A constant, audible level: the conference counts voices by it, a recording shows it per frame.
    this.packet = Buffer.alloc(PACKET_BYTES, LEVEL_CODE);
    this.packet[0] = 0x80; // V=2
    this.packet[1] = 0; // PT 0 (PCMU)
    this.packet.writeUInt32BE(ssrc >>> 0, 8);
    this.seq = ssrc & 0xffff;
    this.ts = (ssrc * 7) >>> 0;
    this.sent = 0;
    this.received = 0;
    this.lastTick = -1;
    this.outOfOrder = 0;
    this.prev = Number.NaN; // pairs: previous transit; conference: previous arrival − RTP time
    this.jitter = 0; // RFC 3550 running estimate (ms)
    this.absDSum = 0; // sum of |D| (ms)
    this.absDCount = 0;
    this.maxAbsD = 0;
    this.transitSum = 0;
    this.maxTransit = 0;
    this.voices = 0; // conference: voices heard in the window
    this.rtpTime = 0; // conference: RTP timestamps unwrapped, ms
    this.lastTs = -1;
    this.socket.on(
      "message",
      MODE === "pairs" ? (msg) => this.receivePair(msg) : (msg) => this.receiveMix(msg),
    );
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
    if (MODE === "pairs") {
      p.writeUInt32BE(tick, 12);
      p.writeDoubleBE(now, 16);
    }
    // Reusing the buffer is safe: dgram copies into the kernel synchronously when it can, and the
    // next write to this buffer is one ptime (20 ms) later.
    this.socket.send(p);
    this.sent += 1;
  }

  receivePair(msg) {
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
    this.#variation(transit);
  }

  receiveMix(msg) {
    const now = performance.now();
    if (msg.length < 12 + PAYLOAD_BYTES || now < windowStart || now > windowEnd) return;
    const ts = msg.readUInt32BE(4);
    this.rtpTime += this.lastTs < 0 ? 0 : ((ts - this.lastTs) | 0) / 8; // 8 kHz clock
    this.lastTs = ts;
    this.received += 1;
    // The mix of k constant voices decodes to about k × LEVEL (the µ-law step is under LEVEL / 2).
    const heard = Math.round(ulawDecode(msg[msg.length - 1]) / LEVEL);
    this.voices += Math.max(0, Math.min(this.others, heard));
    this.#variation(now - this.rtpTime);
  }

  #variation(transit) {
    if (!Number.isNaN(this.prev)) {
      const d = Math.abs(transit - this.prev);
      this.jitter += (d - this.jitter) / 16;
      this.absDSum += d;
      this.absDCount += 1;
      if (d > this.maxAbsD) this.maxAbsD = d;
    }
    this.prev = transit;
  }
}

const groups = [];
for (let g = 0; g < PHONES / GROUP; g++) {
  const group = [];
  for (let j = 0; j < GROUP; j++) group.push(new Phone(0x10000000 + g * GROUP + j, GROUP - 1));
  groups.push(group);
}
const phones = groups.flat();
const ports = [];
for (const group of groups) {
  const row = [];
  for (const phone of group) row.push(await phone.bind());
  ports.push(row);
}
out({ groups: ports, pid: process.pid });

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
if (!Array.isArray(relays) || relays.length !== groups.length) throw new Error("relays: wrong length");
for (let g = 0; g < groups.length; g++) {
  for (let j = 0; j < GROUP; j++) await groups[g][j].connect(relays[g][j]);
}

// Slice s holds phones [bounds[s], bounds[s+1]); it sends at tick start + s * (ptime / slices).
// Both phones of a call are in the same slice, as before (phones are in group order).
const bounds = [];
for (let s = 0; s <= SLICES; s++) bounds.push(Math.round((s * PHONES) / SLICES));
const SUB_MS = PTIME_MS / SLICES;
const TICKS = Math.round((SECONDS * 1000) / PTIME_MS);
const TOTAL_SUBS = TICKS * SLICES;
t0 = performance.now() + 20;
windowStart = t0 + WARMUP_MS;
windowEnd = t0 + SECONDS * 1000;
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
        phones[i].send(tick, performance.now());
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
let expected = 0; // pairs: packets sent to this phone's stream; conference: mix packets due in the window
let voices = 0;
let voicesExpected = 0;
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
const windowPackets = (windowEnd - windowStart) / PTIME_MS;
for (const group of groups) {
  for (let j = 0; j < group.length; j++) {
    const rx = group[j];
    sent += rx.sent;
    // Pairs: phone j hears its partner; conference: phone j hears the mix.
    const due = MODE === "pairs" ? group[1 - j].sent : windowPackets;
    expected += due;
    received += rx.received;
    voices += rx.voices;
    voicesExpected += windowPackets * rx.others;
    outOfOrder += rx.outOfOrder;
    absDSum += rx.absDSum;
    absDCount += rx.absDCount;
    if (rx.maxAbsD > maxAbsD) maxAbsD = rx.maxAbsD;
    jitterSum += rx.jitter;
    if (rx.jitter > jitterMax) jitterMax = rx.jitter;
    transitSum += rx.transitSum;
    if (rx.maxTransit > maxTransit) maxTransit = rx.maxTransit;
    const loss =
      MODE === "pairs" ? (due > 0 ? 1 - rx.received / due : 0) : 1 - rx.voices / (windowPackets * rx.others);
    if (loss > worstLoss) worstLoss = loss;
    if (rx.received === 0) deadStreams += 1;
  }
}
const round = (x, digits = 3) => Number(x.toFixed(digits));
const packetLoss = expected > 0 ? Math.max(0, expected - received) / expected : 0;
const voiceLoss = voicesExpected > 0 ? Math.max(0, voicesExpected - voices) / voicesExpected : 0;
out({
  result: {
    mode: MODE,
    phones: PHONES,
    groupSize: GROUP,
    streams: PHONES,
    seconds: SECONDS,
    slices: SLICES,
    sendSeconds: round((sendEnd - t0) / 1000),
    sent,
    received,
    // The held criterion: packets lost (pairs) or voices not heard (conference).
    lossPct: round(100 * (MODE === "pairs" ? packetLoss : voiceLoss), 4),
    packetLossPct: round(100 * packetLoss, 4),
    worstStreamLossPct: round(100 * Math.max(0, worstLoss), 3),
    deadStreams,
    outOfOrder,
    jitterMs: round(absDCount > 0 ? absDSum / absDCount : 0), // mean |D| over every packet pair
    rfc3550JitterMeanMs: round(jitterSum / PHONES), // the RFC's running estimate at the end
    rfc3550JitterMaxMs: round(jitterMax),
    maxAbsDMs: round(maxAbsD),
    transitMeanMs: MODE === "pairs" ? round(received > 0 ? transitSum / received : 0) : null,
    transitMaxMs: MODE === "pairs" ? round(maxTransit) : null,
    senderLagMeanMs: round(lagSum / Math.max(1, sub)),
    senderLagMaxMs: round(lagMax),
    generator: "node",
  },
});
for (const phone of phones) phone.socket.close();
lines.close();
process.exit(0);
