import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../kernel/clock.ts";
import { HTTP_STATUS_BY_CODE } from "../errors.ts";
import { body as errorBody } from "../plugins/error-responses.ts";
import type {
  WidgetClickCall,
  WidgetClickEvent,
  WidgetClickToCall,
  WidgetMerchant,
  WidgetMerchants,
} from "./ports.ts";
import { SlidingWindowLimit } from "./sliding-window-limit.ts";
import { WidgetRefusal } from "./widget-refusal.ts";
import { FINAL_STEPS, widgetCallView, widgetStatus } from "./widget-status.ts";

/** At most `calls` calls within any `windowSeconds`. */
export interface WidgetLimit {
  calls: number;
  windowSeconds: number;
}

export interface WidgetOptions {
  clock: Clock;
  /** Merchants by widget key. */
  merchants: WidgetMerchants;
  /** The click-to-call service, once the node runs it (503 before). */
  clickToCall: () => WidgetClickToCall | undefined;
  /** Calls one source address may request (default 5 per 10 minutes). */
  perAddress?: WidgetLimit;
  /** Calls to one phone number (default 3 per 10 minutes), whichever sites request them. */
  perNumber?: WidgetLimit;
}

export const WIDGET_DEFAULT_LIMITS = {
  perAddress: { calls: 5, windowSeconds: 600 },
  perNumber: { calls: 3, windowSeconds: 600 },
} as const satisfies Record<string, WidgetLimit>;

/** E.164 or a local extension, as the portal and the service accept them. */
const MEMBER_NUMBER = /^(?:\+[1-9][0-9]{6,14}|[0-9]{2,8})$/;
const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const SCRIPT_CACHE = "public, max-age=3600";

/**
 * The embeddable click-to-call widget, outside /api/v1 and the portal's sessions: the script a
 * merchant pastes into their own site (GET /widget/parley-call.js), and the calls it places
 * (POST /widget/calls) and follows (GET /widget/calls/:id, …/events). A merchant key names the
 * merchant; only pages from the merchant's `widgetOrigins` get CORS headers, and a request from
 * any other origin (or none) is refused before anything is dialled. Calls are rate-limited per
 * source address and per phone number on the injected Clock. Widget callers have no account, so
 * only merchants whose calls the merchant or a sponsor pays can be called.
 */
