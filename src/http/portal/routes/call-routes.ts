import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { type PortalKit, splitAccount } from "../portal-kit.ts";
import type { PortalClickCall, PortalClickEvent, PortalMerchant } from "../ports.ts";
import { type ConfirmView, callStatusPage, confirmPage, MEMBER_NUMBER } from "../views/call-views.ts";
import { eventPayload, FINAL_STEPS } from "../views/format.ts";

const ConfirmParams = Type.Object({
  merchantId: Type.String({ maxLength: 200 }),
  index: Type.Integer({ minimum: 0, maximum: 99 }),
});
const PlaceBody = Type.Object({
  merchantId: Type.String({ maxLength: 200 }),
  index: Type.Integer({ minimum: 0, maximum: 99 }),
  memberNumber: Type.String({ maxLength: 40 }),
  _csrf: Type.Optional(Type.String()),
});
const CallParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
/** A comment line on the event stream this often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/** Status of the confirm page when the service refuses: 402 for money, 409 for everything else. */
export function refusalStatus(code: string): number {
  return code === "CLICK_BALANCE" ? 402 : 409;
}

function refusalOf(error: unknown): { code: string; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("CLICK_") ? { code, message: error.message } : undefined;
}

/** Spaces, dots, dashes and brackets people type in phone numbers are dropped before validation. */
export function normalizeNumber(typed: string): string {
  return typed.replace(/[\s().-]/g, "");
}

/**
 * The click flow: the confirm page (/call/:merchantId/:index), POST /calls (place the call, 303
 * to its page), the live status page (/calls/:id) and its event stream (/calls/:id/events).
 */
export function callRoutes(app: FastifyInstance, kit: PortalKit): void {
  const { options, access } = kit;
  const member = access.require("member");
  const unavailable = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(
      request,
      reply,
      503,
      "Not available",
      "Click-to-call is not running right now; try again later.",
    );
  const noMerchant = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 404, "Not found", "There is no such merchant or number.");
  const noCall = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 404, "Not found", "There is no such call.");

  /** The merchant and number index when both exist (and the merchant is active). */
  const target = async (merchantId: string, index: number): Promise<PortalMerchant | undefined> => {
    const merchant = await options.merchants.get(merchantId);
    return merchant?.active && merchant.numbers[index] !== undefined ? merchant : undefined;
  };

  /** The member's own numbers: the extension when it is a local number, then their E.164 numbers. */
  const ownNumbers = async (user: string): Promise<string[]> => {
    const { extension, domain } = splitAccount(user);
    const record = await options.directory.findUser(extension, domain).catch(() => undefined);
    const numbers = MEMBER_NUMBER.test(extension) ? [extension] : [];
    return [...numbers, ...(record?.phoneNumbers ?? []).filter((n) => MEMBER_NUMBER.test(n))];
  };

  const confirm = (request: FastifyRequest, reply: FastifyReply, status: number, view: ConfirmView) =>
    kit.send(reply, status, confirmPage(kit.context(request), view));

  app.get<{ Params: { merchantId: string; index: number } }>(
    "/call/:merchantId/:index",
    { schema: { params: ConfirmParams }, preHandler: member },
    async (request, reply) => {
      const { merchantId, index } = request.params;
      const merchant = await target(merchantId, index);
      if (!merchant) return noMerchant(request, reply);
      const numbers = await ownNumbers(request.portalViewer?.user ?? "");
      return confirm(request, reply, 200, {
        merchant,
        index,
        memberNumber: numbers[0] ?? "",
        suggestions: numbers,
      });
    },
  );

  app.post<{ Body: { merchantId: string; index: number; memberNumber: string } }>(
    "/calls",
    { schema: { body: PlaceBody }, preHandler: member },
    async (request, reply) => {
      const user = request.portalViewer?.user ?? "";
      const { merchantId, index } = request.body;
      const merchant = await target(merchantId, index);
      if (!merchant) return noMerchant(request, reply);
      const typed = request.body.memberNumber.trim();
      const memberNumber = normalizeNumber(typed);
      const view = { merchant, index, memberNumber: typed, suggestions: await ownNumbers(user) };
      if (!MEMBER_NUMBER.test(memberNumber)) {
        const numberError =
          "Enter an international number starting with + (such as +15551234567) or an extension of 2 to 8 digits.";
        return confirm(request, reply, 400, { ...view, numberError });
      }
      const service = options.clickToCall();
      if (!service) return unavailable(request, reply);
      let call: PortalClickCall;
      try {
        call = await service.place({ member: user, memberNumber, merchantId, numberIndex: index });
      } catch (error) {
        const refusal = refusalOf(error);
        if (!refusal) throw error;
        request.log.info({ code: refusal.code, merchantId }, "click-to-call refused");
        return confirm(request, reply, refusalStatus(refusal.code), { ...view, refusal: refusal.message });
      }
      return reply.redirect(`/calls/${encodeURIComponent(call.id)}`, 303);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/calls/:id",
    { schema: { params: CallParams }, preHandler: member },
    async (request, reply) => {
      const service = options.clickToCall();
      if (!service) return unavailable(request, reply);
      const call = service.get(request.params.id);
      const viewer = request.portalViewer;
      if (!call || !viewer || !access.canSeeCall(viewer, call)) return noCall(request, reply);
      const merchant = await options.merchants.get(call.merchantId);
      return kit.send(
        reply,
        200,
        callStatusPage(kit.context(request), {
          call,
          merchantName: merchant?.name ?? call.merchantId,
          eventsUrl: `/calls/${encodeURIComponent(call.id)}/events`,
        }),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    "/calls/:id/events",
    { schema: { params: CallParams }, preHandler: member },
    async (request, reply) => {
      const service = options.clickToCall();
      if (!service) return unavailable(request, reply);
      const call = service.get(request.params.id);
      const viewer = request.portalViewer;
      if (!call || !viewer || !access.canSeeCall(viewer, call)) return noCall(request, reply);
      const lastEventId = Number.parseInt(String(request.headers["last-event-id"] ?? "0"), 10) || 0;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-content-type-options": "nosniff",
      });
      let finished = false;
      let sent = lastEventId;
      let keepAlive = options.clock.setTimer(KEEP_ALIVE_MS, function beat() {
        if (finished) return;
        raw.write(": keep-alive\n\n");
        keepAlive = options.clock.setTimer(KEEP_ALIVE_MS, beat);
      });
      const finish = () => {
        if (finished) return;
        finished = true;
        keepAlive.cancel();
        service.off("progress", listener);
        raw.end();
      };
      const send = (current: PortalClickCall, event: PortalClickEvent) => {
        if (finished || event.seq <= sent) return;
        sent = event.seq;
        raw.write(
          `id: ${event.seq}\nevent: progress\ndata: ${JSON.stringify(eventPayload(current, event))}\n\n`,
        );
        if (FINAL_STEPS.has(event.step)) finish();
      };
      const listener = (changed: PortalClickCall, event: PortalClickEvent) => {
        if (changed.id === call.id) send(changed, event);
      };
      // Subscribe before replaying so that nothing falls between the two; seq drops duplicates.
      service.on("progress", listener);
      for (const event of [...call.events]) send(call, event);
      request.raw.on("close", finish);
    },
  );
}
