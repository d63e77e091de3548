import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import type { Clock } from "../../kernel/clock.ts";
import { newId } from "../../kernel/ids.ts";
import type {
  RecordingAuditAction,
  RecordingAuditLog,
  RecordingAuditOutcome,
  RecordingFiles,
  RecordingQuery,
  RecordingRecord,
  RecordingStore,
} from "../../services/recording/index.ts";
import { sendRanged } from "../byte-ranges.ts";
import { HttpError } from "../errors.ts";
import { type Caller, callerOf } from "../plugins/bearer-auth.ts";
import { errorResponses } from "../schemas.ts";

export interface RecordingRoutesOptions {
  /** Recording metadata (the recording service writes it). */
  store: RecordingStore;
  /** Where the recordings are kept (recording.storage): read and removed by their `path`. */
  files: RecordingFiles;
  /** Where every access is written. */
  audit: RecordingAuditLog;
  clock: Clock;
}

const MAX_PAGE = 1000;
const isoTime = (description: string) => Type.String({ format: "date-time", description });
const UserKey = Type.String({
  minLength: 3,
  maxLength: 320,
  pattern: "^[^@\\s]+@[^@\\s]+$",
  description: "A local user as extension@domain.",
});
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

const Recording = Type.Object(
  {
    id: Type.String(),
    callId: Type.String({ description: "The call's id: its call detail record is /api/v1/cdrs/{callId}." }),
    caller: Type.String(),
    callee: Type.String(),
    owners: Type.Array(Type.String(), {
      description: "Local users on the call (extension@domain): they, and admins, may see the recording.",
    }),
    reason: Type.Union(
      [Type.Literal("caller"), Type.Literal("callee"), Type.Literal("on-demand"), Type.Literal("emergency")],
      { description: "Whose subscription recorded it, or on demand (*1), or an emergency call." },
    ),
    status: Type.Union(
      [Type.Literal("recording"), Type.Literal("saved"), Type.Literal("failed"), Type.Literal("interrupted")],
      { description: "recording while the call lasts; interrupted when the node died during it." },
    ),
    startedAt: Type.String({ format: "date-time" }),
    endedAt: Type.Optional(Type.String({ format: "date-time" })),
    durationMs: Type.Optional(Type.Integer()),
    sizeBytes: Type.Optional(Type.Integer()),
    sha256: Type.Optional(Type.String({ description: "SHA-256 of the WAV file, hex." })),
    error: Type.Optional(Type.String()),
    audio: Type.String({ description: "Where the audio is: GET it (Range requests welcome)." }),
  },
  { description: "A call recording: stereo WAV, 8 kHz 16-bit, caller left and callee right." },
);

const AuditEntry = Type.Object({
  id: Type.String(),
  at: Type.String({ format: "date-time" }),
  tokenId: Type.String(),
  tokenName: Type.String(),
  actor: Type.String({ description: 'extension@domain of a user token, or "admin".' }),
  action: Type.Union([
    Type.Literal("list"),
    Type.Literal("get"),
    Type.Literal("download"),
    Type.Literal("delete"),
  ]),
  recordingId: Type.Optional(Type.String()),
  filter: Type.Optional(Type.String({ description: "A list's filters, as JSON." })),
  outcome: Type.Union([
    Type.Literal("allowed"),
    Type.Literal("forbidden"),
    Type.Literal("not-found"),
    Type.Literal("conflict"),
  ]),
});

const WavBody = {
  description: "The WAV file, or the requested bytes of it.",
  content: { "audio/wav": { schema: { type: "string", contentMediaType: "audio/wav" } } },
};

/**
 * /api/v1/recordings: call recordings, for admins and for the users who were on the call (user
 * tokens see their own only). Every access is audited, refused ones included.
 */
