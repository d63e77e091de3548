import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiToken, ApiTokenIssuer } from "../../directory/index.ts";
import { HttpError } from "../errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The API token the request authenticated with (set by requireAdminToken or requireToken). */
    apiToken?: ApiToken;
  }
}

/** Who is asking: an admin, or the one user a user token acts for. */
export type Caller = { token: ApiToken; admin: true } | { token: ApiToken; admin: false; user: string };

/**
 * Requires `Authorization: Bearer <token>` with a live admin token on every route of the scope it
 * is installed in. A missing or unknown token is 401 with a WWW-Authenticate challenge (RFC 6750);
 * a valid token without admin rights (a user token) is 403.
 */
export function requireAdminToken(scope: FastifyInstance, tokens: ApiTokenIssuer): void {
  scope.addHook("onRequest", async (request, reply) => {
    const token = await authenticate(request, reply, tokens);
    if (!token.admin) throw new HttpError("HTTP_FORBIDDEN", "this API needs an admin token");
    request.apiToken = token;
  });
}

/**
 * Requires a live admin token or user token on every route of the scope; the routes decide what a
 * user token may reach (see `callerOf`). Missing or unknown tokens are 401 as for admin routes.
 */
export function requireToken(scope: FastifyInstance, tokens: ApiTokenIssuer): void {
  scope.addHook("onRequest", async (request, reply) => {
    const token = await authenticate(request, reply, tokens);
    if (!token.admin && token.user === undefined) {
      throw new HttpError("HTTP_FORBIDDEN", "this token is neither an admin token nor a user's token");
    }
    request.apiToken = token;
  });
}

/** The caller of a request that passed requireToken or requireAdminToken. */
export function callerOf(request: FastifyRequest): Caller {
  const token = request.apiToken;
  if (!token) throw new HttpError("HTTP_UNAUTHORIZED", "missing bearer token");
  if (token.admin) return { token, admin: true };
  if (token.user === undefined) throw new HttpError("HTTP_FORBIDDEN", "this token is not a user's token");
  return { token, admin: false, user: token.user };
}

async function authenticate(
  request: FastifyRequest,
  reply: { header: (name: string, value: string) => unknown },
  tokens: ApiTokenIssuer,
): Promise<ApiToken> {
  const secret = bearerSecret(request);
  const token = secret === undefined ? undefined : await tokens.authenticate(secret);
  if (!token) {
    reply.header("www-authenticate", 'Bearer realm="parley"');
    throw new HttpError(
      "HTTP_UNAUTHORIZED",
      secret === undefined ? "missing bearer token" : "the bearer token is unknown or revoked",
    );
  }
  return token;
}

function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
