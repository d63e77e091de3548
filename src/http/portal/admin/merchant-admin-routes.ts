import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalAdminMerchant, PortalPayer } from "../ports.ts";
import { MEMBER_NUMBER } from "../views/call-views.ts";
import { adminGuard, adminPort, type Form, FormBody, failureOf, field } from "./admin-kit.ts";
import {
  EMPTY_MERCHANT_FORM,
  formOfMerchant,
  MAX_NUMBER_ROWS,
  type MerchantForm,
  merchantEditUrl,
  merchantFormPage,
  merchantListPage,
} from "./merchant-form.ts";

const MerchantParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const SavedQuery = Type.Object({ saved: Type.Optional(Type.String({ maxLength: 1 })) });
const MERCHANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const USER = /^[^@\s]+@[^@\s]+$/;
const LIST_LIMIT = 500;

/** The form's fields as typed; number rows `label<i>`/`number<i>` with both empty are dropped. */
export function readMerchantForm(body: Form, id: string): MerchantForm {
  const rows = Math.min(Number.parseInt(field(body, "rows"), 10) || 0, MAX_NUMBER_ROWS);
  const numbers: MerchantForm["numbers"] = [];
  for (let i = 0; i < rows; i++) {
    const label = field(body, `label${i}`);
    const number = field(body, `number${i}`).replace(/[\s().-]/g, "");
    if (label !== "" || number !== "") numbers.push({ label, number });
  }
  return {
    id,
    name: field(body, "name"),
    description: field(body, "description"),
    category: field(body, "category"),
    owner: field(body, "owner"),
    numbers,
    payerKind: field(body, "payerKind") || "member",
    payerAccount: field(body, "payerAccount"),
    planId: field(body, "planId"),
    active: field(body, "active") === "1",
  };
}

/**
 * Admin pages of the merchant directory: GET /admin/merchants (all, inactive too),
 * GET /admin/merchants/new and POST /admin/merchants (create), GET and POST /admin/merchants/:id
 * (edit). Saving goes through the merchant store's `save`; an edit keeps the fields the form does
 * not show (widget origins, campaigns …) as they were.
 */
