import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalRate, PortalRatePlan } from "../ports.ts";
import { adminGuard, adminPort, type Form, FormBody, failureOf, field } from "./admin-kit.ts";
import { minorUnits, priceToMicros } from "./price.ts";
import {
  EMPTY_PLAN_FORM,
  formOfPlan,
  MAX_RATE_ROWS,
  planUrl,
  type RatePlanForm,
  ratePlanFormPage,
  ratePlansPage,
} from "./rate-plan-views.ts";

const PlanParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const SavedQuery = Type.Object({ saved: Type.Optional(Type.String({ maxLength: 1 })) });
const PLAN_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_INCREMENT = 3600;

/** The plan form as typed; rate rows with every field empty are dropped. */
export function readPlanForm(body: Form): RatePlanForm {
  const rows = Math.min(Number.parseInt(field(body, "rows"), 10) || 0, MAX_RATE_ROWS);
  const rates: RatePlanForm["rates"] = [];
  for (let i = 0; i < rows; i++) {
    const row = {
      prefix: field(body, `prefix${i}`).replace(/^\+/, ""),
      price: field(body, `price${i}`),
      fee: field(body, `fee${i}`),
      first: field(body, `first${i}`),
      next: field(body, `next${i}`),
    };
    if (Object.values(row).some((v) => v !== "")) rates.push(row);
  }
  return {
    id: field(body, "id"),
    name: field(body, "name"),
    currency: field(body, "currency").toUpperCase(),
    rates,
  };
}

/** The plan the form describes, or the first thing wrong with it (in words for the admin). */
export function planOfForm(form: RatePlanForm): { plan: PortalRatePlan } | { error: string } {
  if (!PLAN_ID.test(form.id)) return { error: "The plan id is 1 to 64 letters, digits, ., - or _." };
  if (form.name === "" || form.name.length > 200) return { error: "Enter a name of at most 200 characters." };
  if (!/^[A-Z]{3}$/.test(form.currency))
    return { error: "Enter the currency as a three-letter ISO 4217 code." };
  if (form.rates.length === 0)
    return { error: "Give the plan at least one rate (an empty prefix is the default rate)." };
  const rates: PortalRate[] = [];
  const seen = new Set<string>();
  for (const [i, row] of form.rates.entries()) {
    const n = i + 1;
    if (!/^[0-9]{0,15}$/.test(row.prefix)) return { error: `Prefix ${n} is 0 to 15 digits.` };
    if (seen.has(row.prefix)) return { error: `Prefix ${n} (${row.prefix || "default"}) appears twice.` };
    seen.add(row.prefix);
    const perMinuteMicros = priceToMicros(row.price);
    if (perMinuteMicros === undefined)
      return {
        error: `Price ${n} is a number of minor units per minute with at most six decimals, such as 0.4 or 6.`,
      };
    const connectionFee = row.fee === "" ? 0 : minorUnits(row.fee);
    if (connectionFee === undefined)
      return { error: `Connection fee ${n} is a whole number of minor units.` };
    const firstIncrement = minorUnits(row.first || "60", { min: 1 });
    const nextIncrement = minorUnits(row.next || row.first || "60", { min: 1 });
    if (firstIncrement === undefined || firstIncrement > MAX_INCREMENT)
      return { error: `First increment ${n} is 1 to ${MAX_INCREMENT} seconds.` };
    if (nextIncrement === undefined || nextIncrement > MAX_INCREMENT)
      return { error: `Next increments ${n} are 1 to ${MAX_INCREMENT} seconds.` };
    rates.push({ prefix: row.prefix, perMinuteMicros, connectionFee, firstIncrement, nextIncrement });
  }
  return { plan: { id: form.id, name: form.name, currency: form.currency, rates } };
}

/**
 * Rate plans for admins: GET /admin/rate-plans (every plan with its rates), GET
 * /admin/rate-plans/new, GET /admin/rate-plans/:id and POST /admin/rate-plans (create or replace
 * a plan with all its rates, through billing's savePlan).
 */
export function ratePlanRoutes(app: FastifyInstance, kit: PortalKit): void {
  const guard = adminGuard(kit);
  const form = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: { form: RatePlanForm; editing: boolean; error?: string; saved?: boolean },
  ) => kit.send(reply, status, ratePlanFormPage(kit.context(request), view));

  app.get("/admin/rate-plans", { preHandler: guard }, async (request, reply) =>
    kit.send(reply, 200, ratePlansPage(kit.context(request), await adminPort(kit).plans())),
  );

  app.get("/admin/rate-plans/new", { preHandler: guard }, async (request, reply) =>
    form(request, reply, 200, { form: EMPTY_PLAN_FORM, editing: false }),
  );

  app.get<{ Params: { id: string }; Querystring: { saved?: string } }>(
    "/admin/rate-plans/:id",
    { schema: { params: PlanParams, querystring: SavedQuery }, preHandler: guard },
    async (request, reply) => {
      let plan: PortalRatePlan;
      try {
        plan = await adminPort(kit).plan(request.params.id);
      } catch (error) {
        if (failureOf(error)?.code !== "BILLING_UNKNOWN_PLAN") throw error;
        return kit.fail(request, reply, 404, "Not found", "There is no such rate plan.");
      }
      return form(request, reply, 200, {
        form: formOfPlan(plan),
        editing: true,
        ...(request.query.saved === "1" && { saved: true }),
      });
    },
  );

  app.post<{ Body: Form }>(
    "/admin/rate-plans",
    { schema: { body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const typed = readPlanForm(request.body);
      const editing = field(request.body, "editing") === "1";
      const result = planOfForm(typed);
      if ("error" in result) return form(request, reply, 400, { form: typed, editing, error: result.error });
      try {
        await adminPort(kit).savePlan(result.plan);
      } catch (error) {
        const failure = failureOf(error);
        if (failure?.code !== "BILLING_INVALID_PLAN") throw error;
        return form(request, reply, 400, { form: typed, editing, error: failure.message });
      }
      request.log.info(
        { plan: result.plan.id, rates: result.plan.rates.length, admin: request.portalViewer?.user },
        "portal admin saved a rate plan",
      );
      return reply.redirect(`${planUrl(result.plan.id)}?saved=1`, 303);
    },
  );
}
