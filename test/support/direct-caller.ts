import type { TestContext } from "node:test";
import { SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { MediaEngine, SessionDescription } from "../../src/media/index.ts";
import { NameAddr, SipUri } from "../../src/sip/index.ts";
import { startStack } from "./sip-peer.ts";

/**
 * A caller outside Parley (a PSAP, a test peer) made of a bare SipStack (sip-peer's `startStack`,
 * its timers on a fake clock) and a MediaEngine on 127.0.0.1: each call of the returned function
 * sends one INVITE straight to `target` (a phone's SIP address), with `alertInfo` as its
 * Alert-Info header when given, and resolves with the final status; once answered it plays a
 * steady `toneHz` into the call. Closed after the test.
 */
export async function directCaller(
  t: Pick<TestContext, "after">,
  toneHz: number,
): Promise<
  (target: { address: string; port: number }, alertInfo: string | undefined) => Promise<{ status: number }>
> {
  // SIP on a stack whose protocol timers never need to fire on loopback; media on the real clock.
  const { stack } = await startStack();
  const clock = new SystemClock();
  const logger = silentLogger();
  const engine = new MediaEngine({ address: "127.0.0.1", portMin: 46_000, portMax: 47_999, clock, logger });
  t.after(async () => {
    engine.close();
    await stack.stop();
  });
  return async ({ address, port }, alertInfo) => {
    const pending = await engine.offer();
    const callee = new SipUri({ user: "callee", host: address, port });
    const invite = stack.invite({
      uri: callee,
      target: { protocol: "udp", address, port },
      from: new NameAddr(new SipUri({ user: "psap", host: "127.0.0.1" })),
      to: new NameAddr(callee),
      body: { contentType: "application/sdp", data: Buffer.from(pending.offer.serialize()) },
      headers: alertInfo === undefined ? [] : [["Alert-Info", alertInfo]],
    });
    const outcome = new Promise<{ status: number }>((resolve) => {
      invite.on("answered", (_session, response) => {
        const result = pending.complete(SessionDescription.parse(response.body.toString("utf8")));
        if ("endpoint" in result) {
          const tone = { frequencies: [toneHz], cadenceMs: [], repeat: true };
          engine.player(result.endpoint).play([{ kind: "tone", tone }], { loop: true });
        }
        resolve({ status: response.status });
      });
      invite.on("failed", (response) => {
        pending.close();
        resolve({ status: response.status });
      });
    });
    await invite.start();
    return outcome;
  };
}