export const widgetRoutes: FastifyPluginAsync<WidgetOptions> = async (app, options) => {
  // Public endpoints of the widget, not part of the REST API's OpenAPI document.
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  const script = await readFile(new URL("./assets/parley-call.js", import.meta.url));
  const etag = `"${createHash("sha256").update(script).digest("hex").slice(0, 16)}"`;
  const perAddress = options.perAddress ?? WIDGET_DEFAULT_LIMITS.perAddress;
  const perNumber = options.perNumber ?? WIDGET_DEFAULT_LIMITS.perNumber;
  const limits = {
    address: new SlidingWindowLimit({
      clock: options.clock,
      max: perAddress.calls,
      windowMs: perAddress.windowSeconds * 1000,
    }),
    number: new SlidingWindowLimit({
      clock: options.clock,
      max: perNumber.calls,
      windowMs: perNumber.windowSeconds * 1000,
    }),
  };

  /**
   * The merchant named by the key, when the request comes from one of its origins; the reply then
   * carries that origin in Access-Control-Allow-Origin (exact match, never a wildcard). Otherwise
   * a refusal, and no CORS headers, so a browser hides even the refusal from the other site.
   */
  const admitted = async (request: FastifyRequest, reply: FastifyReply, key: unknown) => {
    reply.header("vary", "Origin").header("cache-control", "no-store");
    if (typeof key !== "string" || !KEY.test(key))
      throw new WidgetRefusal("WIDGET_KEY", "This call button has no valid merchant key.");
    const merchant = await options.merchants.byWidgetKey(key);
    if (!merchant?.active) throw new WidgetRefusal("WIDGET_KEY", "No merchant has this call button's key.");
    const origin = request.headers.origin;
    if (typeof origin !== "string" || origin === "null" || !merchant.widgetOrigins.includes(origin)) {
      request.log.warn({ merchant: merchant.id, origin }, "widget request from an origin not configured");
      throw new WidgetRefusal("WIDGET_ORIGIN", "This site may not place calls to this merchant.");
    }
    reply.header("access-control-allow-origin", origin);
    return merchant;
  };

  const refuse = (reply: FastifyReply, error: unknown) => {
    if (error instanceof WidgetRefusal) {
      if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
      return reply.status(error.statusCode).send(errorBody(error.code, error.message));
    }
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof Error && typeof code === "string" && code.startsWith("CLICK_")) {
      const message =
        code === "CLICK_PAYER"
          ? "This merchant's calls are paid by members of its portal, so they cannot be placed from this site."
          : error.message;
      return reply.status(HTTP_STATUS_BY_CODE[code] ?? 409).send(errorBody(code, message));
    }
    throw error;
  };

  const service = () => {
    const found = options.clickToCall();
    if (!found) throw new WidgetRefusal("WIDGET_UNAVAILABLE", "Calls cannot be placed right now.");
    return found;
  };

  const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

  app.get("/widget/parley-call.js", async (request, reply) => {
    reply
      .header("etag", etag)
      .header("cache-control", SCRIPT_CACHE)
      // Any site may load the script (and check it with Subresource Integrity); what it may do is
      // decided per merchant when it posts.
      .header("access-control-allow-origin", "*")
      .header("cross-origin-resource-policy", "cross-origin")
      .header("x-content-type-options", "nosniff");
    if (request.headers["if-none-match"] === etag) return reply.status(304).send();
    return reply.type("text/javascript; charset=utf-8").send(script);
  });

  // The CORS preflight of POST /widget/calls (the widget posts JSON): the key is in the query, as
  // the preflight carries no body. Listed origins only.
  app.options<{ Querystring: { key?: string } }>("/widget/calls", async (request, reply) => {
    try {
      await admitted(request, reply, request.query.key);
      const method = request.headers["access-control-request-method"];
      if (method !== undefined && method !== "POST")
        throw new WidgetRefusal("WIDGET_ORIGIN", "The widget only posts calls.");
      return reply
        .header("access-control-allow-methods", "POST")
        .header("access-control-allow-headers", "content-type")
        .header("access-control-max-age", "600")
        .status(204)
        .send();
    } catch (error) {
      reply.removeHeader("access-control-allow-origin");
      return refuse(reply, error);
    }
  });

  app.post<{ Querystring: { key?: string } }>("/widget/calls", async (request, reply) => {
    try {
      const given = (typeof request.body === "object" && request.body !== null ? request.body : {}) as Record<
        string,
        unknown
      >;
      if (request.query.key !== undefined && given.key !== undefined && request.query.key !== given.key)
        throw new WidgetRefusal("WIDGET_INVALID", "The merchant key in the address and in the body differ.");
      const merchant = await admitted(request, reply, given.key ?? request.query.key);
      const numberIndex = given.numberIndex ?? 0;
      if (!Number.isInteger(numberIndex) || (numberIndex as number) < 0)
        throw new WidgetRefusal("WIDGET_INVALID", "numberIndex must be a whole number from 0.");
      if (!merchant.numbers[numberIndex as number])
        throw new WidgetRefusal("WIDGET_INVALID", "This merchant has no such number.");
      const typed = typeof given.memberNumber === "string" ? given.memberNumber.trim() : "";
      const memberNumber = typed.replace(/[\s().-]/g, "");
      if (typed.length > 40 || !MEMBER_NUMBER.test(memberNumber))
        throw new WidgetRefusal(
          "WIDGET_INVALID",
          "Enter your number as + country code and number (for example +4930123456), or an extension.",
        );
      const placed = await place(request, merchant, memberNumber, numberIndex as number);
      const path = `/widget/calls/${encodeURIComponent(placed.id)}`;
      return reply.status(201).header("location", path).send(widgetCallView(placed));
    } catch (error) {
      return refuse(reply, error);
    }
  });

  const place = async (
    request: FastifyRequest,
    merchant: WidgetMerchant,
    memberNumber: string,
    numberIndex: number,
  ): Promise<WidgetClickCall> => {
    const running = service();
    const addressWait = limits.address.waitMs(request.ip);
    if (addressWait > 0)
      throw new WidgetRefusal(
        "WIDGET_LIMIT",
        `Too many calls were requested from your network. Try again in ${minutes(addressWait)} min.`,
        Math.ceil(addressWait / 1000),
      );
    const numberWait = limits.number.waitMs(memberNumber);
    if (numberWait > 0)
      throw new WidgetRefusal(
        "WIDGET_LIMIT",
        `Too many calls were requested to this number. Try again in ${minutes(numberWait)} min.`,
        Math.ceil(numberWait / 1000),
      );
    // Counted before placing: refused attempts (no balance, a merchant members pay for) count too.
    limits.address.record(request.ip);
    limits.number.record(memberNumber);
    const placed = await running.place({ memberNumber, merchantId: merchant.id, numberIndex });
    request.log.info(
      { merchant: merchant.id, click: placed.id, origin: request.headers.origin },
      "widget call placed",
    );
    return placed;
  };

  /** The merchant's call with this id, for a request admitted by key and origin. */
  const ownCall = async (
    request: FastifyRequest<{ Params: { id: string }; Querystring: { key?: string } }>,
    reply: FastifyReply,
  ) => {
    const merchant = await admitted(request, reply, request.query.key);
    const running = service();
    const call = running.get(request.params.id);
    if (!call || call.merchantId !== merchant.id)
      throw new WidgetRefusal("WIDGET_CALL_NOT_FOUND", "This call is not known here.");
    return { call, running };
  };

  app.get<{ Params: { id: string }; Querystring: { key?: string } }>(
    "/widget/calls/:id",
    async (request, reply) => {
      try {
        const { call } = await ownCall(request, reply);
        return reply.send(widgetCallView(call));
      } catch (error) {
        return refuse(reply, error);
      }
    },
  );

  app.get<{ Params: { id: string }; Querystring: { key?: string } }>(
    "/widget/calls/:id/events",
    async (request, reply) => {
      let found: Awaited<ReturnType<typeof ownCall>>;
      try {
        found = await ownCall(request, reply);
      } catch (error) {
        return refuse(reply, error);
      }
      const { call, running } = found;
      streamSteps(request, reply, running, call);
    },
  );
};

/**
 * The call's steps as server-sent events (`event: step`, data: seq, step, status, final): the
 * past ones first, then each as it happens, until a final step ends the stream.
 */
function streamSteps(
  request: FastifyRequest,
  reply: FastifyReply,
  running: WidgetClickToCall,
  call: WidgetClickCall,
): void {
  const origin = reply.getHeader("access-control-allow-origin");
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    vary: "Origin",
    ...(typeof origin === "string" ? { "access-control-allow-origin": origin } : {}),
  });
  let finished = false;
  let last = 0;
  const send = (changed: WidgetClickCall, event: WidgetClickEvent) => {
    if (finished || event.seq <= last) return;
    last = event.seq;
    raw.write(`id: ${event.seq}\nevent: step\ndata: ${JSON.stringify(widgetStatus(event, changed))}\n\n`);
    if (FINAL_STEPS.has(event.step)) finish();
  };
  const listener = (changed: WidgetClickCall, event: WidgetClickEvent) => {
    if (changed.id === call.id) send(changed, event);
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    running.off("progress", listener);
    raw.end();
  };
  running.on("progress", listener);
  const now = running.get(call.id) ?? call;
  for (const event of now.events) send(now, event);
  request.raw.on("close", finish);
}
