import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ParleyNode } from "../../src/node/index.ts";
import { freePort } from "./sipp.ts";

/**
 * Binds `extension` to a SIPp UAS listening on a fresh port, as a REGISTER from that port would
 * (SIPp cannot register and then take calls in one scenario), and returns the port to give SIPp.
 */
export async function registerSippPhone(
  node: ParleyNode,
  extension: string,
  options: { domain?: string; protocol?: "udp" | "tcp"; contactSuffix?: string; userAgent?: string } = {},
): Promise<number> {
  const protocol = options.protocol ?? "udp";
  const port = await freePort("127.0.0.1", protocol === "tcp");
  await bindContact(node, extension, port, options);
  return port;
}

/**
 * Binds `extension` to a phone listening on 127.0.0.1:`port` in the location service, as a
 * REGISTER from that port would (for peers that cannot register themselves).
 */
export async function bindContact(
  node: ParleyNode,
  extension: string,
  port: number,
  options: { domain?: string; protocol?: "udp" | "tcp"; contactSuffix?: string; userAgent?: string } = {},
): Promise<void> {
  const protocol = options.protocol ?? "udp";
  const domain = options.domain ?? "parley.test";
  const now = Date.now();
  await node.sip.location.save({
    aor: `sip:${extension}@${domain}`,
    contact: `sip:${extension}${options.contactSuffix ?? ""}@127.0.0.1:${port};transport=${protocol}`,
    q: 1,
    expiresAt: now + 3_600_000,
    callId: `test-${extension}-${port}`,
    cseq: 1,
    source: { protocol, address: "127.0.0.1", port },
    path: [],
    registeredAt: now,
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
}

/** An injection file with user;password;domain[;callee] lines for SIPp's -inf. */
export function callerInjection(rows: string[][]): string {
  const file = join(mkdtempSync(join(tmpdir(), "parley-calls-")), "users.csv");
  writeFileSync(file, `SEQUENTIAL\n${rows.map((r) => r.join(";")).join("\n")}\n`);
  return file;
}

/** Polls `condition` every 20 ms (peers run in other processes; no protocol timer is awaited). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
