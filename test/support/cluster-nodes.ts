import type { TestContext } from "node:test";
import { freshDatabase } from "./databases.ts";
import { freshRedis } from "./redis.ts";
import { type SipTestNode, startSipTestNode } from "./sip-node.ts";
import { closeSoftPhones } from "./soft-phones.ts";

/**
 * Two in-process nodes (`node1`, `node2`) with `users` on one fresh PostgreSQL database and one
 * Redis key prefix, with a shared nonce secret: a cluster without its front door. Everything stops
 * when the test ends (the test's softphones first). Undefined, after missingPeer, without
 * PostgreSQL or Redis.
 */
export async function startClusterNodes(
  t: TestContext,
  users: string[],
  options: { toml?: string } = {},
): Promise<[SipTestNode, SipTestNode] | undefined> {
  const db = await freshDatabase(t, "postgres");
  const redis = await freshRedis(t);
  if (!db || !redis) return undefined;
  const nodes: SipTestNode[] = [];
  t.after(async () => {
    await closeSoftPhones(t);
    for (const node of nodes) await node.stop();
    await redis.flush();
    await db.drop();
  });
  for (const id of ["node1", "node2"]) {
    const env = {
      PARLEY_DATABASE_URL: db.url,
      PARLEY_CLUSTER_REDIS: redis.url,
      PARLEY_CLUSTER_KEY_PREFIX: redis.prefix,
      PARLEY_CLUSTER_NODE_ID: id,
      PARLEY_SIP_NONCE_SECRET: "test-cluster-shared-secret",
    };
    nodes.push(await startSipTestNode(users, env, options.toml ? { toml: options.toml } : {}));
  }
  return nodes as [SipTestNode, SipTestNode];
}
