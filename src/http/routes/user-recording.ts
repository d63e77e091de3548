import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import type { SubscriberDirectory } from "../../directory/index.ts";
import type { UploadedAudioType } from "../../media/index.ts";
import {
  DEFAULT_SUBSCRIPTION,
  type RecordingSubscriptions,
  type RingbackTones,
} from "../../services/recording/index.ts";
import { sendFile } from "../byte-ranges.ts";
import { HttpError } from "../errors.ts";
import { callerOf } from "../plugins/bearer-auth.ts";
import { errorResponses } from "../schemas.ts";

export interface UserRecordingRoutesOptions {
  directory: SubscriberDirectory;
  /** Recording subscriptions (policy, announcement); the routes answer 503 without them. */
  subscriptions?: RecordingSubscriptions;
  /** Personal ring-back tones; the routes answer 503 without them. */
  ringbackTones?: RingbackTones;
}

/** An uploaded tone may be this large (a minute of 44.1 kHz stereo WAV is 10 MB: send MP3). */
export const RINGBACK_UPLOAD_LIMIT = 5 * 1024 * 1024;
const AUDIO_TYPES: Readonly<Record<string, UploadedAudioType>> = {
  "audio/wav": "audio/wav",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "audio/vnd.wave": "audio/wav",
  "audio/mpeg": "audio/mpeg",
  "audio/mp3": "audio/mpeg",
};

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Policy = Type.Union([Type.Literal("outgoing"), Type.Literal("incoming"), Type.Literal("both")], {
  description: "Which calls are recorded: the ones the user makes, receives, or both.",
});
const Subscription = Type.Object(
  {
    policy: Policy,
    announce: Type.Boolean({ description: 'Both parties first hear "this call is being recorded".' }),
    enabled: Type.Boolean({ description: "The user's recording feature flag: off, nothing is recorded." }),
  },
  { additionalProperties: false, description: "A user's automatic call recording subscription." },
);
const Tone = Type.Object({
  user: Type.String({ description: "extension@domain" }),
  sizeBytes: Type.Integer(),
  durationMs: Type.Integer(),
});
const WavFile = {
  description: "The tone as stored: WAV, 8 kHz mono 16-bit.",
  content: { "audio/wav": { schema: { type: "string", contentMediaType: "audio/wav" } } },
};

/**
 * /api/v1/users/{id}/recording and /api/v1/users/{id}/ringback: the recording service's per-user
 * settings. Admins reach every user; a user token reaches its own user only, and may read but not
 * change its recording subscription.
 */
