import { hostname } from "node:os";
import type { CallJournal, CallProgressEvent, CallStatus, CdrStore } from "../calls/index.ts";
import { RedisBindingStore, RedisCallPresence, RedisLeadership, RedisLink } from "../cluster/index.ts";
import type { Config } from "../config/index.ts";
import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import type { MessageSummary } from "../sip/index.ts";
import { StartError } from "./errors.ts";

/** A node's part in a cluster: its name, and the shared state the SIP side and services use. */
export interface ClusterNode {
  nodeId: string;
  link: RedisLink;
  bindings: RedisBindingStore;
  presence: RedisCallPresence;
  /** Work that runs on one node at a time (background calls, retention, trunk registrations). */
  leadership: RedisLeadership;
  /**
   * Message-waiting changes made here reach the subscriptions held by every node (a phone's
   * SUBSCRIBE landed on one of them): `update` applies locally and tells the others.
   */
  messageWaiting(local: MessageWaitingSink): Promise<MessageWaitingSink>;
  /**
   * Every 10 s, closes the open call records of nodes that stopped beating (killed, crashed), as
   * `interrupted`: a dead node loses no CDR even if it never starts again.
   */
  watchDeadNodes(cdrs: CdrStore): void;
  /**
   * Every node's API follows every call: the steps of this node's calls are published, and the
   * other nodes' steps are mirrored into this node's journal.
   */
  mirrorJournal(journal: CallJournal): Promise<void>;
  close(): Promise<void>;
}

interface MessageWaitingSink {
  update(aor: string, summary: MessageSummary | undefined): void;
}

/**
 * Joins the cluster when cluster.redis is set: connects to Redis (the start fails with one line
 * naming the key when it cannot), starts the heartbeat, and builds the shared-state adapters.
 * Without cluster.redis the node runs alone on in-process state.
 */
export async function startClusterNode(
  config: Config,
  clock: Clock,
  logger: Logger,
): Promise<ClusterNode | undefined> {
  if (config.cluster.redis === "") return undefined;
  const nodeId = config.cluster.node_id || `${hostname()}-${config.sip.port || process.pid}`;
  const log = logger.child({ node: nodeId });
  let link: RedisLink;
  try {
    link = await RedisLink.connect({
      url: config.cluster.redis,
      prefix: config.cluster.key_prefix,
      nodeId,
      clock,
      logger: log,
    });
  } catch (error) {
    throw new StartError(`cluster.redis: cannot reach Redis: ${(error as Error).message}`);
  }
  const presence = await RedisCallPresence.start(link, clock, log);
  log.info("joined the cluster");
  let janitor: TimerHandle | undefined;
  let closed = false;
  const leadership = new RedisLeadership(link, clock, log);
  return {
    leadership,
    nodeId,
    link,
    bindings: new RedisBindingStore(link),
    presence,
    async messageWaiting(local) {
      await link.subscribe("mwi", (message) => {
        const { from, aor, summary } = message as { from: string; aor: string; summary?: MessageSummary };
        if (from !== nodeId) local.update(aor, summary);
      });
      return {
        update(aor, summary) {
          local.update(aor, summary);
          link.publish("mwi", { from: nodeId, aor, ...(summary ? { summary } : {}) });
        },
      };
    },
    watchDeadNodes(cdrs) {
      const sweep = async () => {
        const open = (await cdrs.openNodes()).filter((n) => n !== nodeId);
        const alive = await link.alive(open);
        for (const dead of open.filter((n) => !alive.has(n))) {
          const closedCalls = await cdrs.completeInterrupted(dead);
          if (closedCalls > 0)
            log.warn({ deadNode: dead, calls: closedCalls }, "call records of a dead node completed");
        }
      };
      const tick = () => {
        janitor = clock.setTimer(10_000, () => {
          sweep()
            .catch((error: unknown) => log.warn({ err: error }, "dead-node sweep failed"))
            .finally(() => {
              if (!closed) tick();
            });
        });
      };
      tick();
    },
    async mirrorJournal(journal) {
      await link.subscribe("journal", (message) => {
        const { status, event } = message as { status: Omit<CallStatus, "events">; event: CallProgressEvent };
        if (status.node !== nodeId) journal.mirror(status, event);
      });
      journal.on("progress", (status, event) => {
        if (status.node !== nodeId) return;
        const { events: _events, ...rest } = status;
        link.publish("journal", { status: rest, event });
      });
    },
    close: async () => {
      closed = true;
      janitor?.cancel();
      await leadership.close();
      await link.close();
    },
  };
}
