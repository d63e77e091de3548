import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { body } from "../plugins/error-responses.ts";
import { ErrorBody } from "../schemas.ts";

export interface HealthRoutesOptions {
  /** Resolves when the node can serve (database reachable); rejects with the reason otherwise. */
  ready: () => Promise<void>;
}

const Status = Type.Object({ status: Type.String() });

/** /healthz: the process answers (liveness). /readyz: its dependencies answer too (readiness). */
export function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  app.get(
    "/healthz",
    { schema: { tags: ["health"], summary: "Liveness: the process is up", response: { 200: Status } } },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        tags: ["health"],
        summary: "Readiness: the database answers",
        response: { 200: Status, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      try {
        await options.ready();
        return { status: "ready" };
      } catch (error) {
        request.log.warn({ err: error }, "not ready");
        return reply.status(503).send(body("HTTP_UNAVAILABLE", `not ready: ${(error as Error).message}`));
      }
    },
  );
}
