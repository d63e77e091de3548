import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { CreditControl, RatePlan } from "../../billing/index.ts";
import {
  type ClickCall,
  ClickToCallRefused,
  type ClickToCallService,
  type Merchant,
  type MerchantStore,
} from "../../services/click-to-call/index.ts";
import { HttpError } from "../errors.ts";
import { callerOf } from "../plugins/bearer-auth.ts";
import { errorResponses } from "../schemas.ts";

export interface ClickToCallRoutesOptions {
  /** The service and its stores, once the node runs them (503 before). */
  clickToCall: () =>
    | { service: ClickToCallService; credit: CreditControl; merchants: MerchantStore }
    | undefined;
}

const Step = Type.String({
  description:
    "checking, calling-member, member-answered, calling-merchant, connected, ended, refused, failed",
});
const ClickView = Type.Object({
  id: Type.String(),
  member: Type.Optional(Type.String()),
  memberNumber: Type.String(),
  merchantId: Type.String(),
  merchantNumber: Type.String(),
  payerAccount: Type.Optional(Type.String()),
  step: Step,
  durationSeconds: Type.Optional(Type.Integer()),
  cost: Type.Optional(Type.Integer({ description: "Minor units charged to the payer" })),
  currency: Type.Optional(Type.String()),
  callId: Type.Optional(Type.String()),
  maxSeconds: Type.Optional(Type.Integer()),
  events: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      step: Step,
      at: Type.String({ format: "date-time" }),
      message: Type.String(),
    }),
  ),
});
const Payer = Type.Union([
  Type.Object({ kind: Type.Literal("member") }),
  Type.Object({ kind: Type.Literal("merchant"), accountId: Type.String() }),
  Type.Object({ kind: Type.Literal("sponsor"), accountId: Type.String() }),
]);
const MerchantBody = Type.Object(
  {
    id: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 2000, default: "" }),
    category: Type.String({ minLength: 1, maxLength: 100 }),
    numbers: Type.Array(
      Type.Object({
        label: Type.String({ maxLength: 100 }),
        number: Type.String({ pattern: "^(\\+[1-9][0-9]{6,14}|[0-9]{2,8})$" }),
      }),
      { minItems: 1, maxItems: 20 },
    ),
    payer: Payer,
    campaigns: Type.Optional(
      Type.Array(
        Type.Object({
          id: Type.String({ minLength: 1 }),
          payer: Payer,
          from: Type.Optional(Type.Integer({ description: "Epoch ms when the campaign starts" })),
          until: Type.Optional(Type.Integer({ description: "Epoch ms when it ends" })),
        }),
        { description: "Sponsored periods: the first running campaign's payer pays, ahead of `payer`." },
      ),
    ),
    planId: Type.String({ minLength: 1 }),
    owner: Type.Optional(Type.String()),
    widgetOrigins: Type.Array(Type.String(), { default: [] }),
    widgetKey: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9_-]{16,128}$",
        description: "The embeddable widget's merchant key (public, in the embed code); no key, no widget",
      }),
    ),
    active: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);
const AccountView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  currency: Type.String(),
  owner: Type.String(),
  balance: Type.Integer(),
  reserved: Type.Integer(),
});
const RateBody = Type.Object({
  prefix: Type.String({ pattern: "^[0-9]*$" }),
  perMinuteMicros: Type.Integer({ minimum: 0 }),
  connectionFee: Type.Integer({ minimum: 0 }),
  firstIncrement: Type.Integer({ minimum: 1 }),
  nextIncrement: Type.Integer({ minimum: 1 }),
});

const view = (click: ClickCall) => ({
  ...click,
  events: click.events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
});

/**
 * Click-to-call over REST: place a call (members with their own token, admins for anyone),
 * follow it (JSON, server-sent events); and, for admins, the merchant directory, prepaid accounts
 * with top-ups, and rate plans.
 */
