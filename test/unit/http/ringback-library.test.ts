import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { User } from "../../../src/directory/index.ts";
import { buildHttpServer } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import { readWav } from "../../../src/media/index.ts";
import {
  MemoryRecordingSubscriptions,
  RingbackTones,
  ringbackPath,
} from "../../../src/services/recording/index.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";
import { dominantTone } from "../../support/tone-probe.ts";

const LIBRARY = fileURLToPath(new URL("../../../assets/ringback/", import.meta.url));
const DOMAIN = "pbx.example.com";

let f: DirectoryFixture;
let app: FastifyInstance;
let dir: string;
let alice: User;
let bob: User;
const secrets = { admin: "", alice: "" };

before(async () => {
  f = await openFixture("sqlite::memory:");
  dir = mkdtempSync(join(tmpdir(), "parley-ringback-library-"));
  alice = (await f.directory.addUser({ extension: "1001" })).user;
  bob = (await f.directory.addUser({ extension: "1002" })).user;
  secrets.admin = (await f.tokens.issue({ name: "ops", admin: true })).secret;
  secrets.alice = (await f.tokens.issue({ name: "alice", admin: false, user: `1001@${DOMAIN}` })).secret;
  app = await buildHttpServer({
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    directory: f.directory,
    tokens: f.tokens,
    version: "test",
    ready: async () => {},
    recordingSubscriptions: new MemoryRecordingSubscriptions(),
    ringbackTones: new RingbackTones({ directory: join(dir, "ringback"), library: LIBRARY }),
  });
});
after(async () => {
  await app?.close();
  await f?.database.close();
});

const call = (method: "GET" | "PUT", url: string, token: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

test("the shipped library lists its tones, and a user picks one for themselves (a copy)", async () => {
  const listed = await call("GET", "/api/v1/ringback-library", secrets.alice);
  assert.equal(listed.statusCode, 200);
  const tones = (listed.json() as { tones: Array<{ name: string; durationMs: number }> }).tones;
  assert.deepEqual(
    tones.map((t) => t.name),
    ["calm", "chime", "classic"],
  );
  assert.equal(tones.find((t) => t.name === "classic")?.durationMs, 6000);

  const chosen = await call("PUT", `/api/v1/users/${alice.id}/ringback/library`, secrets.alice, {
    name: "classic",
  });
  assert.equal(chosen.statusCode, 200, chosen.body);
  const file = ringbackPath(join(dir, "ringback"), `1001@${DOMAIN}`);
  assert.deepEqual(readFileSync(file), readFileSync(join(LIBRARY, "classic.wav")));
  const wav = readWav(file);
  assert.equal(wav.sampleRate, 8000);
  const samples = wav.samples[0] ?? new Int16Array();
  // The classic tone is 440 + 480 Hz for its first 2 s.
  const onset = samples.subarray(1000, 9000);
  const found = dominantTone(onset, 8000, [440, 480, 1000, 2000]);
  assert.ok(
    found.frequency === 440 || found.frequency === 480,
    `classic is 440 + 480 Hz: ${found.frequency}`,
  );
});

test("an unknown or unsafe name is refused, and a user cannot pick for someone else", async () => {
  const unknown = await call("PUT", `/api/v1/users/${alice.id}/ringback/library`, secrets.alice, {
    name: "nope",
  });
  assert.equal(unknown.statusCode, 404);
  const unsafe = await call("PUT", `/api/v1/users/${alice.id}/ringback/library`, secrets.alice, {
    name: "../x",
  });
  assert.equal(unsafe.statusCode, 400);
  const other = await call("PUT", `/api/v1/users/${bob.id}/ringback/library`, secrets.alice, {
    name: "calm",
  });
  assert.equal(other.statusCode, 403);
  assert.equal(existsSync(ringbackPath(join(dir, "ringback"), `1002@${DOMAIN}`)), false);
  const byAdmin = await call("PUT", `/api/v1/users/${bob.id}/ringback/library`, secrets.admin, {
    name: "calm",
  });
  assert.equal(byAdmin.statusCode, 200);
});
