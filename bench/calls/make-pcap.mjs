#!/usr/bin/env node
// Writes the RTP capture SIPp plays on every bench call (play_pcap_audio): G.711 A-law (payload
// type 8), 20 ms packets (12-byte RTP header + 160 bytes of audio), a 400 Hz tone, for a given
// number of seconds, as a classic libpcap file with Ethernet framing (what SIPp 3.6.1 reads).
//
// Debian's sip-tester ships /usr/share/sip-tester/g711a.pcap, but that one is 7 s long with 30 ms
// packets; the bench wants the stream to last as long as the call (so every call sends the same
// number of packets and none is cut off by the BYE) and the 50 packets/s of a usual phone.
// SIPp rewrites addresses and ports when it plays; only the UDP payloads, their timing and the
// lowest destination port (the "base") matter.
//
//   node bench/calls/make-pcap.mjs <out.pcap> <seconds>
//   import { writeRtpPcap } from "./make-pcap.mjs"; writeRtpPcap(file, seconds) → packets written
import { writeFileSync } from "node:fs";
import alawmulaw from "alawmulaw";

export const PTIME_MS = 20;
export const PAYLOAD_TYPE = 8; // PCMA
const SAMPLES = 160;
const RTP_PORT = 40000;

/** A-law samples of the tone for packet n (160 samples, 20 ms). */
function tonePacket(n, pcm) {
  for (let i = 0; i < SAMPLES; i++) {
    const t = (n * SAMPLES + i) / 8000;
    pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * 400 * t));
  }
  return Buffer.from(alawmulaw.alaw.encode(pcm));
}

/**
 * The same audio as raw A-law bytes, `packets` × 160, for SIPp's rtp_stream action
 * (`rtp_stream="media.al,1,8"`: the file played once as payload type 8, 160 bytes per 20 ms).
 */
export function writeRawAlaw(file, packets) {
  const pcm = new Int16Array(SAMPLES);
  const chunks = [];
  for (let n = 0; n < packets; n++) chunks.push(tonePacket(n, pcm));
  writeFileSync(file, Buffer.concat(chunks));
}

export function writeRtpPcap(file, seconds) {
  const packets = Math.max(1, Math.round((seconds * 1000) / PTIME_MS));
  const pcm = new Int16Array(SAMPLES);
  const frames = [];
  const globalHeader = Buffer.alloc(24);
  globalHeader.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps
  globalHeader.writeUInt16LE(2, 4);
  globalHeader.writeUInt16LE(4, 6);
  globalHeader.writeInt32LE(0, 8);
  globalHeader.writeUInt32LE(0, 12);
  globalHeader.writeUInt32LE(65535, 16);
  globalHeader.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  frames.push(globalHeader);
  const ssrc = 0x5041524c; // "PARL"
  for (let n = 0; n < packets; n++) {
    const audio = tonePacket(n, pcm);
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = PAYLOAD_TYPE | (n === 0 ? 0x80 : 0); // marker on the first packet
    rtp.writeUInt16BE(n & 0xffff, 2);
    rtp.writeUInt32BE((n * SAMPLES) >>> 0, 4);
    rtp.writeUInt32BE(ssrc, 8);
    const udpLength = 8 + rtp.length + audio.length;
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(RTP_PORT, 0);
    udp.writeUInt16BE(RTP_PORT, 2);
    udp.writeUInt16BE(udpLength, 4);
    udp.writeUInt16BE(0, 6); // no checksum: SIPp computes its own
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udpLength, 2);
    ip.writeUInt16BE(n & 0xffff, 4);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip.writeUInt32BE(0x7f000001, 12);
    ip.writeUInt32BE(0x7f000001, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const ether = Buffer.alloc(14);
    ether.writeUInt16BE(0x0800, 12);
    const frameLength = ether.length + ip.length + udpLength;
    const recordHeader = Buffer.alloc(16);
    const us = n * PTIME_MS * 1000;
    recordHeader.writeUInt32LE(Math.floor(us / 1e6), 0);
    recordHeader.writeUInt32LE(us % 1e6, 4);
    recordHeader.writeUInt32LE(frameLength, 8);
    recordHeader.writeUInt32LE(frameLength, 12);
    frames.push(recordHeader, ether, ip, udp, rtp, audio);
  }
  writeFileSync(file, Buffer.concat(frames));
  return packets;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, seconds] = process.argv.slice(2);
  if (!file || !(Number(seconds) > 0)) {
    process.stderr.write("usage: make-pcap.mjs <out.pcap> <seconds>\n");
    process.exit(2);
  }
  process.stdout.write(`${writeRtpPcap(file, Number(seconds))} packets\n`);
}
