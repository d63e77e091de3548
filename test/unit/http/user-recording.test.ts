import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import type { User } from "../../../src/directory/index.ts";
import { buildHttpServer } from "../../../src/http/index.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { createMetricsRegistry } from "../../../src/kernel/metrics.ts";
import { readWav, wavHeader } from "../../../src/media/index.ts";
import {
  MemoryRecordingSubscriptions,
  RingbackTones,
  ringbackPath,
} from "../../../src/services/recording/index.ts";
import { type DirectoryFixture, openFixture } from "../../support/directory-fixture.ts";
import { dominantTone, rms, sineFrame } from "../../support/tone-probe.ts";

const DOMAIN = "pbx.example.com";
const MP3 = new URL("../../fixtures/audio/tone-1khz-44100-stereo.mp3", import.meta.url);
const CANDIDATES = [440, 1000, 2000, 3000];

/** 16-bit PCM WAV from channels of equal length. */
function wav(sampleRate: number, channels: Int16Array[]): Buffer {
  const frames = channels[0]?.length ?? 0;
  const data = Buffer.alloc(frames * channels.length * 2);
  for (let i = 0, at = 0; i < frames; i++) {
    for (const channel of channels) {
      data.writeInt16LE(channel[i] ?? 0, at);
      at += 2;
    }
  }
  return Buffer.concat([wavHeader(sampleRate, channels.length, data.length), data]);
}

