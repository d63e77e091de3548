import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import type { SubscriberDirectory } from "../../directory/index.ts";
import {
  type BackgroundCallService,
  type CallbackJob,
  CallbackRefused,
  isActive,
} from "../../services/background-call/index.ts";
import { HttpError } from "../errors.ts";
import { callerOf } from "../plugins/bearer-auth.ts";
import { errorResponses } from "../schemas.ts";
import { reachableUser } from "../user-key.ts";

export interface BackgroundCallRoutesOptions {
  directory: SubscriberDirectory;
  /** The service once the node runs it (503 before, and when background_call.enabled is false). */
  service: () => BackgroundCallService | undefined;
}

const State = Type.Union([
  Type.Literal("pending"),
  Type.Literal("trying"),
  Type.Literal("callee-answered"),
  Type.Literal("calling-caller"),
  Type.Literal("bridged"),
  Type.Literal("caller-missed"),
  Type.Literal("stopped"),
  Type.Literal("exhausted"),
]);
const Job = Type.Object({
  id: Type.String(),
  caller: Type.String({ description: "extension@domain, or an outside number" }),
  callee: Type.String(),
  origin: Type.String({ description: "api, feature-code, message, offer or portal" }),
  state: State,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  retryIntervalSeconds: Type.Integer(),
  deadline: Type.String({ format: "date-time" }),
  nextAttemptAt: Type.Optional(Type.String({ format: "date-time" })),
  createdAt: Type.String({ format: "date-time" }),
  updatedAt: Type.String({ format: "date-time" }),
  log: Type.Array(
    Type.Object({
      at: Type.String({ format: "date-time" }),
      state: Type.String({ description: "The state after the step" }),
      event: Type.String(),
      detail: Type.Optional(Type.String()),
    }),
    { description: "Every step with its time." },
  ),
});
const StartBody = Type.Object(
  {
    caller: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Who is called back: extension@domain or a number (admin tokens; a user token starts its own).",
      }),
    ),
    callee: Type.String({
      minLength: 1,
      description: "Who is tried: an extension, extension@domain or a number.",
    }),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    retryIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400 })),
    maxDurationSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86_400 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const iso = (ms: number) => new Date(ms).toISOString();

function view(job: CallbackJob) {
  return {
    id: job.id,
    caller: job.caller,
    callee: job.callee,
    origin: job.origin,
    state: job.state,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    retryIntervalSeconds: job.retryIntervalSeconds,
    deadline: iso(job.deadline),
    ...(job.nextAttemptAt === undefined ? {} : { nextAttemptAt: iso(job.nextAttemptAt) }),
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    log: job.log.map((entry) => ({ ...entry, at: iso(entry.at) })),
  };
}

/**
 * /api/v1/background-calls: start, follow (JSON and server-sent events) and stop persistent
 * background calls. Admins reach every job; a user token starts, sees and stops its own.
 */
