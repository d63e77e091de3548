import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { SubscriberDirectory } from "../../directory/index.ts";
import {
  type EmergencyAuditEntry,
  type EmergencyCallView,
  type EmergencyNumber,
  EmergencyNumberRefused,
  type EmergencyService,
} from "../../services/emergency/index.ts";
import { HttpError } from "../errors.ts";
import {
  EMERGENCY_NUMBER_PATTERN,
  EMERGENCY_USER_PATTERN,
  errorResponses,
  RESOURCE_PRIORITY_PATTERN,
} from "../schemas.ts";

export interface EmergencyRoutesOptions {
  directory: SubscriberDirectory;
  /** Service 5 once the node runs it (the routes answer 503 before). */
  emergency: () => EmergencyService | undefined;
}

/** The API's code for each status an EmergencyNumberRefused carries. */
const REFUSAL_CODES = {
  404: "EMERGENCY_NOT_FOUND",
  409: "EMERGENCY_CONFLICT",
  422: "EMERGENCY_UNKNOWN_USER",
} as const;

const MAX_AUDIT = 1000;

const IsoTime = Type.String({ format: "date-time" });
const Digits = Type.String({
  pattern: EMERGENCY_NUMBER_PATTERN,
  description: "What callers dial (digits, *, #, +); # is %23 in a path.",
});
const User = Type.String({ pattern: EMERGENCY_USER_PATTERN, description: "extension or extension@domain" });

const NumberSettings = {
  label: Type.String({ maxLength: 100, default: "", description: "A name for admins." }),
  users: Type.Array(User, {
    minItems: 1,
    maxItems: 50,
    description:
      "Bound users in order: one is called directly, several are called into a conference with the caller.",
  }),
  priority: Type.Integer({
    minimum: 1,
    maximum: 9,
    default: 1,
    description: "Precedence 1–9: a busy user's call is preempted only when its priority is lower.",
  }),
  record: Type.Boolean({ default: false, description: "Record every call to this number." }),
  announcement: Type.Boolean({ default: true, description: "Tell the caller what happens first." }),
  ringTimeout: Type.Integer({
    minimum: 5,
    maximum: 300,
    default: 30,
    description: "Seconds each bound user's phones ring.",
  }),
  retries: Type.Integer({
    minimum: 0,
    maximum: 5,
    default: 1,
    description: "How many more times a user who did not answer is rung.",
  }),
  resourcePriority: Type.String({
    pattern: RESOURCE_PRIORITY_PATTERN,
    default: "esnet.0",
    description: "RFC 4412 Resource-Priority on the INVITEs (namespace.value).",
  }),
};
const NumberBody = Type.Object(NumberSettings, { additionalProperties: false });
const NumberView = Type.Object(
  {
    number: Type.String(),
    label: Type.String(),
    users: Type.Array(Type.String()),
    priority: Type.Integer(),
    record: Type.Boolean(),
    announcement: Type.Boolean(),
    ringTimeout: Type.Integer(),
    retries: Type.Integer(),
    resourcePriority: Type.String(),
    source: Type.Union([Type.Literal("config"), Type.Literal("admin")], {
      description:
        "config: from the config file, read-only here (409 on change); admin: set through the API.",
    }),
  },
  { description: "An emergency number and how its calls are made." },
);
const Participant = Type.Object({
  partyId: Type.String(),
  role: Type.Union([Type.Literal("caller"), Type.Literal("member")]),
  user: Type.String({ description: "extension@domain of a member, or the caller as identified." }),
  state: Type.String({ description: "Trying, Ringing, EarlyMedia or Answered" }),
  inRoom: Type.Boolean({ description: "In the group's conference room now." }),
  muted: Type.Boolean(),
});
const CallView = Type.Object(
  {
    callId: Type.String({ description: "The call's id (its CDR's)." }),
    number: Type.String(),
    label: Type.String(),
    caller: Type.String(),
    startedAt: IsoTime,
    room: Type.Optional(Type.String({ description: "The conference room of a call to several users." })),
    participants: Type.Array(Participant, {
      description: "The caller and the users who answered, while they are on the call.",
    }),
  },
  { description: "An emergency call in progress on this node." },
);
const AuditEntry = Type.Object({
  id: Type.String(),
  at: IsoTime,
  callId: Type.String(),
  number: Type.String(),
  event: Type.String({
    description:
      "started, ringing, answered, busy, no-answer, failed, retry, preempted, joined, left, muted, unmuted, kicked or ended",
  }),
  party: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
});
const NumberParams = Type.Object({ number: Digits });
const CallParams = Type.Object({ callId: Type.String({ minLength: 1, maxLength: 128 }) });
const PartyParams = Type.Object({
  callId: Type.String({ minLength: 1, maxLength: 128 }),
  partyId: Type.String({ minLength: 1, maxLength: 128 }),
});

