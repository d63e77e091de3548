import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { PortalKit } from "../portal-kit.ts";
import { type BackgroundCallsView, backgroundCallsPage, dialable } from "./background-call-views.ts";
import type { PortalBackgroundCalls, PortalCallRecord } from "./service-ports.ts";

const JOB_PAGE = 50;
/** Call records read for the recent unanswered calls. */
const HISTORY_PAGE = 50;
const UNANSWERED_SHOWN = 5;
const StartBody = Type.Object({
  callee: Type.String({ maxLength: 320 }),
  _csrf: Type.Optional(Type.String()),
});
const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const NoticeQuery = Type.Object({
  started: Type.Optional(Type.String({ maxLength: 320 })),
  stopped: Type.Optional(Type.String({ maxLength: 320 })),
});

function refusalOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("CALLBACK_") ? error.message : undefined;
}

/** Calls the user placed that nobody answered, newest first. */
function unansweredCalls(records: readonly PortalCallRecord[], user: string): PortalCallRecord[] {
  return records.filter(
    (r) =>
      r.kind === "inbound" &&
      r.caller?.toLowerCase() === user &&
      r.disposition !== undefined &&
      r.disposition !== "answered" &&
      r.disposition !== "interrupted",
  );
}

/**
 * Who the open offer is most likely about: the newest callee whose last `threshold` calls from the
 * user all went unanswered (the offer itself only says that there is one).
 */
export function offeredCallee(
  records: readonly PortalCallRecord[],
  user: string,
  threshold: number,
): string | undefined {
  const own = records.filter((r) => r.kind === "inbound" && r.caller?.toLowerCase() === user);
  for (const candidate of new Set(own.map((r) => r.to))) {
    const last = own.filter((r) => r.to === candidate).slice(0, threshold);
    if (last.length === threshold && last.every((r) => r.disposition !== "answered")) return candidate;
  }
  return undefined;
}

/**
 * Service 3 on the portal: /background-calls lists the user's background calls (state, attempts,
 * next attempt) with a Stop button on each running one, starts new ones (a callee typed in, or
 * "Keep trying" beside a recent unanswered call), and shows the offer made after repeated
 * unanswered calls with a button that accepts it. A user sees and stops only their own jobs.
 */
export function backgroundCallPages(app: FastifyInstance, kit: PortalKit): void {
  const { options, access } = kit;
  const member = access.require("member");
  const unavailable = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 503, "Not available", "Background calls are not available right now.");
  const userOf = (request: FastifyRequest) => request.portalViewer?.user ?? "";

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    service: PortalBackgroundCalls,
    status: number,
    extra: Partial<BackgroundCallsView> = {},
  ) => {
    const user = userOf(request);
    const jobs = await service.list({ caller: user, limit: JOB_PAGE });
    const history = options.callHistory
      ? await options.callHistory.list({ party: user, limit: HISTORY_PAGE }).catch(() => [])
      : [];
    const threshold = service.settings.offerThreshold;
    const offered = service.offers.hasOffer(user) ? offeredCallee(history, user, threshold) : undefined;
    const seen = new Set<string>();
    const unanswered = unansweredCalls(history, user)
      .filter((r) => !seen.has(r.to) && seen.add(r.to))
      .slice(0, UNANSWERED_SHOWN)
      .map((r) => ({ to: r.to, at: r.startedAt }));
    const view: BackgroundCallsView = {
      jobs,
      unanswered,
      callee: "",
      ...(service.offers.hasOffer(user) && {
        offer: { threshold, ...(offered !== undefined && { callee: offered }) },
      }),
      ...extra,
    };
    return kit.send(reply, status, backgroundCallsPage(kit.context(request), view));
  };

  const start = async (
    request: FastifyRequest,
    reply: FastifyReply,
    service: PortalBackgroundCalls,
    callee: string,
    origin: "portal" | "offer",
  ) => {
    const user = userOf(request);
    try {
      const job = await service.begin({ caller: user, callee, origin });
      request.log.info({ user, job: job.id, origin }, "background call started on the portal");
      return reply.redirect(`/background-calls?started=${encodeURIComponent(dialable(job.callee))}`, 303);
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined) throw error;
      return render(request, reply, service, 409, { callee, error: refusal });
    }
  };

  app.get<{ Querystring: { started?: string; stopped?: string } }>(
    "/background-calls",
    { schema: { querystring: NoticeQuery }, preHandler: member },
    async (request, reply) => {
      const service = options.backgroundCalls?.();
      if (!service) return unavailable(request, reply);
      const { started, stopped } = request.query;
      const notice =
        started !== undefined
          ? `Parley keeps trying ${started} and calls you back when they answer.`
          : stopped !== undefined
            ? `The background call to ${stopped} is stopped.`
            : undefined;
      return render(request, reply, service, 200, notice === undefined ? {} : { notice });
    },
  );

  app.post<{ Body: { callee: string } }>(
    "/background-calls",
    { schema: { body: StartBody }, preHandler: member },
    async (request, reply) => {
      const service = options.backgroundCalls?.();
      if (!service) return unavailable(request, reply);
      const callee = request.body.callee.trim();
      if (callee === "")
        return render(request, reply, service, 400, { error: "Enter the number to keep trying." });
      return start(request, reply, service, callee, "portal");
    },
  );

  app.post("/background-calls/offer", { preHandler: member }, async (request, reply) => {
    const service = options.backgroundCalls?.();
    if (!service) return unavailable(request, reply);
    const callee = service.offers.accept(userOf(request), options.clock.now());
    if (callee === undefined)
      return render(request, reply, service, 409, { error: "The offer has expired." });
    return start(request, reply, service, callee, "offer");
  });

  app.post<{ Params: { id: string } }>(
    "/background-calls/:id/stop",
    { schema: { params: JobParams }, preHandler: member },
    async (request, reply) => {
      const service = options.backgroundCalls?.();
      if (!service) return unavailable(request, reply);
      const user = userOf(request);
      const job = await service.get(request.params.id);
      // Another user's job is answered as an unknown one, so ids cannot be probed.
      if (!job || job.caller.toLowerCase() !== user)
        return kit.fail(request, reply, 404, "Not found", "There is no such background call.");
      await service.stop(job.id, `portal (${user})`);
      request.log.info({ user, job: job.id }, "background call stopped on the portal");
      return reply.redirect(`/background-calls?stopped=${encodeURIComponent(dialable(job.callee))}`, 303);
    },
  );
}
