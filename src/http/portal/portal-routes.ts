import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { isParleyError } from "../../kernel/parley-error.ts";
import { HTTP_STATUS_BY_CODE } from "../errors.ts";
import { adminRoutes } from "./admin/admin-routes.ts";
import { ownerRoutes } from "./admin/owner-routes.ts";
import { CSRF_FIELD, csrfFailure, STATE_CHANGING } from "./csrf.ts";
import { LoginThrottle } from "./login-throttle.ts";
import { PortalAccess } from "./portal-access.ts";
import type { PortalKit, PortalOptions } from "./portal-kit.ts";
import { type ActiveSession, PortalSessions } from "./portal-sessions.ts";
import { assetRoutes, assetUrls, loadAssets } from "./routes/asset-routes.ts";
import { callRoutes } from "./routes/call-routes.ts";
import { directoryRoutes } from "./routes/directory-routes.ts";
import { loginRoutes } from "./routes/login-routes.ts";
import { backgroundCallPages } from "./services/background-call-pages.ts";
import { recordingPages } from "./services/recording-pages.ts";
import { voicemailPages } from "./services/voicemail-pages.ts";
import type { PageContext } from "./views/layout.ts";
import { errorPage } from "./views/simple-views.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The portal session the request's cookie names, if it is live. */
    portalSession?: ActiveSession;
  }
}

/** Headers on every portal page: no framing, no inline script, no sniffing, no cross-site referers. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/**
 * The web portal of click-to-call: server-rendered pages (login, merchant directory, confirm, live
 * call status, account) with sessions, CSRF protection and login rate limiting, plus its static
 * assets under /portal/assets. Registered at "/" next to the REST API; its hooks, body parsers and
 * error pages stay inside this plugin (the API keeps JSON errors and accepts no forms).
 */
export const portalRoutes: FastifyPluginAsync<PortalOptions> = async (app, options) => {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  // Pages are not part of the REST API's OpenAPI document.
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, hide: true };
  });

  const assets = await loadAssets();
  const sessions = new PortalSessions({
    store: options.sessions,
    clock: options.clock,
    idleTimeoutMs: (options.sessionIdleSeconds ?? 30 * 60) * 1000,
    lifetimeMs: (options.sessionLifetimeSeconds ?? 12 * 3600) * 1000,
  });
  const throttle = new LoginThrottle({
    clock: options.clock,
    maxFailures: options.loginMaxFailures ?? 5,
    windowMs: (options.loginWindowSeconds ?? 15 * 60) * 1000,
  });
  const context = (request: FastifyRequest): PageContext => ({
    assets: assetUrls(assets),
    user: request.portalSession?.user ?? null,
    csrfToken: request.portalSession?.csrfToken,
    admin: request.portalSession?.user ? access.isAdmin(request.portalSession.user) : false,
  });
  const send = (reply: FastifyReply, status: number, body: string) =>
    reply.status(status).header("cache-control", "no-store").type("text/html; charset=utf-8").send(body);
  const fail = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    heading: string,
    message: string,
  ) => send(reply, status, errorPage(context(request), heading, message));
  const access = new PortalAccess({
    merchants: options.merchants,
    adminUsers: options.adminUsers ?? [],
    forbidden: (request, reply) =>
      fail(request, reply, 403, "Not allowed", "Your account may not open this page."),
  });
  const checkCsrf = async (request: FastifyRequest, reply: FastifyReply) => {
    const failure = csrfFailure(request, request.portalSession?.csrfToken);
    if (failure === undefined) return undefined;
    request.log.warn({ reason: failure }, "portal request refused by the CSRF check");
    const body = request.body as Record<string, unknown> | undefined;
    if (body && typeof body === "object") delete body[CSRF_FIELD];
    return send(
      reply,
      403,
      errorPage(
        context(request),
        "Request refused",
        "This form has expired or did not come from this site. Open the page again and retry.",
        { href: request.portalSession?.user ? "/merchants" : "/login", text: "Start again" },
      ),
    );
  };
  const kit: PortalKit = {
    options,
    sessions,
    access,
    throttle,
    assets: assetUrls(assets),
    send,
    context,
    checkCsrf,
    fail,
  };

  app.addHook("onRequest", async (request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (request.url.startsWith("/portal/assets/")) return;
    const session = await sessions.load(request);
    if (session) request.portalSession = session;
  });

  // CSRF: every state-changing request needs the session's token, checked once the body is parsed
  // and before anything else looks at it.
  // Upload routes (`config.csrfAfterParts`) are checked by their scope once the multipart parts are
  // read (services/upload-scope.ts): their body is not parsed yet when this hook runs.
  app.addHook("preValidation", async (request, reply) => {
    if (!STATE_CHANGING.has(request.method)) return;
    if (request.routeOptions.config.csrfAfterParts === true) return;
    return checkCsrf(request, reply);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure: unknown = error;
    let status = 500;
    if (error.validation) status = 400;
    else if (isParleyError(failure)) status = HTTP_STATUS_BY_CODE[failure.code] ?? 500;
    else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500)
      status = error.statusCode;
    if (status >= 500) request.log.error({ err: error }, "portal request failed");
    const message =
      status === 400
        ? "The request was not understood; go back and check the form."
        : status >= 500
          ? "Something went wrong on our side; try again in a moment."
          : "This request cannot be answered.";
    return fail(request, reply, status, status >= 500 ? "Error" : "Cannot do that", message);
  });

  assetRoutes(app, assets);
  loginRoutes(app, kit);
  directoryRoutes(app, kit);
  callRoutes(app, kit);
  recordingPages(app, kit);
  voicemailPages(app, kit);
  backgroundCallPages(app, kit);
  adminRoutes(app, kit);
  ownerRoutes(app, kit);
};
