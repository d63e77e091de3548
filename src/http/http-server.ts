import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { type CallControl, type CdrStore, MemoryCdrStore } from "../calls/index.ts";
import type { ApiTokenIssuer, SubscriberDirectory } from "../directory/index.ts";
import type { Logger } from "../kernel/log.ts";
import type { Registry } from "../kernel/metrics.ts";
import type { EmergencyService } from "../services/emergency/index.ts";
import type { RecordingSubscriptions, RingbackTones } from "../services/recording/index.ts";
import { requireAdminToken, requireToken } from "./plugins/bearer-auth.ts";
import { installErrorResponses } from "./plugins/error-responses.ts";
import { installHttpMetrics } from "./plugins/http-metrics.ts";
import { type PortalOptions, portalRoutes } from "./portal/index.ts";
import { type BackgroundCallRoutesOptions, backgroundCallRoutes } from "./routes/background-calls.ts";
import { type CallRecordingControl, callRecordingRoutes } from "./routes/call-recording.ts";
import { callRoutes } from "./routes/calls.ts";
import { cdrRoutes } from "./routes/cdrs.ts";
import { type ClickToCallRoutesOptions, clickToCallRoutes } from "./routes/click-to-call.ts";
import { domainRoutes } from "./routes/domains.ts";
import { emergencyRoutes } from "./routes/emergency.ts";
import { healthRoutes } from "./routes/health.ts";
import { type RecordingRoutesOptions, recordingRoutes } from "./routes/recordings.ts";
import { type RegistrationRoutesOptions, registrationRoutes } from "./routes/registrations.ts";
import { userRecordingRoutes } from "./routes/user-recording.ts";
import { userRoutes } from "./routes/users.ts";
import { type VoicemailRoutesOptions, voicemailRoutes } from "./routes/voicemail.ts";
import { type WidgetOptions, widgetRoutes } from "./widget/index.ts";

export interface HttpServerOptions {
  logger: Logger;
  metrics: Registry;
  directory: SubscriberDirectory;
  tokens: ApiTokenIssuer;
  /** Readiness probe, see /readyz. */
  ready: () => Promise<void>;
  trustProxy?: boolean;
  /** Version shown in the OpenAPI document. */
  version: string;
  /** Live registrar bindings and the clock, for /api/v1/registrations (empty without SIP). */
  registrations?: RegistrationRoutesOptions;
  /** Call detail records for /api/v1/cdrs; an empty in-memory store when not given. */
  cdrs?: CdrStore;
  /** Call control for /api/v1/calls, once SIP runs (the routes answer 503 before). */
  calls?: () => CallControl | undefined;
  /** Recordings, their files and the access audit log, for /api/v1/recordings (503 when absent). */
  recordings?: RecordingRoutesOptions;
  /** The recording service, for /api/v1/calls/{id}/recording and /api/v1/recordings/events. */
  recordingControl?: () => CallRecordingControl | undefined;
  /** Recording subscriptions, for /api/v1/users/{id}/recording (503 when absent). */
  recordingSubscriptions?: RecordingSubscriptions;
  /** Personal ring-back tones, for /api/v1/users/{id}/ringback (503 when absent). */
  ringbackTones?: RingbackTones;
  /** Click-to-call, accounts, rate plans and merchants (503 while absent). */
  clickToCall?: ClickToCallRoutesOptions["clickToCall"];
  /** The background-call service, for /api/v1/background-calls (503 while absent). */
  backgroundCalls?: BackgroundCallRoutesOptions["service"];
  /** The voicemail service and its stores, for the voicemail routes (503 while absent). */
  voicemail?: VoicemailRoutesOptions["voicemail"];
  /** Service 5: emergency numbers, calls in progress and their audit, for admins (503 while absent). */
  emergency?: () => EmergencyService | undefined;
  /** The click-to-call web portal (pages at /, /login, /merchants …; docs/portal.md); none when absent. */
  portal?: PortalOptions;
  /** The embeddable click-to-call widget (/widget/parley-call.js, /widget/calls; docs/click-to-call.md); none when absent. */
  widget?: WidgetOptions;
}