describe("REST API: recording subscriptions and ring-back tones", () => {
  let f: DirectoryFixture;
  let app: FastifyInstance;
  let dir: string;
  let alice: User;
  let bob: User;
  let tones: RingbackTones;
  const subscriptions = new MemoryRecordingSubscriptions();
  const secrets = { admin: "", alice: "", bob: "" };

  before(async () => {
    f = await openFixture("sqlite::memory:");
    dir = mkdtempSync(join(tmpdir(), "parley-ringback-api-"));
    tones = new RingbackTones({ directory: join(dir, "ringback") });
    alice = (await f.directory.addUser({ extension: "1001" })).user;
    bob = (await f.directory.addUser({ extension: "1002" })).user;
    secrets.admin = (await f.tokens.issue({ name: "ops", admin: true })).secret;
    secrets.alice = (await f.tokens.issue({ name: "alice", admin: false, user: `1001@${DOMAIN}` })).secret;
    secrets.bob = (await f.tokens.issue({ name: "bob", admin: false, user: `1002@${DOMAIN}` })).secret;
    app = await buildHttpServer({
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      directory: f.directory,
      tokens: f.tokens,
      version: "0.0.0-test",
      ready: async () => {},
      recordingSubscriptions: subscriptions,
      ringbackTones: tones,
    });
  });
  after(async () => {
    await app.close();
    await f.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (
    method: "GET" | "PUT" | "DELETE",
    url: string,
    token: string,
    body?: { type: string; payload: Buffer | string | object },
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body && { "content-type": body.type }),
        ...headers,
      },
      ...(body && { payload: body.payload as string }),
    });
  const json = (payload: object) => ({ type: "application/json", payload });

  test("a user's subscription defaults to both directions, no announcement, off", async () => {
    const res = await request("GET", `/api/v1/users/${alice.id}/recording`, secrets.admin);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { policy: "both", announce: false, enabled: false });
  });

  test("admins set the subscription; enabled is the user's recording feature flag", async () => {
    const url = `/api/v1/users/${alice.id}/recording`;
    const set = await request(
      "PUT",
      url,
      secrets.admin,
      json({ policy: "outgoing", announce: true, enabled: true }),
    );
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json(), { policy: "outgoing", announce: true, enabled: true });
    assert.equal((await f.directory.getUser(alice.id)).features.recording, true);
    assert.deepEqual(await subscriptions.get(`1001@${DOMAIN}`), { policy: "outgoing", announce: true });

    const off = await request(
      "PUT",
      url,
      secrets.admin,
      json({ policy: "both", announce: false, enabled: false }),
    );
    assert.deepEqual(off.json(), { policy: "both", announce: false, enabled: false });
    assert.equal((await f.directory.getUser(alice.id)).features.recording, false);

    const bad = await request(
      "PUT",
      url,
      secrets.admin,
      json({ policy: "sometimes", announce: false, enabled: true }),
    );
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, "HTTP_VALIDATION");
  });

  test("a user token reads its own subscription only, and cannot change it", async () => {
    await subscriptions.set(`1001@${DOMAIN}`, { policy: "incoming", announce: true });
    const own = await request("GET", `/api/v1/users/${alice.id}/recording`, secrets.alice);
    assert.equal(own.statusCode, 200);
    assert.deepEqual(own.json(), { policy: "incoming", announce: true, enabled: false });
    const other = await request("GET", `/api/v1/users/${bob.id}/recording`, secrets.alice);
    assert.equal(other.statusCode, 403);
    assert.equal(other.json().error.code, "HTTP_FORBIDDEN");
    const change = await request(
      "PUT",
      `/api/v1/users/${alice.id}/recording`,
      secrets.alice,
      json({ policy: "both", announce: false, enabled: true }),
    );
    assert.equal(change.statusCode, 403);
    assert.equal((await f.directory.getUser(alice.id)).features.recording, false);
    const unknown = await request("GET", "/api/v1/users/nobody/recording", secrets.admin);
    assert.equal(unknown.statusCode, 404);
  });

  test("a 44.1 kHz stereo WAV becomes an 8 kHz mono 16-bit tone where the recording service looks", async () => {
    // One second: 1 kHz on the left, silence on the right; the mono mix is 1 kHz at half level.
    const left = sineFrame(1000, 44_100, 44_100, 0.5);
    const upload = wav(44_100, [left, new Int16Array(44_100)]);
    const res = await request("PUT", `/api/v1/users/${alice.id}/ringback`, secrets.alice, {
      type: "audio/wav",
      payload: upload,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { user: `1001@${DOMAIN}`, sizeBytes: 44 + 16_000, durationMs: 1000 });

    const path = ringbackPath(join(dir, "ringback"), `1001@${DOMAIN}`);
    assert.equal(tones.path(`1001@${DOMAIN}`), path);
    const stored = readWav(path);
    assert.equal(stored.sampleRate, 8000);
    assert.equal(stored.channels, 1);
    assert.equal(stored.bitsPerSample, 16);
    assert.equal(stored.samples[0]?.length, 8000);
    const mono = stored.samples[0] as Int16Array;
    const tone = dominantTone(mono.subarray(800, 7200), 8000, CANDIDATES);
    assert.equal(tone.frequency, 1000);
    assert.ok(tone.ratio > 100, `1 kHz dominates (${tone.ratio})`);
    const level = rms(mono.subarray(800, 7200)) / rms(left);
    assert.ok(level > 0.4 && level < 0.6, `left and right are averaged (${level})`);
    assert.deepEqual(readdirSync(join(dir, "ringback")), [`1001@${DOMAIN}.wav`], "no temporary file is left");

    const download = await request("GET", `/api/v1/users/${alice.id}/ringback`, secrets.alice);
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers["content-type"], "audio/wav");
    assert.ok(download.rawPayload.equals(readFileSync(path)));
    const part = await request("GET", `/api/v1/users/${alice.id}/ringback`, secrets.admin, undefined, {
      range: "bytes=-16",
    });
    assert.equal(part.statusCode, 206);
    assert.ok(part.rawPayload.equals(readFileSync(path).subarray(-16)));
  });

  test("an MP3 (44.1 kHz stereo) is decoded and stored as 8 kHz mono", async () => {
    const res = await request("PUT", `/api/v1/users/${bob.id}/ringback`, secrets.admin, {
      type: "audio/mpeg",
      payload: readFileSync(MP3),
    });
    assert.equal(res.statusCode, 200, res.body);
    const { durationMs } = res.json();
    assert.ok(durationMs >= 450 && durationMs <= 650, `about the fixture's 0.5 s (${durationMs} ms)`);
    const stored = readWav(tones.path(`1002@${DOMAIN}`));
    assert.equal(stored.sampleRate, 8000);
    assert.equal(stored.channels, 1);
    const mono = stored.samples[0] as Int16Array;
    const tone = dominantTone(mono.subarray(1000, 3400), 8000, CANDIDATES);
    assert.equal(tone.frequency, 1000);
    assert.ok(tone.ratio > 100, `1 kHz dominates (${tone.ratio})`);
  });

  test("a user token uploads, reads and removes only its own tone", async () => {
    const upload = { type: "audio/wav", payload: wav(8000, [sineFrame(440, 8000, 800)]) };
    const other = await request("PUT", `/api/v1/users/${bob.id}/ringback`, secrets.alice, upload);
    assert.equal(other.statusCode, 403);
    assert.equal((await request("GET", `/api/v1/users/${bob.id}/ringback`, secrets.alice)).statusCode, 403);
    assert.equal(
      (await request("DELETE", `/api/v1/users/${bob.id}/ringback`, secrets.alice)).statusCode,
      403,
    );
    assert.equal(tones.has(`1002@${DOMAIN}`), true, "bob's tone is untouched");
  });

  test("uploads that are not usable audio are refused and leave the previous tone in place", async () => {
    const url = `/api/v1/users/${alice.id}/ringback`;
    const before = readFileSync(tones.path(`1001@${DOMAIN}`));
    const garbage = await request("PUT", url, secrets.alice, {
      type: "audio/wav",
      payload: Buffer.from("not a wav"),
    });
    assert.equal(garbage.statusCode, 400);
    assert.equal(garbage.json().error.code, "MEDIA_AUDIO_DECODE");
    const eightBit = wav(8000, [new Int16Array(100)]);
    eightBit.writeUInt16LE(8, 34); // bits per sample
    assert.equal(
      (await request("PUT", url, secrets.alice, { type: "audio/wav", payload: eightBit })).statusCode,
      400,
    );
    const notMp3 = await request("PUT", url, secrets.alice, {
      type: "audio/mpeg",
      payload: Buffer.alloc(4096, 7),
    });
    assert.equal(notMp3.statusCode, 400);
    assert.equal(notMp3.json().error.code, "MEDIA_AUDIO_DECODE");
    const asJson = await request("PUT", url, secrets.alice, json({ audio: "..." }));
    assert.equal(asJson.statusCode, 415);
    const octets = await request("PUT", url, secrets.alice, {
      type: "application/octet-stream",
      payload: Buffer.alloc(10),
    });
    assert.equal(octets.statusCode, 415);
    const tooLarge = await request("PUT", url, secrets.alice, {
      type: "audio/wav",
      payload: Buffer.alloc(5 * 1024 * 1024 + 1),
    });
    assert.equal(tooLarge.statusCode, 413);
    assert.ok(readFileSync(tones.path(`1001@${DOMAIN}`)).equals(before));
  });

  test("removing the tone: 204, then 404 RINGBACK_NOT_FOUND", async () => {
    const url = `/api/v1/users/${alice.id}/ringback`;
    assert.equal((await request("DELETE", url, secrets.alice)).statusCode, 204);
    assert.equal(tones.has(`1001@${DOMAIN}`), false);
    const gone = await request("GET", url, secrets.alice);
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().error.code, "RINGBACK_NOT_FOUND");
    assert.equal((await request("DELETE", url, secrets.admin)).statusCode, 404);
  });
});