export const userRecordingRoutes: FastifyPluginAsyncTypebox<UserRecordingRoutesOptions> = async (
  app,
  { directory, subscriptions, ringbackTones },
) => {
  app.addContentTypeParser(
    Object.keys(AUDIO_TYPES),
    { parseAs: "buffer", bodyLimit: RINGBACK_UPLOAD_LIMIT },
    (_request, body, done) => done(null, body),
  );

  /** The user the path names, if the caller may reach them for this kind of access. */
  const target = async (request: FastifyRequest, id: string, access: "read" | "write" | "admin") => {
    const caller = callerOf(request);
    const found = await directory.getUserWithDomain(id);
    if (caller.admin) return found;
    if (access === "admin")
      throw new HttpError("HTTP_FORBIDDEN", "changing a subscription needs an admin token");
    if (found.key !== caller.user) {
      throw new HttpError("HTTP_FORBIDDEN", `a user token reaches only its own user (${caller.user})`);
    }
    return found;
  };
  const subscriptionStore = () => {
    if (!subscriptions) throw new HttpError("HTTP_UNAVAILABLE", "recording is not available on this node");
    return subscriptions;
  };
  const tones = () => {
    if (!ringbackTones)
      throw new HttpError("HTTP_UNAVAILABLE", "ring-back tones are not available on this node");
    return ringbackTones;
  };

  app.get(
    "/users/:id/recording",
    {
      schema: {
        tags: ["recordings"],
        summary: "A user's recording subscription",
        description: "Admin tokens, or the user's own token.",
        params: IdParams,
        response: { 200: Subscription, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { user, key } = await target(request, request.params.id, "read");
      const { policy, announce } = (await subscriptionStore().get(key)) ?? DEFAULT_SUBSCRIPTION;
      return { policy, announce, enabled: user.features.recording };
    },
  );

  app.put(
    "/users/:id/recording",
    {
      schema: {
        tags: ["recordings"],
        summary: "Set a user's recording subscription (admin token)",
        description:
          "`enabled` is the user's `features.recording` flag; policy and announce apply while it is on.",
        params: IdParams,
        body: Subscription,
        response: { 200: Subscription, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const store = subscriptionStore();
      const { user, key } = await target(request, request.params.id, "admin");
      const { policy, announce, enabled } = request.body;
      await store.set(key, { policy, announce });
      const updated =
        user.features.recording === enabled
          ? user
          : await directory.updateUser(user.id, { features: { recording: enabled } });
      return { policy, announce, enabled: updated.features.recording };
    },
  );

  app.put(
    "/users/:id/ringback",
    {
      bodyLimit: RINGBACK_UPLOAD_LIMIT,
      schema: {
        tags: ["recordings"],
        summary: "Upload a user's personal ring-back tone",
        description:
          "The raw file as the body, `Content-Type: audio/wav` (16-bit PCM, any rate, mono or stereo) or `audio/mpeg` (MP3), at most 5 MB and 300 s. It is stored converted to 8 kHz mono 16-bit WAV, replacing the previous tone; callers hear it while the user's phones ring. Admin tokens, or the user's own token.",
        params: IdParams,
        body: {
          content: {
            "audio/wav": { schema: { contentMediaType: "audio/wav", description: "A 16-bit PCM WAV file." } },
            "audio/mpeg": { schema: { contentMediaType: "audio/mpeg", description: "An MP3 file." } },
          },
        },
        response: { 200: Tone, ...errorResponses(400, 401, 403, 404, 413, 415, 503) },
      },
    },
    async (request) => {
      const store = tones();
      const { key } = await target(request, request.params.id, "write");
      const type =
        AUDIO_TYPES[(request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? ""];
      if (!type || !Buffer.isBuffer(request.body)) {
        throw new HttpError("HTTP_UNSUPPORTED_MEDIA_TYPE", "send the tone as audio/wav or audio/mpeg");
      }
      const sizeBytes = await store.save(key, request.body, type);
      // 8 kHz mono 16-bit: 16 bytes per millisecond after the 44-byte header.
      return { user: key, sizeBytes, durationMs: Math.round((sizeBytes - 44) / 16) };
    },
  );

  app.put(
    "/users/:id/ringback/library",
    {
      schema: {
        tags: ["recordings"],
        summary: "Give a user a ring-back tone from the library",
        description:
          "The tone is copied from the library (GET /ringback-library lists it). Admin tokens, or the user's own token.",
        params: IdParams,
        body: Type.Object({ name: Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" }) }),
        response: { 200: Tone, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const store = tones();
      const { key } = await target(request, request.params.id, "write");
      const sizeBytes = await store.choose(key, request.body.name);
      if (sizeBytes === undefined)
        throw new HttpError("RINGBACK_NOT_FOUND", `no tone ${request.body.name} in the library`);
      return { user: key, sizeBytes, durationMs: Math.round((sizeBytes - 44) / 16) };
    },
  );

  app.get(
    "/ringback-library",
    {
      schema: {
        tags: ["recordings"],
        summary: "The ring-back tones users may pick from",
        response: {
          200: Type.Object({
            tones: Type.Array(Type.Object({ name: Type.String(), durationMs: Type.Integer() })),
          }),
          ...errorResponses(401, 403, 503),
        },
      },
    },
    async () => ({ tones: tones().library() }),
  );

  app.get(
    "/users/:id/ringback",
    {
      schema: {
        tags: ["recordings"],
        summary: "Download a user's ring-back tone",
        description: "Admin tokens, or the user's own token. Range requests are served as for recordings.",
        produces: ["audio/wav", "application/json"],
        params: IdParams,
        response: { 200: WavFile, 206: WavFile, ...errorResponses(401, 403, 404, 416, 503) },
      },
    },
    async (request, reply) => {
      const store = tones();
      const { key } = await target(request, request.params.id, "read");
      return sendFile(request, reply, {
        path: store.path(key),
        contentType: "audio/wav",
        filename: `ringback-${key}.wav`,
        notFound: () => new HttpError("RINGBACK_NOT_FOUND", `${key} has no ring-back tone`),
      });
    },
  );

  app.delete(
    "/users/:id/ringback",
    {
      schema: {
        tags: ["recordings"],
        summary: "Remove a user's ring-back tone (callers hear the standard one again)",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const store = tones();
      const { key } = await target(request, request.params.id, "write");
      if (!(await store.remove(key)))
        throw new HttpError("RINGBACK_NOT_FOUND", `${key} has no ring-back tone`);
      return reply.status(204).send(null);
    },
  );
};
