import type { FastifyError, FastifyInstance } from "fastify";
import { isParleyError } from "../../kernel/parley-error.ts";
import { HTTP_STATUS_BY_CODE } from "../errors.ts";

/**
 * Every error leaves as `{ error: { code, message } }` with a stable code: schema failures are
 * 400 HTTP_VALIDATION, ParleyErrors use the status catalogue, anything else is a 500 whose detail
 * stays in the log (with the request id) rather than in the response.
 */
export function installErrorResponses(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply
        .status(400)
        .send(body("HTTP_VALIDATION", `${error.validationContext ?? "request"} ${firstIssue(error)}`));
    }
    const failure: unknown = error;
    if (isParleyError(failure)) {
      const status = HTTP_STATUS_BY_CODE[failure.code] ?? 500;
      if (status >= 500) request.log.error({ err: failure }, "request failed");
      return reply.status(status).send(body(failure.code, failure.message));
    }
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(body(fastifyCode(error.statusCode), error.message));
    }
    request.log.error({ err: error }, "request failed");
    return reply
      .status(500)
      .send(body("HTTP_INTERNAL", "internal error; see the server log for this request id"));
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(body("HTTP_NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0]}`));
  });
}

export function body(code: string, message: string) {
  return { error: { code, message } };
}

function firstIssue(error: FastifyError): string {
  const issue = error.validation?.[0];
  if (!issue) return error.message;
  const where = issue.instancePath ? issue.instancePath.slice(1).replaceAll("/", ".") : "";
  return where ? `${where} ${issue.message ?? "is invalid"}` : (issue.message ?? "is invalid");
}

function fastifyCode(status: number): string {
  if (status === 413) return "HTTP_PAYLOAD_TOO_LARGE";
  if (status === 415) return "HTTP_UNSUPPORTED_MEDIA_TYPE";
  if (status === 404) return "HTTP_NOT_FOUND";
  return "HTTP_BAD_REQUEST";
}
