import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import {
  type CallControl,
  type CallPlayItem,
  type CallProgressEvent,
  type CallStatus,
  dialTarget,
} from "../../calls/index.ts";
import { HttpError } from "../errors.ts";
import { errorResponses } from "../schemas.ts";

export interface CallRoutesOptions {
  /** Call control, once the SIP side runs (undefined before: the routes answer 503). */
  calls: () => CallControl | undefined;
}

const IsoTime = Type.String({ format: "date-time" });
const ProgressEvent = Type.Object(
  {
    seq: Type.Integer({ description: "1, 2, 3 … per call; the SSE id." }),
    type: Type.Union([
      Type.Literal("created"),
      Type.Literal("ringing"),
      Type.Literal("earlymedia"),
      Type.Literal("answered"),
      Type.Literal("hungup"),
      Type.Literal("ended"),
    ]),
    at: IsoTime,
    legId: Type.Optional(Type.String()),
    direction: Type.Optional(Type.Union([Type.Literal("inbound"), Type.Literal("outbound")])),
    cause: Type.Optional(Type.String({ description: "Q.850 cause name (hungup, ended)." })),
    sipStatus: Type.Optional(Type.Integer()),
  },
  { description: "One step of a call." },
);
const Status = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal("inbound"), Type.Literal("originate")]),
    service: Type.String(),
    from: Type.String(),
    to: Type.String(),
    state: Type.Union([
      Type.Literal("dialling"),
      Type.Literal("ringing"),
      Type.Literal("answered"),
      Type.Literal("ended"),
    ]),
    createdAt: IsoTime,
    answeredAt: Type.Optional(IsoTime),
    endedAt: Type.Optional(IsoTime),
    cause: Type.Optional(Type.String()),
    node: Type.Optional(
      Type.String({ description: "The cluster node that runs the call (cluster.node_id)." }),
    ),
    events: Type.Array(ProgressEvent),
  },
  { description: "A call in progress or recently ended (kept 10 minutes)." },
);
const PlayStep = Type.Union([
  Type.Object({
    prompt: Type.String({ pattern: "^[A-Za-z0-9_-]+$", description: "A prompt name, e.g. goodbye." }),
  }),
  Type.Object({
    toneHz: Type.Integer({ minimum: 100, maximum: 3800, description: "A sine tone." }),
    ms: Type.Integer({ minimum: 20, maximum: 60_000 }),
  }),
  Type.Object({ silenceMs: Type.Integer({ minimum: 20, maximum: 60_000 }) }),
]);

function eventView(event: CallProgressEvent) {
  return { ...event, at: new Date(event.at).toISOString() };
}

function statusView(status: CallStatus) {
  const { answeredAt, endedAt, ...rest } = status;
  return {
    ...rest,
    createdAt: new Date(status.createdAt).toISOString(),
    ...(answeredAt === undefined ? {} : { answeredAt: new Date(answeredAt).toISOString() }),
    ...(endedAt === undefined ? {} : { endedAt: new Date(endedAt).toISOString() }),
    events: status.events.map(eventView),
  };
}

/**
 * Server-originated calls (issue 5): POST /calls places a call to a user or number, plays the
 * given steps when it is answered and hangs up; GET /calls and /calls/:id show status; GET
 * /calls/:id/events streams the progress as server-sent events (past events first, then live,
 * closed after `ended`).
 */
