import type { TestContext } from "node:test";
import { BaresipPhone, type BaresipPhoneOptions } from "./baresip.ts";
import { eventually } from "./call-peers.ts";
import type { SipTestNode } from "./sip-node.ts";

/**
 * Starts one baresip phone per entry on a test node (SIP password `pw-<extension>`), kills each
 * after the test, and waits until every one is registered; returns them by extension.
 */
export async function registeredPhones(
  t: Pick<TestContext, "after">,
  parley: SipTestNode,
  phones: ReadonlyArray<
    { extension: string; toneHz: number } & Partial<Omit<BaresipPhoneOptions, "extension" | "toneHz">>
  >,
): Promise<Record<string, BaresipPhone>> {
  const started: Record<string, BaresipPhone> = {};
  for (const options of phones) {
    const phone = await BaresipPhone.start({
      password: `pw-${options.extension}`,
      registrar: parley.target,
      seconds: 60,
      ...options,
    });
    t.after(() => phone.kill());
    await eventually(
      () => parley.node.sip.location.lookup(`sip:${options.extension}@${parley.domain}`).length === 1,
      `${options.extension} to register`,
    );
    started[options.extension] = phone;
  }
  return started;
}