export const backgroundCallRoutes: FastifyPluginAsyncTypebox<BackgroundCallRoutesOptions> = async (
  app,
  { service, directory },
) => {
  const running = () => {
    const found = service();
    if (!found) throw new HttpError("HTTP_UNAVAILABLE", "background calls are not available on this node");
    return found;
  };
  /** The job, if the caller may see it. */
  const owned = async (request: FastifyRequest, id: string) => {
    const job = await running().get(id);
    const caller = callerOf(request);
    if (!job || (!caller.admin && job.caller !== caller.user)) {
      throw new HttpError("CALLBACK_NOT_FOUND", `no background call ${id}`);
    }
    return job;
  };

  app.post(
    "/background-calls",
    {
      schema: {
        tags: ["background-calls"],
        summary: "Start a background call: Parley keeps calling the callee, then calls the caller back",
        body: StartBody,
        response: { 201: Job, ...errorResponses(400, 401, 403, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const who = caller.admin ? request.body.caller : caller.user;
      if (!who) throw new HttpError("HTTP_VALIDATION", "an admin token names the caller");
      if (!caller.admin && request.body.caller !== undefined && request.body.caller.toLowerCase() !== who) {
        throw new HttpError(
          "HTTP_FORBIDDEN",
          `a user token starts background calls for its own user (${who})`,
        );
      }
      try {
        const { caller: _, ...limits } = request.body;
        const job = await running().begin({ ...limits, caller: who, origin: "api" });
        reply.code(201).header("location", `/api/v1/background-calls/${job.id}`);
        return view(job);
      } catch (error) {
        if (error instanceof CallbackRefused) throw new HttpError(error.code, error.message);
        throw error;
      }
    },
  );

  app.get(
    "/background-calls",
    {
      schema: {
        tags: ["background-calls"],
        summary: "Background calls, newest first",
        querystring: Type.Object({
          caller: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Object({ backgroundCalls: Type.Array(Job) }), ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const who = caller.admin ? request.query.caller : caller.user;
      const jobs = await running().list({ ...(who ? { caller: who } : {}), limit: request.query.limit });
      return { backgroundCalls: jobs.map(view) };
    },
  );

  app.get(
    "/background-calls/:id",
    {
      schema: {
        tags: ["background-calls"],
        summary: "One background call: state, attempts and every step with its time",
        params: IdParams,
        response: { 200: Job, ...errorResponses(401, 404, 503) },
      },
    },
    async (request) => view(await owned(request, request.params.id)),
  );

  app.delete(
    "/background-calls/:id",
    {
      schema: {
        tags: ["background-calls"],
        summary: "Stop a background call (no attempt after this; a call in progress ends)",
        params: IdParams,
        response: { 200: Job, ...errorResponses(401, 404, 503) },
      },
    },
    async (request) => {
      await owned(request, request.params.id);
      const caller = callerOf(request);
      const stopped = await running().stop(
        request.params.id,
        caller.admin ? "api (admin)" : `api (${caller.user})`,
      );
      return view(stopped as CallbackJob);
    },
  );

  app.get(
    "/background-calls/:id/events",
    {
      schema: {
        tags: ["background-calls"],
        summary: "A background call's steps as server-sent events",
        description:
          "text/event-stream: a `job` event with the whole job now, then one on every change; the stream ends when the job reaches a final state.",
        params: IdParams,
        response: { ...errorResponses(401, 404, 503) },
      },
    },
    async (request, reply) => {
      const job = await owned(request, request.params.id);
      const svc = running();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-request-id": request.id,
      });
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        svc.off("job", listener);
        raw.end();
      };
      const send = (current: CallbackJob) => {
        if (finished) return;
        raw.write(`event: job\ndata: ${JSON.stringify(view(current))}\n\n`);
        if (!isActive(current)) finish();
      };
      const listener = (changed: CallbackJob) => {
        if (changed.id === job.id) send(changed);
      };
      svc.on("job", listener);
      send((await svc.get(job.id)) ?? job);
      request.raw.on("close", finish);
    },
  );

  const Blocks = Type.Object({ blocked: Type.Array(Type.String()) });
  const BlockParams = Type.Object({
    id: Type.String({ minLength: 1 }),
    who: Type.String({ minLength: 1, maxLength: 64 }),
  });

  app.get(
    "/users/:id/background-call-blocks",
    {
      schema: {
        tags: ["background-calls"],
        summary: "Who a user does not take background calls from",
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: Blocks, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const user = await reachableUser(directory, request, request.params.id);
      return { blocked: await running().blocks.list(user) };
    },
  );

  app.put(
    "/users/:id/background-call-blocks/:who",
    {
      schema: {
        tags: ["background-calls"],
        summary: "Refuse background calls from a user or number (the portal form of *57)",
        params: BlockParams,
        response: { 200: Blocks, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const user = await reachableUser(directory, request, request.params.id);
      await running().block(user, request.params.who);
      return { blocked: await running().blocks.list(user) };
    },
  );

  app.delete(
    "/users/:id/background-call-blocks/:who",
    {
      schema: {
        tags: ["background-calls"],
        summary: "Take background calls from a user or number again",
        params: BlockParams,
        response: { 200: Blocks, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const user = await reachableUser(directory, request, request.params.id);
      const blocks = running().blocks;
      const who = request.params.who.toLowerCase();
      const listed = await blocks.list(user);
      const match = listed.find(
        (b) => b === who || b.split("@")[0] === who || b === who.replace(/[^0-9+]/g, ""),
      );
      if (!match) throw new HttpError("CALLBACK_NOT_FOUND", `${user} does not block ${request.params.who}`);
      await blocks.unblock(user, match);
      return { blocked: await blocks.list(user) };
    },
  );
};
