import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** The server as an IP address, and this host's address on the route to it. */
export interface ServerRoute {
  address: string;
  local: string;
}

/**
 * Resolves the server's name (once, at start) and finds which of this host's addresses reaches it:
 * a UDP socket `connect`ed to the server is bound by the kernel to the source address of that
 * route, which is what the phone must write in Via, Contact and SDP for the server to answer.
 * Nothing is sent. A loopback server is reached from 127.0.0.1.
 */
export async function serverRoute(server: { address: string; port: number }): Promise<ServerRoute> {
  const address = isIP(server.address) ? server.address : (await lookup(server.address)).address;
  if (address.startsWith("127.") || address === "::1") return { address, local: "127.0.0.1" };
  const socket = createSocket(isIP(address) === 6 ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(server.port, address, () => resolve());
    });
    return { address, local: socket.address().address };
  } finally {
    socket.close();
  }
}
