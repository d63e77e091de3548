import { Redis } from "ioredis";
import type { Clock, TimerHandle } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";

/** How long a node counts as alive after its last heartbeat, ms. */
const ALIVE_MS = 10_000;
const HEARTBEAT_MS = 3_000;

export interface RedisLinkOptions {
  url: string;
  /** Prefix of every key and channel (cluster.key_prefix). */
  prefix: string;
  nodeId: string;
  clock: Clock;
  logger: Logger;
}

/**
 * A node's connection to the cluster's Redis: one client for commands, one in subscriber mode for
 * channels (Redis pub/sub needs its own connection), and the node's heartbeat key, so the others
 * can tell which nodes are alive (a node killed with -9 stops beating and counts as gone within
 * ten seconds).
 */
export class RedisLink {
  readonly nodeId: string;
  readonly prefix: string;
  readonly redis: Redis;
  readonly #subscriber: Redis;
  readonly #o: RedisLinkOptions;
  readonly #handlers = new Map<string, Set<(message: unknown) => void>>();
  #heartbeat: TimerHandle | undefined;
  #closed = false;

  private constructor(options: RedisLinkOptions, redis: Redis, subscriber: Redis) {
    this.#o = options;
    this.nodeId = options.nodeId;
    this.prefix = options.prefix;
    this.redis = redis;
    this.#subscriber = subscriber;
    subscriber.on("message", (channel: string, text: string) => {
      const handlers = this.#handlers.get(channel);
      if (!handlers) return;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        this.#o.logger.warn({ channel }, "cluster message that is not JSON ignored");
        return;
      }
      for (const handler of handlers) {
        try {
          handler(message);
        } catch (error) {
          this.#o.logger.error({ err: error, channel }, "cluster message handler failed");
        }
      }
    });
  }

  /** Connects both clients and starts the heartbeat; rejects when Redis cannot be reached. */
  static async connect(options: RedisLinkOptions): Promise<RedisLink> {
    const client = () =>
      new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    const redis = client();
    const subscriber = client();
    for (const c of [redis, subscriber])
      c.on("error", (error: Error) => options.logger.warn({ err: error }, "cluster Redis connection"));
    await Promise.all([redis.connect(), subscriber.connect()]);
    const link = new RedisLink(options, redis, subscriber);
    await link.#beat();
    return link;
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  publish(channel: string, message: unknown): void {
    void this.redis.publish(this.key(channel), JSON.stringify(message)).catch((error: unknown) => {
      this.#o.logger.warn({ err: error, channel }, "cluster message not published");
    });
  }

  /** Receives the messages of a channel until the returned function is called. */
  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => void> {
    const name = this.key(channel);
    let handlers = this.#handlers.get(name);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(name, handlers);
      await this.#subscriber.subscribe(name);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#handlers.get(name) === handlers) {
        this.#handlers.delete(name);
        if (!this.#closed) void this.#subscriber.unsubscribe(name).catch(() => {});
      }
    };
  }

  /** Which of `nodes` beat within the last ten seconds. */
  async alive(nodes: readonly string[]): Promise<Set<string>> {
    if (nodes.length === 0) return new Set();
    const values = await this.redis.mget(...nodes.map((n) => this.key(`node:${n}`)));
    return new Set(nodes.filter((_, i) => values[i] !== null));
  }

  async #beat(): Promise<void> {
    await this.redis.set(this.key(`node:${this.nodeId}`), String(this.#o.clock.now()), "PX", ALIVE_MS);
    this.#heartbeat = this.#o.clock.setTimer(HEARTBEAT_MS, () => {
      this.#beat().catch((error: unknown) => {
        this.#o.logger.warn({ err: error }, "cluster heartbeat failed");
        if (!this.#closed) this.#heartbeat = this.#o.clock.setTimer(HEARTBEAT_MS, () => void this.#beat());
      });
    });
  }

  /** Stops the heartbeat, says goodbye (the node is gone at once) and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat?.cancel();
    await this.redis.del(this.key(`node:${this.nodeId}`)).catch(() => {});
    this.#subscriber.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
