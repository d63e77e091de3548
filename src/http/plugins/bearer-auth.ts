import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiToken, ApiTokenIssuer } from "../../directory/index.ts";
import { HttpError } from "../errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The API token the request authenticated with (set by requireAdminToken). */
    apiToken?: ApiToken;
  }
}

/**
 * Requires `Authorization: Bearer <token>` with a live admin token on every route of the scope it
 * is installed in. A missing or unknown token is 401 with a WWW-Authenticate challenge (RFC 6750);
 * a valid token without admin rights is 403.
 */
export function requireAdminToken(scope: FastifyInstance, tokens: ApiTokenIssuer): void {
  scope.addHook("onRequest", async (request, reply) => {
    const secret = bearerSecret(request);
    const token = secret === undefined ? undefined : await tokens.authenticate(secret);
    if (!token) {
      reply.header("www-authenticate", 'Bearer realm="parley"');
      throw new HttpError(
        "HTTP_UNAUTHORIZED",
        secret === undefined ? "missing bearer token" : "the bearer token is unknown or revoked",
      );
    }
    if (!token.admin) throw new HttpError("HTTP_FORBIDDEN", "this API needs an admin token");
    request.apiToken = token;
  });
}

function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
