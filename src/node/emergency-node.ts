import type { CallControl, Subscribers } from "../calls/index.ts";
import type { Config, EmergencyNumberConfig } from "../config/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import { type EmergencyNumber, EmergencyService } from "../services/emergency/index.ts";
import { type SqlDatabase, SqlEmergencyAuditLog, SqlEmergencyNumberStore } from "../storage/index.ts";

/**
 * Builds service 5 on the node: numbers from the config file and from SQL (admins), the audit
 * trail in SQL, calls through call control. Registered before the other services that claim
 * calls, so an emergency number is never taken by anything else.
 */
export async function startEmergencyNode(deps: {
  config: Config;
  clock: Clock;
  logger: Logger;
  database: SqlDatabase;
  subscribers: Subscribers;
  calls: CallControl;
  defaultDomain: string;
}): Promise<EmergencyService> {
  const service = emergencyService({
    ...deps,
    userExists: async (extension, domain) =>
      (await deps.subscribers.byExtension(extension, domain)) !== undefined,
  });
  await service.start();
  deps.calls.register(service.module);
  return service;
}

/**
 * The emergency service over SQL and the config file, not started: the node starts and registers
 * it; `parley emergency` uses it to manage numbers and read the audit with the same rules.
 */
export function emergencyService(deps: {
  config: Config;
  clock: Clock;
  logger: Logger;
  database: SqlDatabase;
  defaultDomain: string;
  userExists(extension: string, domain: string): Promise<boolean>;
}): EmergencyService {
  const { config } = deps;
  return new EmergencyService({
    store: new SqlEmergencyNumberStore(deps.database.db, () => deps.clock.now()),
    configNumbers: config.emergency_numbers.map(fromConfig),
    audit: new SqlEmergencyAuditLog(deps.database.db),
    userExists: deps.userExists,
    busyCallee: config.emergency.busy_callee,
    preemptionAnnouncement: config.emergency.preemption_announcement,
    retryDelaySeconds: config.emergency.retry_delay,
    profiles: config.phone_profiles.map((p) => ({
      name: p.name,
      ...(p.user_agent ? { userAgent: p.user_agent } : {}),
      users: p.users,
      alertInfo: p.alert_info,
    })),
    defaultDomain: deps.defaultDomain,
    clock: deps.clock,
    logger: deps.logger.child({ service: "emergency" }),
  });
}

function fromConfig(entry: EmergencyNumberConfig): EmergencyNumber {
  return {
    number: entry.number,
    label: entry.label,
    users: [...entry.users],
    priority: entry.priority,
    record: entry.record,
    announcement: entry.announcement,
    ringTimeout: entry.ring_timeout,
    retries: entry.retries,
    resourcePriority: entry.resource_priority,
    source: "config",
  };
}
