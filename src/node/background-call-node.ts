import type { CallControl, Subscribers, TextMessaging } from "../calls/index.ts";
import type { LeadershipRole } from "../cluster/index.ts";
import type { Config } from "../config/index.ts";
import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import {
  BackgroundCallService,
  backgroundCallModule,
  type CallbackUser,
  LoggingSmsGateway,
  WebhookSmsGateway,
} from "../services/background-call/index.ts";
import { SqlCallbackBlockList, SqlCallbackJobStore, type SqlDatabase } from "../storage/index.ts";

export interface BackgroundCallNode {
  service: BackgroundCallService;
  stop(): void;
}

/**
 * Builds service 3: jobs in SQL, attempts placed through call control, texts through SIP
 * MESSAGE, SMS through the configured webhook (or the log); registers the feature codes, the
 * offer after repeated unanswered calls and the text commands; resumes the active jobs.
 */
export async function startBackgroundCallNode(deps: {
  config: Config;
  clock: Clock;
  logger: Logger;
  database: SqlDatabase;
  subscribers: Subscribers;
  calls: CallControl;
  messaging: TextMessaging;
  defaultDomain: string;
  /** In a cluster: attempts are placed by the node that leads "background-calls" only. */
  leadership?: { join(name: string, role: LeadershipRole): void };
}): Promise<BackgroundCallNode | undefined> {
  const c = deps.config.background_call;
  if (!c.enabled) return undefined;
  const logger = deps.logger.child({ service: "background-call" });
  const findUser = async (id: string): Promise<CallbackUser | undefined> => {
    const at = id.lastIndexOf("@");
    const found =
      at > 0
        ? deps.subscribers.byExtension(id.slice(0, at), id.slice(at + 1))
        : deps.subscribers.byNumber(id);
    return found.catch(() => undefined);
  };
  const service = new BackgroundCallService({
    store: new SqlCallbackJobStore(deps.database.db),
    blocks: new SqlCallbackBlockList(deps.database.db),
    dialer: deps.calls,
    messages: deps.messaging,
    sms:
      c.sms_webhook_url === ""
        ? new LoggingSmsGateway(logger)
        : new WebhookSmsGateway({
            url: c.sms_webhook_url,
            ...(c.sms_webhook_token ? { token: c.sms_webhook_token } : {}),
            ...(c.sms_from ? { from: c.sms_from } : {}),
          }),
    findUser,
    settings: {
      maxAttempts: c.max_attempts,
      retryIntervalSeconds: c.retry_interval,
      maxDurationSeconds: c.max_duration,
      ringSeconds: c.ring_seconds,
      callerRingSeconds: c.caller_ring_seconds,
      maxActivePerUser: c.max_active_per_user,
      quietHours: c.quiet_hours,
      timeZone: c.time_zone,
      offerThreshold: c.offer_after,
      offerWindowSeconds: c.offer_window,
      defaultDomain: deps.defaultDomain,
      ...(c.amd ? { amd: {} } : {}),
    },
    clock: deps.clock,
    logger,
    runsJobs: deps.leadership === undefined,
  });
  const module = backgroundCallModule({
    service,
    codes: { start: c.start_code, stop: c.stop_code, block: c.block_code },
    messages: deps.messaging,
    messageAddress: c.message_address,
    clock: deps.clock,
    logger,
  });
  deps.calls.register(module);
  const offText = deps.messaging.onText((message) => module.text(message));
  let poll: TimerHandle | undefined;
  if (deps.leadership) {
    // The leader resumes every job, then picks up jobs other nodes saved, every five seconds.
    const adopt = () => {
      poll = deps.clock.setTimer(5_000, () => {
        service
          .adopt()
          .catch((error: unknown) => logger.warn({ err: error }, "background calls not picked up"))
          .finally(() => {
            if (poll) adopt();
          });
      });
    };
    deps.leadership.join("background-calls", {
      lead: () => {
        void service.start().then((resumed) => logger.info({ jobs: resumed }, "leading background calls"));
        adopt();
      },
      follow: () => {
        poll?.cancel();
        poll = undefined;
        service.standby();
      },
    });
  } else {
    const resumed = await service.start();
    if (resumed > 0) logger.info({ jobs: resumed }, "background calls resumed");
  }
  return {
    service,
    stop() {
      poll?.cancel();
      poll = undefined;
      offText();
      service.close();
    },
  };
}