const iso = (ms: number) => new Date(ms).toISOString();

function numberView(entry: EmergencyNumber) {
  return {
    number: entry.number,
    label: entry.label,
    users: [...entry.users],
    priority: entry.priority,
    record: entry.record,
    announcement: entry.announcement,
    ringTimeout: entry.ringTimeout,
    retries: entry.retries,
    resourcePriority: entry.resourcePriority,
    source: entry.source,
  };
}

function callView(call: EmergencyCallView) {
  return {
    callId: call.callId,
    number: call.number,
    label: call.label,
    caller: call.caller,
    startedAt: iso(call.startedAt),
    ...(call.room === undefined ? {} : { room: call.room }),
    participants: call.participants.map((p) => ({ ...p })),
  };
}

function auditView(entry: EmergencyAuditEntry) {
  return { ...entry, at: iso(entry.at) };
}

/** Runs a service verb, turning its refusal into the API's coded error with the refusal's status. */
async function refusable<T>(verb: () => T | Promise<T>): Promise<T> {
  try {
    return await verb();
  } catch (error) {
    if (error instanceof EmergencyNumberRefused)
      throw new HttpError(REFUSAL_CODES[error.status], error.message);
    throw error;
  }
}

/**
 * Service 5 over REST (admin tokens only): the emergency numbers (config-file ones read-only),
 * the emergency calls in progress with their participants (add a user to the group's room, mute,
 * kick), and the audit trail of every step.
 */