export const callRoutes: FastifyPluginAsyncTypebox<CallRoutesOptions> = async (app, options) => {
  const control = (): CallControl => {
    const calls = options.calls();
    if (!calls) throw new HttpError("HTTP_UNAVAILABLE", "call control is not running");
    return calls;
  };

  app.post(
    "/calls",
    {
      schema: {
        tags: ["calls"],
        summary: "Place a call from the server",
        description:
          "Dials `to` (an extension, or a number owned by a user); when answered, plays `play` in order and hangs up. Progress: GET /calls/{id} or the SSE stream /calls/{id}/events.",
        body: Type.Object({
          to: Type.String({ minLength: 1, maxLength: 64, pattern: "^\\+?[A-Za-z0-9._-]+$" }),
          callerId: Type.Optional(
            Type.Object({
              number: Type.String({ minLength: 1, maxLength: 32, pattern: "^\\+?[A-Za-z0-9._-]+$" }),
              name: Type.Optional(Type.String({ maxLength: 64 })),
            }),
          ),
          play: Type.Optional(Type.Array(PlayStep, { maxItems: 20 })),
          timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: "Seconds to ring." })),
        }),
        response: { 201: Status, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const steps: CallPlayItem[] = (body.play ?? [{ prompt: "goodbye" }]).map((step) =>
        "prompt" in step
          ? { kind: "prompt", name: step.prompt }
          : "toneHz" in step
            ? {
                kind: "tone",
                tone: { frequencies: [step.toneHz], cadenceMs: [], repeat: true },
                maxMs: step.ms,
              }
            : { kind: "silence", ms: step.silenceMs },
      );
      const target = dialTarget(body.to);
      const call = control().originate(target, {
        ...(body.callerId ? { callerId: body.callerId } : {}),
        ...(body.timeout ? { timeout: body.timeout } : {}),
        service: "api",
        app: async (session, party) => {
          await session.play(party, steps);
          session.hangup(party, "NORMAL_CLEARING");
        },
      });
      const status = control().journal.get(call.id);
      if (!status) throw new HttpError("HTTP_INTERNAL", "the call vanished");
      reply.code(201);
      return statusView(status);
    },
  );

  app.get(
    "/calls",
    {
      schema: {
        tags: ["calls"],
        summary: "Calls in progress and recently ended",
        response: { 200: Type.Object({ calls: Type.Array(Status) }), ...errorResponses(401, 403, 503) },
      },
    },
    async () => ({ calls: control().journal.list().map(statusView) }),
  );

  app.get(
    "/calls/:id",
    {
      schema: {
        tags: ["calls"],
        summary: "One call's status and progress",
        params: Type.Object({ id: Type.String() }),
        response: { 200: Status, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const status = control().journal.get(request.params.id);
      if (!status) throw new HttpError("CALL_NOT_FOUND", `no call ${request.params.id}`);
      return statusView(status);
    },
  );

  app.delete(
    "/calls/:id",
    {
      schema: {
        tags: ["calls"],
        summary: "Hang up a call",
        description:
          "Every party gets BYE (or CANCEL while ringing). In a cluster the node that runs the call hangs it up, whichever node took the request.",
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      if (!(await control().hangupAnywhere(request.params.id)))
        throw new HttpError("CALL_NOT_FOUND", `no call ${request.params.id} in progress`);
      reply.code(204);
      return null;
    },
  );

  app.get(
    "/calls/:id/events",
    {
      schema: {
        tags: ["calls"],
        summary: "A call's progress as server-sent events",
        description:
          "text/event-stream: one `progress` event per step (id = seq, data = the event as JSON), past steps first; the stream ends after the `ended` step.",
        params: Type.Object({ id: Type.String() }),
        response: { ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const journal = control().journal;
      const status = journal.get(request.params.id);
      if (!status) throw new HttpError("CALL_NOT_FOUND", `no call ${request.params.id}`);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-request-id": request.id,
      });
      let finished = false;
      const send = (event: CallProgressEvent) => {
        if (finished) return;
        raw.write(`id: ${event.seq}\nevent: progress\ndata: ${JSON.stringify(eventView(event))}\n\n`);
        if (event.type === "ended") finish();
      };
      const listener = (changed: CallStatus, event: CallProgressEvent) => {
        if (changed.id === status.id) send(event);
      };
      const finish = () => {
        if (finished) return;
        finished = true;
        journal.off("progress", listener);
        raw.end();
      };
      // Subscribe before replaying, so nothing falls between the two (events carry seq; the
      // replay covers what is already in the list, the listener only what comes after).
      const replayed = status.events.length;
      journal.on("progress", listener);
      for (const event of status.events.slice(0, replayed)) send(event);
      request.raw.on("close", finish);
    },
  );
};