export const clickToCallRoutes: FastifyPluginAsyncTypebox<ClickToCallRoutesOptions> = async (
  app,
  { clickToCall },
) => {
  const running = () => {
    const found = clickToCall();
    if (!found) throw new HttpError("HTTP_UNAVAILABLE", "click-to-call is not available on this node");
    return found;
  };
  const admin = (request: Parameters<typeof callerOf>[0]) => {
    if (!callerOf(request).admin) throw new HttpError("HTTP_FORBIDDEN", "this needs an admin token");
  };

  app.post(
    "/click-to-call",
    {
      schema: {
        tags: ["click-to-call"],
        summary:
          "Call the member first, then the merchant, and bridge them (the payer's balance is checked first)",
        body: Type.Object(
          {
            merchantId: Type.String(),
            numberIndex: Type.Optional(Type.Integer({ minimum: 0 })),
            memberNumber: Type.String({ description: "The member's phone: +E.164 or an extension" }),
            member: Type.Optional(
              Type.String({ description: "extension@domain (admin tokens; a user token is the member)" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: ClickView, ...errorResponses(400, 401, 402, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const member = caller.admin ? request.body.member : caller.user;
      try {
        const click = await running().service.place({
          merchantId: request.body.merchantId,
          memberNumber: request.body.memberNumber,
          ...(request.body.numberIndex === undefined ? {} : { numberIndex: request.body.numberIndex }),
          ...(member ? { member } : {}),
        });
        reply.code(201);
        return view(click);
      } catch (error) {
        if (error instanceof ClickToCallRefused) throw new HttpError(error.code, error.message);
        throw error;
      }
    },
  );

  const owned = (request: Parameters<typeof callerOf>[0], id: string) => {
    const click = running().service.get(id);
    const caller = callerOf(request);
    if (!click || (!caller.admin && click.member !== caller.user))
      throw new HttpError("CLICK_NOT_FOUND", `no call ${id}`);
    return click;
  };

  app.get(
    "/click-to-call/:id",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "A click-to-call's steps, duration and cost",
        params: Type.Object({ id: Type.String() }),
        response: { 200: ClickView, ...errorResponses(401, 404, 503) },
      },
    },
    async (request) => view(owned(request, request.params.id)),
  );

  app.get(
    "/click-to-call/:id/events",
    {
      schema: {
        tags: ["click-to-call"],
        summary:
          "A click-to-call's steps as server-sent events (past ones first), until ended, refused or failed",
        params: Type.Object({ id: Type.String() }),
        response: { ...errorResponses(401, 404, 503) },
      },
    },
    async (request, reply) => {
      const click = owned(request, request.params.id);
      const { service } = running();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      let finished = false;
      let last = 0;
      const send = (event: ClickCall["events"][number]) => {
        if (finished || event.seq <= last) return;
        last = event.seq;
        raw.write(
          `id: ${event.seq}\nevent: step\ndata: ${JSON.stringify({ ...event, at: new Date(event.at).toISOString() })}\n\n`,
        );
        if (["ended", "refused", "failed"].includes(event.step)) finish();
      };
      const listener = (changed: ClickCall, event: ClickCall["events"][number]) => {
        if (changed.id === click.id) send(event);
      };
      const finish = () => {
        if (finished) return;
        finished = true;
        service.off("progress", listener);
        raw.end();
      };
      service.on("progress", listener);
      for (const event of service.get(click.id)?.events ?? []) send(event);
      request.raw.on("close", finish);
    },
  );

  app.get(
    "/merchants",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "The merchant directory",
        querystring: Type.Object({
          search: Type.Optional(Type.String()),
          category: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: {
          200: Type.Object({ merchants: Type.Array(MerchantBody), total: Type.Integer() }),
          ...errorResponses(401, 503),
        },
      },
    },
    async (request) =>
      running().merchants.list({
        limit: request.query.limit,
        ...(request.query.search ? { search: request.query.search } : {}),
        ...(request.query.category ? { category: request.query.category } : {}),
      }),
  );

  app.put(
    "/merchants/:id",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "Create or replace a merchant (admin)",
        params: Type.Object({ id: Type.String() }),
        body: MerchantBody,
        response: { 200: MerchantBody, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      admin(request);
      if (request.body.id !== request.params.id)
        throw new HttpError("HTTP_VALIDATION", "the body's id must be the path's");
      const merchant = request.body as Merchant;
      await running().merchants.save(merchant);
      return merchant;
    },
  );

  app.post(
    "/accounts",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "Open a prepaid account (admin): member:<user>, a merchant's or a sponsor's",
        body: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 200 }),
          kind: Type.Union([Type.Literal("member"), Type.Literal("merchant"), Type.Literal("sponsor")]),
          currency: Type.String({ pattern: "^[A-Z]{3}$" }),
          owner: Type.String({ minLength: 1 }),
        }),
        response: { 201: AccountView, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (request, reply) => {
      admin(request);
      const account = await running().credit.openAccount(request.body);
      reply.code(201);
      return account;
    },
  );

  app.get(
    "/accounts/:id",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "An account's balance and what calls in progress hold (admin)",
        params: Type.Object({ id: Type.String() }),
        response: { 200: AccountView, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      admin(request);
      return running().credit.account(request.params.id);
    },
  );

  app.post(
    "/accounts/:id/top-ups",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "Top up an account (admin); the reference makes it idempotent",
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({ amount: Type.Integer({ minimum: 1 }), reference: Type.Optional(Type.String()) }),
        response: { 200: AccountView, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      admin(request);
      const { credit } = running();
      await credit.topUp(request.params.id, request.body);
      return credit.account(request.params.id);
    },
  );

  app.put(
    "/rate-plans/:id",
    {
      schema: {
        tags: ["click-to-call"],
        summary: "Create or replace a rate plan (admin): rates by longest prefix",
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({
          name: Type.String(),
          currency: Type.String({ pattern: "^[A-Z]{3}$" }),
          rates: Type.Array(RateBody, { minItems: 1 }),
        }),
        response: { 200: Type.Object({ id: Type.String() }), ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      admin(request);
      const plan: RatePlan = { id: request.params.id, ...request.body };
      await running().credit.savePlan(plan);
      return { id: plan.id };
    },
  );
};
