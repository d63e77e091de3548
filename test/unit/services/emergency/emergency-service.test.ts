import assert from "node:assert/strict";
import { test } from "node:test";
import { silentLogger } from "../../../../src/kernel/log.ts";
import {
  type EmergencyNumber,
  EmergencyNumberRefused,
  EmergencyService,
  MemoryEmergencyAuditLog,
  MemoryEmergencyNumberStore,
} from "../../../../src/services/emergency/index.ts";
import { FakeClock } from "../../../support/fake-clock.ts";

const BASE: Omit<EmergencyNumber, "number" | "users" | "source"> = {
  label: "",
  priority: 1,
  record: false,
  announcement: true,
  ringTimeout: 30,
  retries: 1,
  resourcePriority: "esnet.0",
};

function service(store = new MemoryEmergencyNumberStore(), clock = new FakeClock()) {
  return new EmergencyService({
    store,
    configNumbers: [{ ...BASE, number: "112", users: ["1002"], source: "config" }],
    audit: new MemoryEmergencyAuditLog(),
    userExists: async (extension, domain) =>
      ["1002", "1003", "1004"].includes(extension) && domain === "parley.test",
    busyCallee: "preempt",
    preemptionAnnouncement: "call-preempted",
    retryDelaySeconds: 5,
    profiles: [],
    defaultDomain: "parley.test",
    refreshSeconds: 30,
    clock,
    logger: silentLogger(),
  });
}

test("the service claims calls to config and stored numbers only", async () => {
  const emergency = service();
  await emergency.start();
  const claims = (dialled: string) => emergency.module.claims?.({ dialled });
  assert.equal(await claims("112"), true);
  assert.equal(await claims("5000"), false);
  await emergency.saveNumber({ ...BASE, number: "5000", users: ["1003", "1004"] });
  assert.equal(await claims("5000"), true);
  await emergency.removeNumber("5000");
  assert.equal(await claims("5000"), false);
  emergency.stop();
});

test("admins may not change or remove config numbers, nor bind unknown users or nobody", async () => {
  const emergency = service();
  await emergency.start();
  const refused = async (promise: Promise<unknown>, status: number, message: RegExp) =>
    assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof EmergencyNumberRefused);
      assert.equal(error.status, status);
      assert.match(error.message, message);
      return true;
    });
  await refused(emergency.saveNumber({ ...BASE, number: "112", users: ["1003"] }), 409, /config file/);
  await refused(emergency.removeNumber("112"), 409, /config file/);
  await refused(
    emergency.saveNumber({ ...BASE, number: "5000", users: ["1003", "9999"] }),
    422,
    /no user 9999/,
  );
  await refused(
    emergency.saveNumber({ ...BASE, number: "5000", users: ["1003@elsewhere.example"] }),
    422,
    /no user/,
  );
  await refused(emergency.saveNumber({ ...BASE, number: "5000", users: [] }), 422, /needs a user/);
  await refused(emergency.removeNumber("5000"), 404, /no emergency number/);
  assert.deepEqual(
    emergency.numbers().map((n) => [n.number, n.source]),
    [["112", "config"]],
  );
  emergency.stop();
});

test("numbers another node stores are picked up at the next refresh", async () => {
  const store = new MemoryEmergencyNumberStore();
  const clock = new FakeClock();
  const emergency = service(store, clock);
  await emergency.start();
  await store.save({ ...BASE, number: "5000", users: ["1003"], source: "admin" });
  assert.equal(emergency.number("5000"), undefined, "not read yet");
  clock.advance(30_000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(emergency.number("5000")?.users, ["1003"]);
  emergency.stop();
});
