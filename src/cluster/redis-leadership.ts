import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { RedisLink } from "./redis-link.ts";

/** How long a leader holds its lease without renewing, and how often every node tries. */
const LEASE_MS = 15_000;
const RENEW_MS = 5_000;

/** Renews the lease only if this node still holds it (compare, then expire), atomically. */
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
/** Gives the lease up only if this node holds it. */
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export interface LeadershipRole {
  /** This node became the one that runs the work. */
  lead(): void;
  /** This node no longer runs it (lost the lease, or is stopping). */
  follow(): void;
}

/**
 * Work that must run once across the cluster (background-call attempts, recording retention,
 * trunk registrations) runs on the node holding a lease in Redis: `SET NX PX` to take it, a
 * compare-and-expire every five seconds to keep it. A node that dies stops renewing, and another
 * takes the work over within fifteen seconds.
 */
export class RedisLeadership {
  readonly #link: RedisLink;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #roles = new Map<string, { role: LeadershipRole; leading: boolean; timer?: TimerHandle }>();
  #closed = false;

  constructor(link: RedisLink, clock: Clock, logger: Logger) {
    this.#link = link;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Takes part in the election for `name`: `role.lead()` when this node wins it, `follow()` when it loses it. */
  join(name: string, role: LeadershipRole): void {
    const entry: { role: LeadershipRole; leading: boolean; timer?: TimerHandle } = { role, leading: false };
    this.#roles.set(name, entry);
    const round = async () => {
      const key = this.#link.key(`leader:${name}`);
      const node = this.#link.nodeId;
      const holds = entry.leading
        ? Number(await this.#link.redis.eval(RENEW, 1, key, node, String(LEASE_MS))) === 1
        : (await this.#link.redis.set(key, node, "PX", LEASE_MS, "NX")) === "OK";
      if (holds !== entry.leading) {
        entry.leading = holds;
        this.#logger.info(
          { work: name, leading: holds },
          holds ? "leading cluster work" : "following cluster work",
        );
        if (holds) role.lead();
        else role.follow();
      }
    };
    const tick = (delay: number) => {
      entry.timer = this.#clock.setTimer(delay, () => {
        round()
          .catch((error: unknown) => {
            this.#logger.warn({ err: error, work: name }, "leadership round failed");
            if (entry.leading) {
              entry.leading = false;
              role.follow();
            }
          })
          .finally(() => {
            if (!this.#closed) tick(RENEW_MS);
          });
      });
    };
    tick(0);
  }

  /** Whether this node runs `name` now. */
  leads(name: string): boolean {
    return this.#roles.get(name)?.leading ?? false;
  }

  /** Stops every role this node leads and gives the leases up, so another node takes over at once. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [name, entry] of this.#roles) {
      entry.timer?.cancel();
      if (!entry.leading) continue;
      entry.leading = false;
      entry.role.follow();
      await this.#link.redis
        .eval(RELEASE, 1, this.#link.key(`leader:${name}`), this.#link.nodeId)
        .catch(() => {});
    }
  }
}
