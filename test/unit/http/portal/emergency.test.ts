import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { silentLogger } from "../../../../src/kernel/log.ts";
import {
  EmergencyService,
  MemoryEmergencyAuditLog,
  MemoryEmergencyNumberStore,
} from "../../../../src/services/emergency/index.ts";
import { ADMIN, ALICE, PortalClient, type PortalFixture, portalFixture } from "./portal-fixture.ts";

const DOMAIN = "pbx.example.com";

describe("portal admin pages of emergency calls (/admin/emergency)", () => {
  let f: PortalFixture;
  let service: EmergencyService;
  let audit: MemoryEmergencyAuditLog;
  afterEach(async () => {
    service?.stop();
    await f?.close();
  });

  /** The portal on fakes with a real EmergencyService (config number 112 bound to 1002); logged in as the admin. */
  const setUp = async () => {
    let built: EmergencyService | undefined;
    f = await portalFixture({ emergency: () => built });
    audit = new MemoryEmergencyAuditLog();
    service = new EmergencyService({
      store: new MemoryEmergencyNumberStore(),
      configNumbers: [
        {
          number: "112",
          label: "Site security",
          users: ["1002"],
          priority: 2,
          record: false,
          announcement: true,
          ringTimeout: 30,
          retries: 1,
          resourcePriority: "esnet.0",
          source: "config",
        },
      ],
      audit,
      userExists: async (extension, domain) =>
        (await f.directory.directory.findUser(extension, domain).catch(() => undefined)) !== undefined,
      busyCallee: "preempt",
      preemptionAnnouncement: "call-preempted",
      retryDelaySeconds: 5,
      profiles: [],
      defaultDomain: DOMAIN,
      clock: f.clock,
      logger: silentLogger(),
    });
    await service.start();
    built = service;
    const client = new PortalClient(f.app);
    await client.login(ADMIN.extension, ADMIN.password);
    return client;
  };

  /** The table row of one number on the last page. */
  const row = (body: string, number: string) =>
    new RegExp(`<tr data-number="${number.replace(/[*#+]/g, "\\$&")}">([\\s\\S]*?)</tr>`).exec(body)?.[1];

  test("lists the numbers with the config file's marked read-only (no edit or remove), linked from the admin navigation", async () => {
    const client = await setUp();
    await service.saveNumber({
      number: "5000",
      label: "Plant <security>",
      users: ["1003", "1005"],
      priority: 1,
      record: true,
      announcement: false,
      ringTimeout: 20,
      retries: 0,
      resourcePriority: "esnet.0",
    });
    const res = await client.get("/admin/emergency");
    assert.equal(res.statusCode, 200);
    assert.match(
      res.body,
      /<nav aria-label="Admin"[\s\S]*<a href="\/admin\/emergency" aria-current="page">Emergency<\/a>/,
    );
    const config = row(res.body, "112");
    assert.ok(config, "112 is listed");
    assert.match(config, /config file \(read-only\)/);
    assert.doesNotMatch(config, /Remove|Edit/);
    const admin = row(res.body, "5000");
    assert.ok(admin, "5000 is listed");
    assert.match(admin, /Plant &lt;security&gt;/, "labels are escaped");
    assert.match(admin, /1003, 1005/);
    assert.match(admin, /Edit 5000/);
    assert.match(admin, /Remove 5000/);
    assert.match(res.body, /No emergency call in progress/);
  });

  test("the form adds a number (with the CSRF token), changes it, and removes it", async () => {
    const client = await setUp();
    await client.get("/admin/emergency");
    const added = await client.post("/admin/emergency/numbers", {
      _csrf: client.csrf,
      number: "5100",
      label: "Night shift",
      users: "1002, 1003@pbx.example.com",
      priority: "3",
      ringTimeout: "15",
      retries: "2",
      resourcePriority: "esnet.2",
      announcement: "1",
    });
    assert.equal(added.statusCode, 303, added.body);
    assert.equal(added.headers.location, "/admin/emergency?saved=5100");
    assert.deepEqual(service.number("5100"), {
      number: "5100",
      label: "Night shift",
      users: ["1002", "1003@pbx.example.com"],
      priority: 3,
      record: false,
      announcement: true,
      ringTimeout: 15,
      retries: 2,
      resourcePriority: "esnet.2",
      source: "admin",
    });
    const shown = await client.get("/admin/emergency?saved=5100");
    assert.match(shown.body, /Emergency number 5100 saved\./);
    assert.match(row(shown.body, "5100") ?? "", /Night shift/);

    const editing = await client.get("/admin/emergency?edit=5100");
    assert.equal(editing.statusCode, 200);
    assert.match(editing.body, /Change emergency number 5100/);
    assert.match(editing.body, /name="users"[^>]*value="1002, 1003@pbx.example.com"/);
    const changed = await client.post("/admin/emergency/numbers", {
      _csrf: client.csrf,
      number: "5100",
      editing: "1",
      users: "1005",
      record: "1",
    });
    assert.equal(changed.statusCode, 303);
    const after = service.number("5100");
    assert.deepEqual(after?.users, ["1005"]);
    assert.equal(after?.record, true);
    assert.equal(after?.announcement, false, "an unticked box is false");
    assert.equal(after?.priority, 1, "empty fields take the defaults");

    const removed = await client.post("/admin/emergency/numbers/remove", {
      _csrf: client.csrf,
      number: "5100",
    });
    assert.equal(removed.statusCode, 303);
    assert.equal(removed.headers.location, "/admin/emergency?removed=5100");
    assert.equal(service.number("5100"), undefined);
  });

  test("a form without the CSRF token is a 403 page and saves nothing", async () => {
    const client = await setUp();
    await client.get("/admin/emergency");
    const res = await client.post("/admin/emergency/numbers", { number: "5200", users: "1002" });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /did not come from this site/);
    const wrong = await client.post("/admin/emergency/numbers", {
      _csrf: `${client.csrf}x`,
      number: "5200",
      users: "1002",
    });
    assert.equal(wrong.statusCode, 403);
    assert.equal(service.number("5200"), undefined);
  });

  test("refusals come back on the page: a config number is 409, an unknown user 422, a bad field 400, and nothing changes", async () => {
    const client = await setUp();
    await client.get("/admin/emergency");
    const config = await client.post("/admin/emergency/numbers", {
      _csrf: client.csrf,
      number: "112",
      users: "1003",
    });
    assert.equal(config.statusCode, 409);
    assert.match(config.body, /112 is set in the config file; change it there/);
    assert.deepEqual(service.number("112")?.users, ["1002"]);
    const removeConfig = await client.post("/admin/emergency/numbers/remove", {
      _csrf: client.csrf,
      number: "112",
    });
    assert.equal(removeConfig.statusCode, 409);
    assert.ok(service.number("112"));
    const unknown = await client.post("/admin/emergency/numbers", {
      _csrf: client.csrf,
      number: "5300",
      users: "1002, 4444",
    });
    assert.equal(unknown.statusCode, 422);
    assert.match(unknown.body, /no user 4444/);
    assert.match(unknown.body, /name="users"[^>]*value="1002, 4444"/, "the form keeps what was typed");
    const bad = await client.post("/admin/emergency/numbers", {
      _csrf: client.csrf,
      number: "5300",
      users: "1002",
      priority: "12",
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /priority is a whole number from 1 to 9/);
    assert.equal(service.number("5300"), undefined);
    const editConfig = await client.get("/admin/emergency?edit=112");
    assert.equal(editConfig.statusCode, 409);
    assert.doesNotMatch(editConfig.body, /Change emergency number/);
  });

  test("the audit page shows one call's steps oldest first after the call ended; an unknown call is 404", async () => {
    const client = await setUp();
    const t0 = f.clock.now();
    for (const [n, event, party] of [
      [2, "answered", "1002"],
      [0, "started", `1001@${DOMAIN}`],
      [1, "ringing", "1002"],
      [3, "kicked", "1002"],
    ] as const)
      await audit.record({ id: `id-${n}`, at: t0 + n * 1000, callId: "call-9", number: "112", event, party });
    const res = await client.get("/admin/emergency/calls/call-9");
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      [...res.body.matchAll(/<tr data-event="([a-z-]+)">/g)].map((m) => m[1]),
      ["started", "ringing", "answered", "kicked"],
    );
    assert.match(res.body, /This call has ended/);
    assert.equal((await client.get("/admin/emergency/calls/nope")).statusCode, 404);
  });

  test("a member who is not an admin gets 403 pages and cannot post", async () => {
    await setUp();
    const alice = new PortalClient(f.app);
    await alice.login(ALICE.extension, ALICE.password);
    for (const url of ["/admin/emergency", "/admin/emergency/calls/call-9"]) {
      const res = await alice.get(url);
      assert.equal(res.statusCode, 403, url);
    }
    await alice.get("/merchants");
    const post = await alice.post("/admin/emergency/numbers", {
      _csrf: alice.csrf,
      number: "5400",
      users: "1002",
    });
    assert.equal(post.statusCode, 403);
    assert.equal(service.number("5400"), undefined);
  });
});