export const recordingRoutes: FastifyPluginAsyncTypebox<{ recordings?: RecordingRoutesOptions }> = async (
  app,
  { recordings },
) => {
  const available = (): RecordingRoutesOptions => {
    if (!recordings) throw new HttpError("HTTP_UNAVAILABLE", "recordings are not available on this node");
    return recordings;
  };

  const audit = async (
    request: FastifyRequest,
    caller: Caller,
    action: RecordingAuditAction,
    outcome: RecordingAuditOutcome,
    target: { recordingId?: string; filter?: string },
  ) => {
    const { audit: log, clock } = available();
    await log.record({
      id: newId(),
      at: clock.now(),
      tokenId: caller.token.id,
      tokenName: caller.token.name,
      actor: caller.admin ? "admin" : caller.user,
      action,
      ...target,
      outcome,
    });
    request.log.info({ recording: target.recordingId, action, outcome }, "recording access");
  };

  /** The recording if the caller may reach it; audited either way. */
  const reach = async (request: FastifyRequest, id: string, action: RecordingAuditAction) => {
    const caller = callerOf(request);
    const record = await available().store.get(id);
    if (!record) {
      await audit(request, caller, action, "not-found", { recordingId: id });
      throw new HttpError("RECORDING_NOT_FOUND", `no recording ${id}`);
    }
    if (!caller.admin && !record.owners.includes(caller.user)) {
      await audit(request, caller, action, "forbidden", { recordingId: id });
      throw new HttpError("RECORDING_FORBIDDEN", `recording ${id} is not one of ${caller.user}'s calls`);
    }
    return { caller, record };
  };

  app.get(
    "/recordings",
    {
      schema: {
        tags: ["recordings"],
        summary: "List call recordings, newest first",
        description:
          "An admin token sees every recording (and may filter by `user`); a user token sees only recordings of calls that user was on. Page with `before` = the last `startedAt` seen.",
        querystring: Type.Object({
          user: Type.Optional(
            Type.Unsafe<string>({ ...UserKey, description: "Only this user's recordings (admin tokens)." }),
          ),
          party: Type.Optional(
            Type.String({ minLength: 1, maxLength: 256, description: "Text in caller or callee." }),
          ),
          since: Type.Optional(isoTime("Recordings started at or after this time.")),
          before: Type.Optional(isoTime("Recordings started before this time.")),
          limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 }),
        }),
        response: {
          200: Type.Object({ recordings: Type.Array(Recording) }),
          ...errorResponses(400, 401, 403, 503),
        },
      },
    },
    async (request) => {
      const { store } = available();
      const caller = callerOf(request);
      const { user, party, since, before, limit } = request.query;
      const query: RecordingQuery = { limit };
      const owner = caller.admin ? user : caller.user;
      if (owner !== undefined) query.owner = owner;
      if (party !== undefined) query.party = party;
      if (since !== undefined) query.since = Date.parse(since);
      if (before !== undefined) query.before = Date.parse(before);
      const filter = JSON.stringify({ user: owner, party, since, before, limit });
      if (!caller.admin && user !== undefined && user !== caller.user) {
        await audit(request, caller, "list", "forbidden", { filter: JSON.stringify(request.query) });
        throw new HttpError("RECORDING_FORBIDDEN", "a user token lists only its own user's recordings");
      }
      await audit(request, caller, "list", "allowed", { filter });
      return { recordings: (await store.list(query)).map(toJson) };
    },
  );

  app.get(
    "/recordings/audit",
    {
      schema: {
        tags: ["recordings"],
        summary: "Who accessed recordings (admin token)",
        description:
          "The access audit log, newest first: every list, read, download and delete, refused ones too.",
        querystring: Type.Object({
          recording: Type.Optional(Type.String({ maxLength: 128, description: "Only this recording." })),
          actor: Type.Optional(
            Type.String({ maxLength: 320, description: 'Only this user (extension@domain) or "admin".' }),
          ),
          since: Type.Optional(isoTime("Accesses at or after this time.")),
          before: Type.Optional(isoTime("Accesses before this time.")),
          limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 }),
        }),
        response: {
          200: Type.Object({ entries: Type.Array(AuditEntry) }),
          ...errorResponses(400, 401, 403, 503),
        },
      },
    },
    async (request) => {
      const { audit: log } = available();
      if (!callerOf(request).admin)
        throw new HttpError("HTTP_FORBIDDEN", "the audit log needs an admin token");
      const { recording, actor, since, before, limit } = request.query;
      const entries = await log.list({
        limit,
        ...(recording !== undefined && { recordingId: recording }),
        ...(actor !== undefined && { actor }),
        ...(since !== undefined && { since: Date.parse(since) }),
        ...(before !== undefined && { before: Date.parse(before) }),
      });
      return { entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
    },
  );

  app.get(
    "/recordings/:id",
    {
      schema: {
        tags: ["recordings"],
        summary: "Get one recording's metadata",
        params: IdParams,
        response: { 200: Recording, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { caller, record } = await reach(request, request.params.id, "get");
      await audit(request, caller, "get", "allowed", { recordingId: record.id });
      return toJson(record);
    },
  );

  app.get(
    "/recordings/:id/audio",
    {
      schema: {
        tags: ["recordings"],
        summary: "Download or stream a recording",
        description:
          "The WAV file, streamed from where it is kept (the local disk or the object store). A single `Range: bytes=…` (a-b, a-, or -n for the last n bytes) gets 206 with exactly those bytes and Content-Range, so an `<audio>` element can seek; a range past the end gets 416. Several ranges in one header are ignored (200, whole file).",
        produces: ["audio/wav", "application/json"],
        params: IdParams,
        response: {
          200: WavBody,
          206: WavBody,
          ...errorResponses(401, 403, 404, 416, 503),
        },
      },
    },
    async (request, reply) => {
      const { caller, record } = await reach(request, request.params.id, "download");
      await audit(request, caller, "download", "allowed", { recordingId: record.id });
      const { files } = available();
      return sendRanged(request, reply, {
        source: {
          size: () => files.size(record.path),
          open: async (range) => (await files.open(record.path, range))?.stream,
        },
        contentType: "audio/wav",
        filename: `recording-${record.id}.wav`,
        ...(record.status === "saved" && record.sha256 !== undefined && { etag: `"${record.sha256}"` }),
        notFound: () =>
          new HttpError("RECORDING_AUDIO_NOT_FOUND", `the file of recording ${record.id} is gone`),
      });
    },
  );

  app.delete(
    "/recordings/:id",
    {
      schema: {
        tags: ["recordings"],
        summary: "Delete a recording: its file and its row (admin token)",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { store, files } = available();
      const caller = callerOf(request);
      const id = request.params.id;
      if (!caller.admin) {
        await audit(request, caller, "delete", "forbidden", { recordingId: id });
        throw new HttpError("RECORDING_FORBIDDEN", "deleting recordings needs an admin token");
      }
      const record = await store.get(id);
      if (!record) {
        await audit(request, caller, "delete", "not-found", { recordingId: id });
        throw new HttpError("RECORDING_NOT_FOUND", `no recording ${id}`);
      }
      if (record.status === "recording") {
        await audit(request, caller, "delete", "conflict", { recordingId: id });
        throw new HttpError("RECORDING_IN_PROGRESS", `recording ${id} is still being written`);
      }
      await audit(request, caller, "delete", "allowed", { recordingId: id });
      await files.remove(record.path);
      await store.delete(id);
      return reply.status(204).send(null);
    },
  );
};

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function toJson(record: RecordingRecord) {
  const { path: _path, location: _location, startedAt, endedAt, ...rest } = record;
  return Object.fromEntries(
    Object.entries({
      ...rest,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: iso(endedAt),
      audio: `/api/v1/recordings/${encodeURIComponent(record.id)}/audio`,
    }).filter(([, v]) => v !== undefined),
  ) as Omit<RecordingRecord, "path" | "location" | "startedAt" | "endedAt"> & {
    startedAt: string;
    endedAt?: string;
    audio: string;
  };
}
