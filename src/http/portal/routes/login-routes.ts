import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { type PortalKit, splitAccount } from "../portal-kit.ts";
import { loginPage } from "../views/simple-views.ts";

const LoginBody = Type.Object({
  account: Type.String({ maxLength: 200 }),
  password: Type.String({ maxLength: 1024 }),
  _csrf: Type.Optional(Type.String()),
  next: Type.Optional(Type.String({ maxLength: 2000 })),
});
const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) });

const FAILED = "The account or password is not right.";
const TOO_MANY = "Too many attempts, try again later.";

/** Only a path on this site (not //host, not a scheme) is a place to go back to after logging in. */
export function safeNext(next: string | undefined): string | undefined {
  return next !== undefined && /^\/(?![/\\])[^\s\\]*$/.test(next) && !next.startsWith("/login")
    ? next
    : undefined;
}

/**
 * GET/POST /login, POST /logout and the start page. The login form carries the CSRF token of an
 * anonymous session made for it; a successful login replaces that session with a new one (new id,
 * new token). Failures are counted per account and per source address: from the fifth within the
 * window, attempts are refused with 429 before any password is checked.
 */
export function loginRoutes(app: FastifyInstance, kit: PortalKit): void {
  const { options, sessions, throttle } = kit;

  app.get("/", async (request, reply) =>
    reply.redirect(request.portalSession?.user ? "/merchants" : "/login", 303),
  );

  app.get<{ Querystring: { next?: string } }>(
    "/login",
    { schema: { querystring: LoginQuery } },
    async (request, reply) => {
      const next = safeNext(request.query.next);
      if (request.portalSession?.user) return reply.redirect(next ?? "/merchants", 303);
      request.portalSession ??= await sessions.start(request, reply, null);
      return kit.send(reply, 200, loginPage(kit.context(request), { account: "", ...(next && { next }) }));
    },
  );

  app.post<{ Body: { account: string; password: string; next?: string } }>(
    "/login",
    { schema: { body: LoginBody } },
    async (request, reply) => {
      const account = request.body.account.trim();
      const next = safeNext(request.body.next);
      const again = (status: number, error: string) =>
        kit.send(reply, status, loginPage(kit.context(request), { account, error, ...(next && { next }) }));
      const named = await resolveAccount(kit, account);
      const throttleKey = named ? `${named.extension}@${named.domain}`.toLowerCase() : account.toLowerCase();
      if (throttle.blocked(throttleKey, request.ip)) return again(429, TOO_MANY);
      const user =
        named &&
        (await options.directory
          .verifyWebPassword(named.extension, request.body.password, named.domain)
          .catch(() => undefined));
      if (!user || !named) {
        throttle.failed(throttleKey, request.ip);
        request.log.info({ account: throttleKey }, "portal login failed");
        return throttle.blocked(throttleKey, request.ip) ? again(429, TOO_MANY) : again(401, FAILED);
      }
      throttle.succeeded(throttleKey);
      const key = `${user.extension}@${named.domain}`;
      request.portalSession = await sessions.rotate(request, reply, key);
      request.log.info({ account: key }, "portal login");
      return reply.redirect(next ?? "/merchants", 303);
    },
  );

  app.post("/logout", async (request: FastifyRequest, reply: FastifyReply) => {
    await sessions.end(request, reply);
    return reply.redirect("/login", 303);
  });
}

/** The typed account as extension and domain name (the default domain when there is no @). */
async function resolveAccount(
  kit: PortalKit,
  account: string,
): Promise<{ extension: string; domain: string } | undefined> {
  const { extension, domain } = splitAccount(account);
  if (extension === "") return undefined;
  if (domain !== undefined) return domain === "" ? undefined : { extension, domain };
  const fallback = await kit.options.directory.domain().catch(() => undefined);
  return fallback && { extension, domain: fallback.name.toLowerCase() };
}
