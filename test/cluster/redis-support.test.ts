/**
 * The Redis test helpers: freshRedis keeps each test's keys under its own prefix and removes
 * them; startRedis runs a private server that a test may kill and bring back on the same port.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Redis } from "ioredis";
import { freshRedis, startRedis } from "../support/redis.ts";

function client(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", () => {});
  return redis;
}

describe("Redis test helpers", () => {
  test("freshRedis gives each test its own prefix, and flush removes that prefix's keys only", async (t) => {
    const a = await freshRedis(t);
    const b = await freshRedis(t);
    if (!a || !b) return;
    assert.notEqual(a.prefix, b.prefix);
    assert.match(a.prefix, /^[A-Za-z0-9_.:-]{1,64}$/, "usable as cluster.key_prefix");
    const redis = client(a.url);
    t.after(() => redis.disconnect());
    await redis.connect();
    await redis.set(`${a.prefix}one`, "1");
    await redis.hset(`${a.prefix}two`, "f", "v");
    await redis.set(`${b.prefix}other`, "x");
    assert.deepEqual(await a.keys(), [`${a.prefix}one`, `${a.prefix}two`]);
    await a.flush();
    assert.deepEqual(await a.keys(), []);
    assert.equal(await redis.get(`${b.prefix}other`), "x", "another test's keys stay");
    await a.flush();
  });

  test("startRedis runs a private server that can be killed and restarted on the same port", async (t) => {
    const server = await startRedis(t);
    if (!server) return;
    const redis = client(server.url);
    t.after(() => redis.disconnect());
    await redis.connect();
    await redis.set("k", "v");
    const firstPid = server.pid;
    assert.ok(firstPid);
    await server.kill();
    assert.equal(server.pid, undefined);
    assert.throws(() => process.kill(firstPid, 0), "the process is gone");
    await server.restart();
    assert.ok(server.pid && server.pid !== firstPid);
    const again = client(server.url);
    t.after(() => again.disconnect());
    await again.connect();
    assert.equal(await again.get("k"), null, "nothing survived: no persistence");
  });
});
