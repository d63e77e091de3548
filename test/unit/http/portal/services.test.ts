import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import type { SubscriberDirectory } from "../../../../src/directory/index.ts";
import type {
  PortalBackgroundCalls,
  PortalCallRecord,
  PortalRecording,
  PortalVoicemail,
} from "../../../../src/http/portal/services/service-ports.ts";
import type { VoicemailNode } from "../../../../src/node/voicemail-node.ts";
import type { BackgroundCallService, CallbackJob } from "../../../../src/services/background-call/index.ts";
import { MemoryRecordingSubscriptions } from "../../../../src/services/recording/index.ts";
import {
  type DeliveryReport,
  MemorySignatureStore,
  type OutgoingVoiceMessage,
} from "../../../../src/services/voicemail/index.ts";
import { composeVoiceMessage } from "../../../../src/smtp/index.ts";
import { PNG, toneWav } from "../../../support/voicemail.ts";
import { ADMIN, ALICE, BOB, PortalClient, type PortalFixture, portalFixture } from "./portal-fixture.ts";

const DOMAIN = "pbx.example.com";
const alice = `${ALICE.extension}@${DOMAIN}`;
const bob = `${BOB.extension}@${DOMAIN}`;

// The services' own objects fit the portal's ports (node/ passes them as they are).
const _vm: (n: VoicemailNode) => PortalVoicemail = (n) => n;
const _bg: (s: BackgroundCallService) => PortalBackgroundCalls = (s) => s;
const _dir: (d: SubscriberDirectory) => PortalRecording["directory"] = (d) => d;

class FakeDelivery {
  readonly sent: OutgoingVoiceMessage[] = [];

  async send(message: OutgoingVoiceMessage): Promise<DeliveryReport> {
    this.sent.push(message);
    return {
      messageId: "m1@pbx.example.com",
      signature: "attached",
      recipients: message.recipients.map((address) => ({
        address,
        outcome: address.endsWith(DOMAIN) ? "filed" : "no-route",
      })),
    };
  }
}

class FakeBackgroundCalls implements PortalBackgroundCalls {
  readonly jobs = new Map<string, CallbackJob>();
  readonly stops: Array<{ id: string; by: string }> = [];
  offer: { caller: string; callee: string } | undefined;
  refusal: (Error & { code: string }) | undefined;
  readonly settings = { offerThreshold: 3 };
  readonly offers = {
    hasOffer: (caller: string) => this.offer?.caller === caller,
    accept: (caller: string) => {
      const open = this.offer?.caller === caller ? this.offer.callee : undefined;
      this.offer = undefined;
      return open;
    },
  };

  async begin(request: { caller: string; callee: string; origin: CallbackJob["origin"] }) {
    if (this.refusal) throw this.refusal;
    const callee = request.callee.includes("@") ? request.callee : `${request.callee}@${DOMAIN}`;
    const job: CallbackJob = {
      id: `B${randomUUID().slice(0, 8)}`,
      caller: request.caller,
      callee,
      origin: request.origin,
      state: "trying",
      attempts: 1,
      maxAttempts: 10,
      retryIntervalSeconds: 60,
      deadline: 2_000_000_000_000,
      nextAttemptAt: 1_700_000_060_000,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      log: [],
    };
    this.jobs.set(job.id, job);
    return structuredClone(job);
  }

  async stop(id: string, by: string) {
    const job = this.jobs.get(id);
    if (job) {
      job.state = "stopped";
      delete job.nextAttemptAt;
      this.stops.push({ id, by });
    }
    return job;
  }

  async get(id: string) {
    return this.jobs.get(id);
  }

  async list(query: { caller?: string; limit: number }) {
    return [...this.jobs.values()].filter((j) => query.caller === undefined || j.caller === query.caller);
  }
}

