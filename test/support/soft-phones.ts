import type { TestContext } from "node:test";
import { SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { SoftPhone } from "../../src/phone/index.ts";

/** The phones each test started, so it can close them before it stops the servers they use. */
const started = new WeakMap<object, SoftPhone[]>();

/**
 * Closes the phones `t` started (unregistering them) now: call it in the `after` that stops the
 * server, before stopping it (after hooks run in the order they were added, so the phones' own
 * hooks would run only once the server is gone, each waiting for answers that never come).
 */
export async function closeSoftPhones(t: object): Promise<void> {
  await Promise.all((started.get(t) ?? []).map((phone) => phone.close()));
}

/**
 * Parley's own softphone for a test user (SIP password `pw-<extension>`), started and registered
 * with `server` ("host:port" of a node, or of Kamailio in front of nodes); closed when the test
 * ends. It sends a steady `toneHz` (0: silence) while in a call and keeps what it heard.
 */
export async function registeredSoftPhone(
  t: Pick<TestContext, "after">,
  options: { extension: string; server: string; domain?: string; toneHz?: number; autoAnswer?: boolean },
): Promise<SoftPhone> {
  const [address = "127.0.0.1", port = "0"] = options.server.split(":");
  const phone = new SoftPhone({
    extension: options.extension,
    password: `pw-${options.extension}`,
    server: { address, port: Number(port) },
    domain: options.domain ?? "parley.test",
    clock: new SystemClock(),
    logger: silentLogger(),
    toneHz: options.toneHz ?? 0,
    autoAnswer: options.autoAnswer ?? false,
  });
  started.set(t, [...(started.get(t) ?? []), phone]);
  t.after(() => phone.close());
  await phone.start();
  await phone.register();
  return phone;
}
