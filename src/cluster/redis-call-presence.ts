import type { CallPresence, NodeReply, NodeRequest, PresenceEntry } from "../calls/index.ts";
import type { Clock } from "../kernel/clock.ts";
import { randomHex } from "../kernel/ids.ts";
import type { Logger } from "../kernel/log.ts";
import type { RedisLink } from "./redis-link.ts";

/** How long a node waits for another node's answer, ms. */
const REQUEST_TIMEOUT_MS = 3_000;

interface Pending {
  resolve(reply: NodeReply): void;
  reject(error: Error): void;
}

/**
 * Who is in a call where, across the cluster, in Redis: a hash per user (AOR) of their legs in
 * calls, each naming the node that runs it, and a set per node of what it announced (cleared when
 * the node starts again, so a node that died does not leave its users busy). Entries of nodes that
 * stopped beating are ignored and removed. Requests between nodes (preempt this leg) go over
 * pub/sub: one channel per node for requests, one for the answers it waits for.
 */
export class RedisCallPresence implements CallPresence {
  readonly nodeId: string;
  readonly #link: RedisLink;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #pending = new Map<string, Pending>();
  #handler: ((body: NodeRequest) => Promise<NodeReply>) | undefined;

  private constructor(link: RedisLink, clock: Clock, logger: Logger) {
    this.#link = link;
    this.nodeId = link.nodeId;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Clears what this node announced in an earlier life and starts taking answers and requests. */
  static async start(link: RedisLink, clock: Clock, logger: Logger): Promise<RedisCallPresence> {
    const presence = new RedisCallPresence(link, clock, logger);
    await presence.#forgetEarlierLife();
    await link.subscribe(`replies:${link.nodeId}`, (message) => presence.#reply(message));
    await link.subscribe(`requests:${link.nodeId}`, (message) => void presence.#answer(message));
    return presence;
  }

  add(aor: string, entry: PresenceEntry): void {
    const redis = this.#link.redis;
    void redis
      .multi()
      .hset(
        this.#link.key(`calls:${aor}`),
        entry.legId,
        JSON.stringify({ node: entry.node, callId: entry.callId }),
      )
      .sadd(this.#link.key(`node-legs:${this.nodeId}`), `${aor}\n${entry.legId}`)
      .exec()
      .catch((error: unknown) => this.#logger.warn({ err: error, aor }, "call presence not announced"));
  }

  remove(aor: string, legId: string): void {
    void this.#link.redis
      .multi()
      .hdel(this.#link.key(`calls:${aor}`), legId)
      .srem(this.#link.key(`node-legs:${this.nodeId}`), `${aor}\n${legId}`)
      .exec()
      .catch((error: unknown) => this.#logger.warn({ err: error, aor }, "call presence not withdrawn"));
  }

  async elsewhere(aor: string): Promise<PresenceEntry[]> {
    const key = this.#link.key(`calls:${aor}`);
    const all = await this.#link.redis.hgetall(key);
    const entries = Object.entries(all)
      .map(([legId, text]) => ({ legId, ...(JSON.parse(text) as { node: string; callId: string }) }))
      .filter((entry) => entry.node !== this.nodeId);
    if (entries.length === 0) return [];
    const alive = await this.#link.alive([...new Set(entries.map((e) => e.node))]);
    const dead = entries.filter((e) => !alive.has(e.node));
    if (dead.length > 0) await this.#link.redis.hdel(key, ...dead.map((e) => e.legId));
    return entries.filter((e) => alive.has(e.node));
  }

  request(node: string, body: NodeRequest): Promise<NodeReply> {
    const id = randomHex(8);
    return new Promise<NodeReply>((resolve, reject) => {
      const timer = this.#clock.setTimer(REQUEST_TIMEOUT_MS, () => {
        this.#pending.delete(id);
        reject(new Error(`node ${node} did not answer within ${REQUEST_TIMEOUT_MS} ms`));
      });
      this.#pending.set(id, {
        resolve: (reply) => {
          timer.cancel();
          resolve(reply);
        },
        reject,
      });
      this.#link.publish(`requests:${node}`, { id, from: this.nodeId, body });
    });
  }

  onRequest(handler: (body: NodeRequest) => Promise<NodeReply>): void {
    this.#handler = handler;
  }

  #reply(message: unknown): void {
    const { id, reply } = message as { id: string; reply: NodeReply };
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.resolve(reply);
  }

  async #answer(message: unknown): Promise<void> {
    const { id, from, body } = message as { id: string; from: string; body: NodeRequest };
    let reply: NodeReply = { kind: "gone" };
    try {
      if (this.#handler) reply = await this.#handler(body);
    } catch (error) {
      this.#logger.error({ err: error, from }, "request from another node failed");
    }
    this.#link.publish(`replies:${from}`, { id, reply });
  }

  async #forgetEarlierLife(): Promise<void> {
    const setKey = this.#link.key(`node-legs:${this.nodeId}`);
    const members = await this.#link.redis.smembers(setKey);
    if (members.length === 0) return;
    const batch = this.#link.redis.multi();
    for (const member of members) {
      const [aor = "", legId = ""] = member.split("\n");
      batch.hdel(this.#link.key(`calls:${aor}`), legId);
    }
    batch.del(setKey);
    await batch.exec();
    this.#logger.info({ legs: members.length }, "cleared the call presence of this node's earlier life");
  }
}