/** A multipart/form-data body, as a browser sends it (an empty file input is an empty file part). */
function multipart(fields: Record<string, string>, files: Record<string, { name: string; data: Buffer }>) {
  const boundary = `----parley${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  for (const [name, file] of Object.entries(files)) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
      ),
      file.data,
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(
  client: PortalClient,
  url: string,
  fields: Record<string, string>,
  files: Record<string, { name: string; data: Buffer }> = {},
) {
  const body = multipart(fields, files);
  const res = await client.app.inject({
    method: "POST",
    url,
    payload: body.payload,
    headers: {
      "content-type": body.contentType,
      ...(client.session !== undefined && { cookie: `parley_session=${client.session}` }),
    },
  });
  if (String(res.headers["content-type"] ?? "").startsWith("text/html")) client.lastHtml = res.body;
  return res;
}

describe("portal pages of services 1 to 3", () => {
  let f: PortalFixture;
  const subscriptions = new MemoryRecordingSubscriptions();
  const signatures = new MemorySignatureStore();
  const delivery = new FakeDelivery();
  const background = new FakeBackgroundCalls();
  const history: PortalCallRecord[] = [];
  const inbox: Buffer[] = [];
  let directory: SubscriberDirectory | undefined;
  const dir = () => {
    if (!directory) throw new Error("no directory yet");
    return directory;
  };

  before(async () => {
    f = await portalFixture({
      // The fixture makes the directory; the port reaches it once it exists.
      recording: {
        subscriptions,
        directory: {
          findUser: (extension, domain) => dir().findUser(extension, domain),
          updateUser: (id, changes) => dir().updateUser(id, changes),
        },
      },
      voicemail: () => ({
        service: { delivery },
        signatures,
        store: {
          messages: async () =>
            inbox.map((_, i) => ({
              uid: i + 1,
              flags: i === 0 ? ["\\Seen"] : [],
              internalDate: new Date(0),
            })),
          source: async (_user, _box, uid) => inbox[uid - 1],
        },
      }),
      backgroundCalls: () => background,
      callHistory: { list: async () => history },
    });
    directory = f.directory.directory;
  });
  after(async () => {
    await f.close();
  });

  const login = async (who: { extension: string; password: string }) => {
    const client = new PortalClient(f.app);
    await client.login(who.extension, who.password);
    return client;
  };

  describe("recording", () => {
    beforeEach(async () => {
      await subscriptions.set(alice, { policy: "outgoing", announce: true });
      const user = await dir().findUser(ALICE.extension);
      if (user) await dir().updateUser(user.id, { features: { recording: true } });
    });

    test("a user sees their own subscription read-only and cannot change it (403)", async () => {
      const client = await login(ALICE);
      const res = await client.get("/recording");
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /<dd id="recording-enabled">On<\/dd>/);
      assert.match(res.body, /<dd id="recording-policy">Calls made<\/dd>/);
      assert.match(res.body, /Both parties hear that the call is recorded/);
      assert.doesNotMatch(res.body, /method="post" action="\/recording/);
      assert.equal((await client.get(`/recording/${encodeURIComponent(alice)}`)).statusCode, 403);
      await client.get("/recording");
      const post = await client.post(`/recording/${encodeURIComponent(alice)}`, {
        policy: "both",
        _csrf: client.csrf,
      });
      assert.equal(post.statusCode, 403);
      assert.deepEqual(await subscriptions.get(alice), { policy: "outgoing", announce: true });
      assert.equal((await dir().findUser(ALICE.extension))?.features.recording, true);
    });

    test("an admin sets a user's feature flag, policy and announcement", async () => {
      const admin = await login(ADMIN);
      const pick = await admin.get(`/recording?user=${ALICE.extension}`);
      assert.equal(pick.statusCode, 303);
      assert.equal(pick.headers.location, `/recording/${ALICE.extension}`);
      const form = await admin.get(`/recording/${ALICE.extension}`);
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /<label for="policy">Which calls<\/label>/);
      assert.match(form.body, /<input id="enabled" name="enabled" type="checkbox" value="on" checked>/);
      const saved = await admin.post(`/recording/${encodeURIComponent(alice)}`, {
        policy: "incoming",
        _csrf: admin.csrf,
      });
      assert.equal(saved.statusCode, 303);
      assert.equal(saved.headers.location, `/recording/${encodeURIComponent(alice)}?saved=1`);
      assert.deepEqual(await subscriptions.get(alice), { policy: "incoming", announce: false });
      assert.equal((await dir().findUser(ALICE.extension))?.features.recording, false);
      const page = await admin.get(String(saved.headers.location));
      assert.match(page.body, /Saved\./);
      assert.match(page.body, /<dd id="recording-enabled">Off<\/dd>/);
      assert.equal((await admin.get("/recording/nobody")).statusCode, 404);
    });

    test("the admin form without the CSRF token is 403 and changes nothing", async () => {
      const admin = await login(ADMIN);
      const res = await admin.post(`/recording/${encodeURIComponent(alice)}`, { policy: "both" });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(await subscriptions.get(alice), { policy: "outgoing", announce: true });
    });
  });

  describe("voicemail", () => {
    beforeEach(async () => {
      await signatures.remove(alice);
      delivery.sent.length = 0;
    });

    test("a signature upload (text, WAV, PNG) stores all three parts, and the page shows and serves them", async () => {
      const client = await login(ALICE);
      const page = await client.get("/voicemail/signature");
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<label for="voice">Voice clip<\/label>/);
      assert.match(page.body, /enctype="multipart\/form-data"/);
      const wav = toneWav(600, 1);
      const res = await upload(
        client,
        "/voicemail/signature",
        { _csrf: client.csrf, text: "Alice <Martin>" },
        { voice: { name: "me.wav", data: wav }, image: { name: "me.png", data: PNG } },
      );
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, "/voicemail/signature?saved=1");
      const stored = await signatures.get(alice);
      assert.equal(stored?.text, "Alice <Martin>");
      assert.equal(stored?.voice?.toString("latin1", 0, 4), "RIFF");
      assert.equal(stored?.voice?.length, wav.length, "an 8 kHz mono WAV stays the same size");
      assert.deepEqual(stored?.image, { contentType: "image/png", data: PNG });
      const shown = await client.get("/voicemail/signature?saved=1");
      assert.match(shown.body, /Signature saved\./);
      assert.match(shown.body, /<dd id="signature-text">Alice &lt;Martin&gt;<\/dd>/);
      assert.match(shown.body, /<audio controls preload="none" src="\/voicemail\/signature\/voice.wav"/);
      assert.match(shown.body, /<img src="\/voicemail\/signature\/image" alt="Your signature image"/);
      const voice = await client.get("/voicemail/signature/voice.wav");
      assert.equal(voice.headers["content-type"], "audio/wav");
      assert.equal(voice.rawPayload.length, wav.length);
      const image = await client.get("/voicemail/signature/image");
      assert.equal(image.headers["content-type"], "image/png");
      assert.deepEqual(image.rawPayload, PNG);

      // A new text alone keeps the clip and the image; "remove" drops the whole signature.
      await client.get("/voicemail/signature");
      const again = await upload(
        client,
        "/voicemail/signature",
        { _csrf: client.csrf, text: "Alice" },
        { voice: { name: "", data: Buffer.alloc(0) }, image: { name: "", data: Buffer.alloc(0) } },
      );
      assert.equal(again.statusCode, 303);
      const kept = await signatures.get(alice);
      assert.equal(kept?.text, "Alice");
      assert.ok(kept?.voice && kept.image, "the clip and the image are kept");
      await client.get("/voicemail/signature");
      const removed = await client.post("/voicemail/signature/remove", { _csrf: client.csrf });
      assert.equal(removed.statusCode, 303);
      assert.equal(await signatures.get(alice), undefined);
      assert.equal((await client.get("/voicemail/signature/image")).statusCode, 404);
    });

    test("an image that is not PNG or JPEG is refused with a message and nothing is stored", async () => {
      const client = await login(ALICE);
      await client.get("/voicemail/signature");
      const res = await upload(
        client,
        "/voicemail/signature",
        { _csrf: client.csrf, text: "Alice" },
        { image: { name: "evil.png", data: Buffer.from("GIF89a not a png") } },
      );
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /role="alert" id="signature-error">The image must be a PNG or JPEG file\.</);
      assert.equal(await signatures.get(alice), undefined);
      const audio = await upload(
        client,
        "/voicemail/signature",
        { _csrf: client.csrf },
        { voice: { name: "x.wav", data: Buffer.from("hello") } },
      );
      assert.equal(audio.statusCode, 400);
      assert.match(audio.body, /The voice clip must be a WAV or MP3 file\./);
    });

    test("a voice message goes out with the logged-in user as sender, and the page shows each recipient's outcome", async () => {
      const client = await login(ALICE);
      const form = await client.get("/voicemail/send");
      assert.match(form.body, /<label for="recipients">To<\/label>/);
      const res = await upload(
        client,
        "/voicemail/send",
        { _csrf: client.csrf, recipients: `${BOB.extension}, carol@elsewhere.example`, urgent: "on" },
        { audio: { name: "hello.wav", data: toneWav(440, 2) } },
      );
      assert.equal(res.statusCode, 200, res.body);
      const sent = delivery.sent[0];
      assert.deepEqual(sent?.sender, { user: alice, address: alice });
      assert.deepEqual(sent?.recipients, [bob, "carol@elsewhere.example"]);
      assert.equal(sent?.urgent, true);
      assert.equal(sent?.callerId, ALICE.extension);
      assert.equal(sent?.durationSeconds, 2);
      assert.match(res.body, new RegExp(`<li data-outcome="filed">${bob}: delivered to the mailbox</li>`));
      assert.match(res.body, /carol@elsewhere.example: not delivered/);
      assert.match(res.body, /Your signature was attached\./);
    });

    test("a bad recipient or a missing recording brings the form back with a message, sending nothing", async () => {
      const client = await login(ALICE);
      await client.get("/voicemail/send");
      const res = await upload(
        client,
        "/voicemail/send",
        { _csrf: client.csrf, recipients: "bob@" },
        { audio: { name: "hello.wav", data: toneWav(440) } },
      );
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /is not a mailbox/);
      assert.match(res.body, /value="bob@"/);
      const none = await upload(client, "/voicemail/send", { _csrf: client.csrf, recipients: "1002" });
      assert.equal(none.statusCode, 400);
      assert.match(none.body, /Choose a recording/);
      assert.equal(delivery.sent.length, 0);
    });

    test("the inbox lists the user's messages newest first with sender, date, urgency and signature parts", async () => {
      inbox.length = 0;
      inbox.push(
        composeVoiceMessage({
          messageId: "old@pbx.example.com",
          from: { address: bob },
          to: [{ address: alice }],
          date: new Date("2025-03-01T10:00:00Z"),
          caller: { id: "1002", name: "Bob <B>" },
          durationSeconds: 7,
          audio: toneWav(440),
        }),
        composeVoiceMessage({
          messageId: "new@pbx.example.com",
          from: { address: bob },
          to: [{ address: alice }],
          date: new Date("2025-03-02T11:30:00Z"),
          caller: { id: "+15550001" },
          durationSeconds: 65,
          urgent: true,
          audio: toneWav(440),
          signature: { text: "Bob", image: { data: PNG, contentType: "image/png" } },
        }),
      );
      const client = await login(ALICE);
      const res = await client.get("/voicemail");
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /2 messages/);
      const newer = res.body.indexOf("+15550001");
      const older = res.body.indexOf("Bob &lt;B&gt; · 1002");
      assert.ok(newer > 0 && older > newer, "newest first, names escaped");
      assert.match(
        res.body,
        /2025-03-02 11:30 UTC<\/time>, 1 min 5 s, <strong>urgent<\/strong>, <strong>new<\/strong>/,
      );
      assert.match(res.body, /Signature: text, image/);
      assert.match(res.body, /2025-03-01 10:00 UTC<\/time>, 7 s<\/p>/);
      inbox.length = 0;
    });

    test("upload forms without the CSRF token (or without a session) are 403 and change nothing", async () => {
      const client = await login(ALICE);
      const files = { image: { name: "me.png", data: PNG } };
      assert.equal((await upload(client, "/voicemail/signature", { text: "x" }, files)).statusCode, 403);
      assert.equal(
        (await upload(client, "/voicemail/signature", { text: "x", _csrf: "wrong" }, files)).statusCode,
        403,
      );
      const audio = { audio: { name: "a.wav", data: toneWav(440) } };
      assert.equal((await upload(client, "/voicemail/send", { recipients: "1002" }, audio)).statusCode, 403);
      assert.equal((await client.post("/voicemail/signature/remove", {})).statusCode, 403);
      const anonymous = new PortalClient(f.app);
      await anonymous.get("/login");
      const res = await upload(
        anonymous,
        "/voicemail/signature",
        { _csrf: anonymous.csrf, text: "x" },
        files,
      );
      assert.equal(res.statusCode, 403);
      assert.equal(await signatures.get(alice), undefined);
      assert.equal(delivery.sent.length, 0);
    });

    test("a file over 5 MB is refused with 413", async () => {
      const client = await login(ALICE);
      await client.get("/voicemail/signature");
      const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024 + 1)]);
      const res = await upload(
        client,
        "/voicemail/signature",
        { _csrf: client.csrf },
        { image: { name: "big.png", data: big } },
      );
      assert.equal(res.statusCode, 413);
      assert.match(res.body, /at most 5 MB/);
    });
  });

  describe("background calls", () => {
    beforeEach(() => {
      background.jobs.clear();
      background.stops.length = 0;
      background.offer = undefined;
      background.refusal = undefined;
      history.length = 0;
    });

    test("a user starts a background call, sees it with its state and next attempt, and stops it", async () => {
      const client = await login(ALICE);
      const empty = await client.get("/background-calls");
      assert.equal(empty.statusCode, 200);
      assert.match(empty.body, /<label for="callee">Number to keep trying<\/label>/);
      const started = await client.post("/background-calls", { callee: "1003", _csrf: client.csrf });
      assert.equal(started.statusCode, 303);
      assert.equal(started.headers.location, "/background-calls?started=1003");
      const [job] = [...background.jobs.values()];
      assert.deepEqual([job?.caller, job?.callee, job?.origin], [alice, `1003@${DOMAIN}`, "portal"]);
      const page = await client.get("/background-calls?started=1003");
      assert.match(page.body, /Parley keeps trying 1003/);
      assert.match(page.body, new RegExp(`data-job="${job?.id}" data-state="trying"`));
      assert.match(page.body, /1 of 10/);
      assert.match(page.body, /<time datetime="2023-11-14T22:14:20.000Z">2023-11-14 22:14 UTC<\/time>/);
      const stopped = await client.post(`/background-calls/${job?.id}/stop`, { _csrf: client.csrf });
      assert.equal(stopped.statusCode, 303);
      assert.deepEqual(background.stops, [{ id: job?.id, by: `portal (${alice})` }]);
      const after = await client.get(String(stopped.headers.location));
      assert.match(after.body, /The background call to 1003 is stopped\./);
      assert.match(after.body, /data-state="stopped"/);
      assert.doesNotMatch(after.body, />Stop<\/button>/);
    });

    test("another user's job cannot be stopped or seen (404)", async () => {
      const job = await background.begin({ caller: bob, callee: "1003", origin: "api" });
      const client = await login(ALICE);
      const page = await client.get("/background-calls");
      assert.doesNotMatch(page.body, new RegExp(job.id));
      const res = await client.post(`/background-calls/${job.id}/stop`, { _csrf: client.csrf });
      assert.equal(res.statusCode, 404);
      assert.equal(background.stops.length, 0);
      assert.equal(
        (await client.post("/background-calls/Bnope/stop", { _csrf: client.csrf })).statusCode,
        404,
      );
    });

    test("a refusal from the service comes back on the page with 409", async () => {
      background.refusal = Object.assign(new Error("a background call from you to 1003 is already running"), {
        code: "CALLBACK_DUPLICATE",
      });
      const client = await login(ALICE);
      await client.get("/background-calls");
      const res = await client.post("/background-calls", { callee: "1003", _csrf: client.csrf });
      assert.equal(res.statusCode, 409);
      assert.match(
        res.body,
        /role="alert" id="background-error">a background call from you to 1003 is already running</,
      );
    });

    test("the offer shows as a notification naming the callee; its button starts the background call", async () => {
      background.offer = { caller: alice, callee: bob };
      for (let i = 0; i < 3; i++)
        history.push({
          id: `C${i}`,
          kind: "inbound",
          to: "1002",
          caller: alice,
          startedAt: 1_700_000_000_000 - i,
          disposition: "no-answer",
        });
      const client = await login(ALICE);
      const page = await client.get("/background-calls");
      assert.match(page.body, /<h2 id="offer-heading">1002 did not answer 3 times — keep trying\?<\/h2>/);
      assert.match(page.body, /<button type="submit" aria-label="Keep trying 1002">Keep trying<\/button>/);
      const res = await client.post("/background-calls/offer", { _csrf: client.csrf });
      assert.equal(res.statusCode, 303);
      const [job] = [...background.jobs.values()];
      assert.deepEqual([job?.caller, job?.callee, job?.origin], [alice, bob, "offer"]);
      const after = await client.get("/background-calls");
      assert.doesNotMatch(after.body, /id="offer"/);
      const expired = await client.post("/background-calls/offer", {
        _csrf: after.statusCode ? client.csrf : "",
      });
      assert.equal(expired.statusCode, 409);
      assert.match(expired.body, /The offer has expired\./);
    });

    test("background-call forms without the CSRF token are 403 and do nothing", async () => {
      const job = await background.begin({ caller: alice, callee: "1003", origin: "api" });
      background.offer = { caller: alice, callee: bob };
      const client = await login(ALICE);
      assert.equal((await client.post("/background-calls", { callee: "1004" })).statusCode, 403);
      assert.equal((await client.post(`/background-calls/${job.id}/stop`, {})).statusCode, 403);
      assert.equal((await client.post("/background-calls/offer", {})).statusCode, 403);
      assert.equal(background.jobs.size, 1);
      assert.equal(background.stops.length, 0);
      assert.ok(background.offer, "the offer is still open");
    });
  });

  test("the navigation links the services' pages, and without the services they are 503 pages", async () => {
    const client = await login(ALICE);
    const page = await client.get("/voicemail");
    assert.match(page.body, /<a href="\/background-calls">Background calls<\/a>/);
    assert.match(page.body, /<a href="\/recording">Recording<\/a>/);
    const bare = await portalFixture();
    try {
      const other = new PortalClient(bare.app);
      await other.login(ALICE.extension, ALICE.password);
      for (const url of [
        "/recording",
        "/voicemail",
        "/voicemail/signature",
        "/voicemail/send",
        "/background-calls",
      ])
        assert.equal((await other.get(url)).statusCode, 503, url);
    } finally {
      await bare.close();
    }
  });
});