export const emergencyRoutes: FastifyPluginAsyncTypebox<EmergencyRoutesOptions> = async (
  app,
  { directory, emergency },
) => {
  const running = () => {
    const found = emergency();
    if (!found) throw new HttpError("HTTP_UNAVAILABLE", "emergency calls are not available on this node");
    return found;
  };
  const inProgress = (callId: string) => {
    const call = running().call(callId);
    if (!call) throw new HttpError("EMERGENCY_NOT_FOUND", `no emergency call ${callId} in progress`);
    return call;
  };

  app.get(
    "/emergency-numbers",
    {
      schema: {
        tags: ["emergency"],
        summary: "Emergency numbers: the config file's (read-only) and the ones set here, by number",
        response: {
          200: Type.Object({ emergencyNumbers: Type.Array(NumberView) }),
          ...errorResponses(401, 403, 503),
        },
      },
    },
    async () => ({ emergencyNumbers: running().numbers().map(numberView) }),
  );

  app.get(
    "/emergency-numbers/:number",
    {
      schema: {
        tags: ["emergency"],
        summary: "One emergency number",
        params: NumberParams,
        response: { 200: NumberView, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const found = running().number(request.params.number);
      if (!found) throw new HttpError("EMERGENCY_NOT_FOUND", `no emergency number ${request.params.number}`);
      return numberView(found);
    },
  );

  app.put(
    "/emergency-numbers/:number",
    {
      schema: {
        tags: ["emergency"],
        summary: "Add or replace an emergency number",
        description:
          "Every bound user must exist (422 otherwise). Numbers of the config file cannot be changed here (409). Calls in progress keep the settings they started with.",
        params: NumberParams,
        body: NumberBody,
        response: { 200: NumberView, 201: NumberView, ...errorResponses(400, 401, 403, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const service = running();
      const { number } = request.params;
      const existed = service.number(number) !== undefined;
      const saved = await refusable(() => service.saveNumber({ number, ...request.body }));
      if (!existed)
        reply.code(201).header("location", `/api/v1/emergency-numbers/${encodeURIComponent(number)}`);
      return numberView(saved);
    },
  );

  app.delete(
    "/emergency-numbers/:number",
    {
      schema: {
        tags: ["emergency"],
        summary: "Remove an emergency number set through the API",
        description: "Numbers of the config file are removed there (409 here).",
        params: NumberParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const service = running();
      await refusable(() => service.removeNumber(request.params.number));
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/emergency-calls",
    {
      schema: {
        tags: ["emergency"],
        summary: "Emergency calls in progress on this node, with their participants",
        response: {
          200: Type.Object({ emergencyCalls: Type.Array(CallView) }),
          ...errorResponses(401, 403, 503),
        },
      },
    },
    async () => ({ emergencyCalls: running().calls().map(callView) }),
  );

  app.get(
    "/emergency-calls/:callId",
    {
      schema: {
        tags: ["emergency"],
        summary: "One emergency call in progress",
        params: CallParams,
        response: { 200: CallView, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => callView(inProgress(request.params.callId)),
  );

  app.post(
    "/emergency-calls/:callId/participants",
    {
      schema: {
        tags: ["emergency"],
        summary: "Ring one more user into the call's conference room",
        description:
          "The user's phones are rung once with the emergency markings (Alert-Info, Priority, Resource-Priority), whether or not the user is bound to the number; they join the room when they answer. The audit trail shows ringing, answered and joined (or busy, no-answer). A call to one bound user has no room (409).",
        params: CallParams,
        body: Type.Object({ user: User }, { additionalProperties: false }),
        response: {
          202: Type.Object({ callId: Type.String(), user: Type.String(), room: Type.String() }),
          ...errorResponses(400, 401, 403, 404, 409, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const service = running();
      const call = inProgress(request.params.callId);
      if (!call.room)
        throw new HttpError("EMERGENCY_CONFLICT", "a call to one bound user has no room to add to");
      const { user } = request.body;
      const at = user.indexOf("@");
      const found = await directory
        .findUser(at < 0 ? user : user.slice(0, at), at < 0 ? undefined : user.slice(at + 1).toLowerCase())
        .catch(() => undefined);
      if (!found) throw new HttpError("EMERGENCY_UNKNOWN_USER", `no user ${user}`);
      await refusable(() => service.addParticipant(call.callId, user));
      return reply.code(202).send({ callId: call.callId, user, room: call.room });
    },
  );

  app.patch(
    "/emergency-calls/:callId/participants/:partyId",
    {
      schema: {
        tags: ["emergency"],
        summary: "Mute or unmute a participant in the call's conference room",
        params: PartyParams,
        body: Type.Object({ muted: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Participant, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { callId, partyId } = request.params;
      const service = running();
      await refusable(() => service.setMuted(callId, partyId, request.body.muted));
      const party = inProgress(callId).participants.find((p) => p.partyId === partyId);
      if (!party) throw new HttpError("EMERGENCY_NOT_FOUND", `party ${partyId} left the call`);
      return { ...party };
    },
  );

  app.delete(
    "/emergency-calls/:callId/participants/:partyId",
    {
      schema: {
        tags: ["emergency"],
        summary: "Hang up one participant of the call (kick)",
        description:
          "That party's call ends with a BYE; the others stay. Kicking the caller ends their leg too.",
        params: PartyParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const service = running();
      await refusable(() => service.kick(request.params.callId, request.params.partyId));
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/emergency-calls/:callId/audit",
    {
      schema: {
        tags: ["emergency"],
        summary: "Every step of one emergency call, oldest first (also after it ended)",
        params: CallParams,
        response: {
          200: Type.Object({ entries: Type.Array(AuditEntry) }),
          ...errorResponses(401, 403, 404, 503),
        },
      },
    },
    async (request) => {
      const { callId } = request.params;
      const service = running();
      const entries = await service.audit({ callId, limit: MAX_AUDIT });
      if (entries.length === 0 && !service.call(callId))
        throw new HttpError("EMERGENCY_NOT_FOUND", `no emergency call ${callId}`);
      return { entries: entries.map(auditView) };
    },
  );

  app.get(
    "/emergency-audit",
    {
      schema: {
        tags: ["emergency"],
        summary: "The audit trail of emergency calls, newest first",
        querystring: Type.Object({
          number: Type.Optional(Digits),
          since: Type.Optional(
            Type.String({ format: "date-time", description: "Steps at or after this time." }),
          ),
          before: Type.Optional(Type.String({ format: "date-time", description: "Steps before this time." })),
          limit: Type.Integer({ minimum: 1, maximum: MAX_AUDIT, default: 100 }),
        }),
        response: {
          200: Type.Object({ entries: Type.Array(AuditEntry) }),
          ...errorResponses(400, 401, 403, 503),
        },
      },
    },
    async (request) => {
      const { number, since, before, limit } = request.query;
      const entries = await running().audit({
        limit,
        ...(number !== undefined && { number }),
        ...(since !== undefined && { since: Date.parse(since) }),
        ...(before !== undefined && { before: Date.parse(before) }),
      });
      return { entries: entries.map(auditView) };
    },
  );
};