const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the HTTP server: REST API under /api/v1 (admin bearer token), OpenAPI document and UI at
 * /api/docs, /healthz, /readyz and /metrics. It does not listen; ParleyNode does, so tests can use
 * inject() on the same instance.
 */
export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    // An incoming X-Request-Id is kept (so a proxy's id follows the request); otherwise a new one.
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Probes and scrapes arrive every few seconds; logging each would bury the lines that matter.
    logController: new LogController({
      disableRequestLogging: (request: { url?: string }) =>
        QUIET_PATHS.has((request.url ?? "").split("?")[0] ?? ""),
    }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  installErrorResponses(app);
  installHttpMetrics(app, options.metrics);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Parley REST API",
        version: options.version,
        description:
          "Provisioning and operation of a Parley VoIP node. Every /api/v1 route needs a bearer token: an admin token, or for recordings, recording subscriptions and ring-back tones, a user token, which reaches only its own user's.",
      },
      components: { securitySchemes: { bearerToken: { type: "http", scheme: "bearer" } } },
      tags: [
        { name: "users", description: "Subscribers" },
        { name: "domains", description: "SIP domains" },
        { name: "registrations", description: "Where registered phones are" },
        { name: "calls", description: "Calls placed by the server, and calls in progress" },
        { name: "cdrs", description: "Call detail records" },
        {
          name: "recordings",
          description: "Call recordings, their access audit, subscriptions and ring-back tones",
        },
        { name: "voicemail", description: "Mailboxes, greetings, signatures, voice messages" },
        { name: "background-calls", description: "Persistent background calls" },
        { name: "click-to-call", description: "Click-to-call, merchants, prepaid accounts and rate plans" },
        {
          name: "emergency",
          description:
            "Emergency numbers, emergency calls in progress (add, mute, kick) and their audit trail",
        },
        { name: "health", description: "Liveness and readiness" },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });

  healthRoutes(app, { ready: options.ready });
  if (options.portal) await app.register(portalRoutes, options.portal);
  if (options.widget) await app.register(widgetRoutes, options.widget);
  await app.register(
    async (api) => {
      api.addHook("onRoute", (route) => {
        route.schema = { ...route.schema, security: [{ bearerToken: [] }] };
      });
      // Admin tokens only.
      await api.register(async (admin) => {
        requireAdminToken(admin, options.tokens);
        await admin.register(userRoutes, { directory: options.directory, tokens: options.tokens });
        await admin.register(domainRoutes, { directory: options.directory });
        await admin.register(
          registrationRoutes,
          options.registrations ?? { registrations: () => [], now: () => 0 },
        );
        await admin.register(cdrRoutes, { cdrs: options.cdrs ?? new MemoryCdrStore() });
        await admin.register(callRoutes, { calls: options.calls ?? (() => undefined) });
        await admin.register(callRecordingRoutes, {
          recording: options.recordingControl ?? (() => undefined),
          callExists: (id) => options.calls?.()?.call(id) !== undefined,
        });
        await admin.register(emergencyRoutes, {
          directory: options.directory,
          emergency: options.emergency ?? (() => undefined),
        });
      });
      // Admin or user tokens; each route limits what a user token reaches to its own user.
      await api.register(async (scoped) => {
        requireToken(scoped, options.tokens);
        await scoped.register(
          recordingRoutes,
          options.recordings === undefined ? {} : { recordings: options.recordings },
        );
        await scoped.register(userRecordingRoutes, {
          directory: options.directory,
          ...(options.recordingSubscriptions !== undefined && {
            subscriptions: options.recordingSubscriptions,
          }),
          ...(options.ringbackTones !== undefined && { ringbackTones: options.ringbackTones }),
        });
        await scoped.register(clickToCallRoutes, { clickToCall: options.clickToCall ?? (() => undefined) });
        await scoped.register(backgroundCallRoutes, {
          directory: options.directory,
          service: options.backgroundCalls ?? (() => undefined),
        });
        await scoped.register(voicemailRoutes, {
          directory: options.directory,
          voicemail: options.voicemail ?? (() => undefined),
        });
      });
    },
    { prefix: "/api/v1" },
  );
  return app;
}
