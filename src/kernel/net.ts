import { isIPv4 } from "node:net";

/**
 * IPv4 peers of a dual-stack IPv6 socket appear as IPv4-mapped addresses ("::ffff:192.0.2.1").
 * Parley keeps and logs the plain IPv4 form and maps it back only when sending from such a socket;
 * SIP and RTP sockets both use these two helpers.
 */
export function unmapIPv4(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** The address to hand to a socket of `family` (an IPv4 target on a udp6 socket is mapped). */
export function socketTarget(family: "udp4" | "udp6", address: string): string {
  return family === "udp6" && isIPv4(address) ? `::ffff:${address}` : address;
}