export function merchantAdminRoutes(app: FastifyInstance, kit: PortalKit): void {
  const guard = adminGuard(kit);

  const form = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: { form: MerchantForm; editing: boolean; error?: string; saved?: boolean },
  ) => {
    const admin = adminPort(kit);
    const [plans, accounts] = await Promise.all([admin.plans(), admin.accounts({ limit: LIST_LIMIT })]);
    const accountIds = accounts.filter((a) => a.kind !== "member").map((a) => a.id);
    return kit.send(reply, status, merchantFormPage(kit.context(request), { ...view, plans, accountIds }));
  };

  /** What is wrong with the form (the first thing), or the payer it names. */
  const check = async (typed: MerchantForm): Promise<{ error: string } | { payer: PortalPayer }> => {
    const admin = adminPort(kit);
    if (!MERCHANT_ID.test(typed.id)) return { error: "The id is 1 to 64 letters, digits, - or _." };
    if (typed.name === "" || typed.name.length > 200)
      return { error: "Enter a name of at most 200 characters." };
    if (typed.description.length > 2000) return { error: "The description is at most 2000 characters." };
    if (typed.category === "" || typed.category.length > 100)
      return { error: "Enter a category of at most 100 characters." };
    if (typed.owner !== "" && !USER.test(typed.owner))
      return { error: "The owner is a portal user, extension@domain." };
    if (typed.numbers.length === 0) return { error: "Give the merchant at least one number." };
    for (const [i, n] of typed.numbers.entries()) {
      if (!MEMBER_NUMBER.test(n.number))
        return { error: `Number ${i + 1} must be E.164 (+15551234567) or an extension of 2 to 8 digits.` };
      if (n.label.length > 100) return { error: `Label ${i + 1} is at most 100 characters.` };
    }
    if (typed.planId === "") return { error: "Choose a rate plan." };
    try {
      await admin.plan(typed.planId);
    } catch (error) {
      if (failureOf(error)?.code === "BILLING_UNKNOWN_PLAN")
        return { error: `There is no rate plan ${typed.planId}.` };
      throw error;
    }
    if (typed.payerKind === "member") return { payer: { kind: "member" } };
    if (typed.payerKind !== "merchant" && typed.payerKind !== "sponsor") return { error: "Choose who pays." };
    if (typed.payerAccount === "") return { error: `Name the ${typed.payerKind}'s account that pays.` };
    try {
      await admin.account(typed.payerAccount);
    } catch (error) {
      if (failureOf(error)?.code === "BILLING_UNKNOWN_ACCOUNT")
        return { error: `There is no account ${typed.payerAccount}; open it on the accounts page first.` };
      throw error;
    }
    return { payer: { kind: typed.payerKind, accountId: typed.payerAccount } };
  };

  /** Checks and saves; answers the form again with the problem, or 303 to the merchant's page. */
  const save = async (
    request: FastifyRequest,
    reply: FastifyReply,
    typed: MerchantForm,
    stored: PortalAdminMerchant | undefined,
  ) => {
    const editing = stored !== undefined;
    const checked = await check(typed);
    if ("error" in checked) return form(request, reply, 400, { form: typed, editing, error: checked.error });
    const merchant: PortalAdminMerchant = {
      ...(stored ?? { widgetOrigins: [] }),
      id: typed.id,
      name: typed.name,
      description: typed.description,
      category: typed.category,
      numbers: typed.numbers,
      payer: checked.payer,
      planId: typed.planId,
      active: typed.active,
    };
    if (typed.owner === "") delete merchant.owner;
    else merchant.owner = typed.owner;
    await adminPort(kit).saveMerchant(merchant);
    request.log.info(
      { merchant: merchant.id, editing, admin: request.portalViewer?.user },
      "portal admin saved a merchant",
    );
    return reply.redirect(`${merchantEditUrl(merchant.id)}?saved=1`, 303);
  };

  app.get("/admin/merchants", { preHandler: guard }, async (request, reply) => {
    const { merchants, total } = await adminPort(kit).merchants({ all: true, limit: LIST_LIMIT });
    return kit.send(reply, 200, merchantListPage(kit.context(request), merchants, total));
  });

  app.get("/admin/merchants/new", { preHandler: guard }, async (request, reply) =>
    form(request, reply, 200, { form: EMPTY_MERCHANT_FORM, editing: false }),
  );

  app.post<{ Body: Form }>(
    "/admin/merchants",
    { schema: { body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const typed = readMerchantForm(request.body, field(request.body, "id"));
      if (MERCHANT_ID.test(typed.id) && (await adminPort(kit).merchant(typed.id))) {
        const error = `A merchant ${typed.id} already exists; choose another id or edit that one.`;
        return form(request, reply, 409, { form: typed, editing: false, error });
      }
      return save(request, reply, typed, undefined);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { saved?: string } }>(
    "/admin/merchants/:id",
    { schema: { params: MerchantParams, querystring: SavedQuery }, preHandler: guard },
    async (request, reply) => {
      const stored = await adminPort(kit).merchant(request.params.id);
      if (!stored) return kit.fail(request, reply, 404, "Not found", "There is no such merchant.");
      return form(request, reply, 200, {
        form: formOfMerchant(stored),
        editing: true,
        ...(request.query.saved === "1" && { saved: true }),
      });
    },
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    "/admin/merchants/:id",
    { schema: { params: MerchantParams, body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const stored = await adminPort(kit).merchant(request.params.id);
      if (!stored) return kit.fail(request, reply, 404, "Not found", "There is no such merchant.");
      return save(request, reply, readMerchantForm(request.body, stored.id), stored);
    },
  );
}
