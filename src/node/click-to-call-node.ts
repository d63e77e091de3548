import type { CreditControl } from "../billing/index.ts";
import type { CallControl, CdrStore, Subscribers } from "../calls/index.ts";
import type { Config } from "../config/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import { ClickToCallService, type MerchantStore } from "../services/click-to-call/index.ts";

export interface ClickToCallNode {
  service: ClickToCallService;
  credit: CreditControl;
  merchants: MerchantStore;
}

/** Builds service 4 on the node: accounts and rate plans (billing) and merchants in SQL, calls through call control. */
export function startClickToCallNode(deps: {
  config: Config;
  clock: Clock;
  logger: Logger;
  subscribers: Subscribers;
  calls: CallControl;
  cdrs?: CdrStore;
  /** Made before the HTTP server, which serves them in the portal. */
  credit: CreditControl;
  merchants: MerchantStore;
}): ClickToCallNode {
  const { credit, merchants } = deps;
  const service = new ClickToCallService({
    merchants,
    credit,
    dialer: deps.calls,
    findMember: (user) => {
      const at = user.lastIndexOf("@");
      return deps.subscribers.byExtension(user.slice(0, at), user.slice(at + 1)).catch(() => undefined);
    },
    memberAccount: (user) => `member:${user}`,
    ...(deps.cdrs
      ? { recordCharge: (callId, charge) => (deps.cdrs as CdrStore).updateCall(callId, charge) }
      : {}),
    memberRingSeconds: deps.config.click_to_call.member_ring_seconds,
    merchantRingSeconds: deps.config.click_to_call.merchant_ring_seconds,
    maxCallSeconds: deps.config.click_to_call.max_call_seconds,
    warningSeconds: deps.config.click_to_call.warning_seconds,
    clock: deps.clock,
    logger: deps.logger.child({ service: "click-to-call" }),
  });
  return { service, credit, merchants };
}
