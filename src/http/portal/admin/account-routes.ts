import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { newId } from "../../../kernel/ids.ts";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalAccount, PortalAccountKind, PortalAdmin, PortalLedgerEntry } from "../ports.ts";
import { formatMoney } from "../views/format.ts";
import {
  type AccountView,
  accountPage,
  accountsPage,
  accountUrl,
  type NewAccountForm,
} from "./account-views.ts";
import { adminGuard, adminPort, type Form, FormBody, failureOf, field } from "./admin-kit.ts";
import { currencyDigits, majorToMinor } from "./price.ts";

const AccountParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const AccountQuery = Type.Object({
  entry: Type.Optional(Type.Integer({ minimum: 1 })),
  again: Type.Optional(Type.String({ maxLength: 1 })),
});
const LIST_LIMIT = 500;
/** Ledger entries shown on an account's page (the latest). */
const LEDGER_SHOWN = 50;
const LEDGER_CHUNK = 1000;
const KINDS: ReadonlySet<string> = new Set<PortalAccountKind>(["member", "merchant", "sponsor"]);

/** A reference for a new top-up form: unique, so a form sent twice tops up once. */
const freshReference = () => `portal-${newId()}`;

/** The latest `count` entries of the ledger, and how many came before them. */
async function latestEntries(
  admin: PortalAdmin,
  accountId: string,
  count: number,
): Promise<{ entries: PortalLedgerEntry[]; earlier: number }> {
  let kept: PortalLedgerEntry[] = [];
  let seen = 0;
  for (let after = 0; ; ) {
    const chunk = await admin.ledger(accountId, { afterSeq: after, limit: LEDGER_CHUNK });
    seen += chunk.length;
    kept = [...kept, ...chunk].slice(-count);
    const last = chunk.at(-1);
    if (!last || chunk.length < LEDGER_CHUNK) break;
    after = last.seq;
  }
  return { entries: kept.reverse(), earlier: seen - kept.length };
}

/**
 * Billing accounts for admins: GET/POST /admin/accounts (list, open), GET /admin/accounts/:id
 * (balance, top-up form, ledger) and POST /admin/accounts/:id/top-ups. A top-up answers 303 back
 * to the account page (so reloading it sends nothing again) and the form carries a reference that
 * makes a second send of the same form a no-op in billing.
 */
export function accountRoutes(app: FastifyInstance, kit: PortalKit): void {
  const guard = adminGuard(kit);
  const noAccount = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 404, "Not found", "There is no such account.");

  const list = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: NewAccountForm,
    error?: string,
  ) => {
    const accounts = await adminPort(kit).accounts({ limit: LIST_LIMIT });
    return kit.send(
      reply,
      status,
      accountsPage(kit.context(request), { accounts, form, ...(error && { error }) }),
    );
  };

  /** The account, or undefined when billing does not know it. */
  const find = async (id: string): Promise<PortalAccount | undefined> => {
    try {
      return await adminPort(kit).account(id);
    } catch (error) {
      if (failureOf(error)?.code === "BILLING_UNKNOWN_ACCOUNT") return undefined;
      throw error;
    }
  };

  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    account: PortalAccount,
    extra: Partial<AccountView> = {},
  ) => {
    const ledger = await latestEntries(adminPort(kit), account.id, LEDGER_SHOWN);
    return kit.send(
      reply,
      status,
      accountPage(kit.context(request), {
        account,
        ...ledger,
        amount: "",
        reference: freshReference(),
        ...extra,
      }),
    );
  };

  app.get("/admin/accounts", { preHandler: guard }, async (request, reply) =>
    list(request, reply, 200, { id: "", kind: "sponsor", currency: "EUR", owner: "" }),
  );

  app.post<{ Body: Form }>(
    "/admin/accounts",
    { schema: { body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const form: NewAccountForm = {
        id: field(request.body, "id"),
        kind: field(request.body, "kind"),
        currency: field(request.body, "currency").toUpperCase(),
        owner: field(request.body, "owner"),
      };
      const again = (error: string, status = 400) => list(request, reply, status, form, error);
      if (form.id === "" || form.id.length > 200)
        return again("Enter an account id of at most 200 characters.");
      if (!KINDS.has(form.kind)) return again("Choose member, merchant or sponsor.");
      if (!/^[A-Z]{3}$/.test(form.currency))
        return again("Enter the currency as a three-letter ISO 4217 code, such as EUR.");
      if (form.owner === "") return again("Enter the owner.");
      try {
        await adminPort(kit).openAccount({ ...form, kind: form.kind as PortalAccountKind });
      } catch (error) {
        const failure = failureOf(error);
        if (failure?.code === "BILLING_DUPLICATE_ACCOUNT")
          return again(`An account ${form.id} already exists.`, 409);
        if (failure?.code === "BILLING_INVALID_ACCOUNT") return again(failure.message);
        throw error;
      }
      request.log.info(
        { account: form.id, admin: request.portalViewer?.user },
        "portal admin opened an account",
      );
      return reply.redirect(accountUrl(form.id), 303);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { entry?: number; again?: string } }>(
    "/admin/accounts/:id",
    { schema: { params: AccountParams, querystring: AccountQuery }, preHandler: guard },
    async (request, reply) => {
      const account = await find(request.params.id);
      if (!account) return noAccount(request, reply);
      const seq = request.query.entry;
      let notice: string | undefined;
      if (seq !== undefined) {
        const [entry] = await adminPort(kit).ledger(account.id, { afterSeq: seq - 1, limit: 1 });
        if (entry?.seq === seq && entry.kind === "top-up") {
          const amount = formatMoney(entry.amount, account.currency);
          notice =
            request.query.again === "1"
              ? `Reference ${entry.reference ?? ""} was already used: ledger entry ${seq} (${amount}) stands and nothing was added.`
              : `Topped up ${amount}: ledger entry ${seq}.`;
        }
      }
      return show(request, reply, 200, account, notice ? { notice } : {});
    },
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    "/admin/accounts/:id/top-ups",
    { schema: { params: AccountParams, body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const account = await find(request.params.id);
      if (!account) return noAccount(request, reply);
      const typed = field(request.body, "amount");
      const reference = field(request.body, "reference");
      const again = (error: string) =>
        show(request, reply, 400, account, { amount: typed, reference, error });
      const amount = majorToMinor(typed, currencyDigits(account.currency));
      if (amount === undefined || amount <= 0)
        return again(`Enter a positive amount in ${account.currency}, such as 5.00.`);
      if (!Number.isSafeInteger(amount)) return again("That amount is too large.");
      if (reference === "" || reference.length > 200)
        return again("Enter a reference of at most 200 characters.");
      const startedAt = kit.options.clock.now();
      const entry = await adminPort(kit).topUp(account.id, { amount, reference });
      // billing returns the first entry for a reference already used: it was written before this request.
      const repeated = entry.at < startedAt || entry.amount !== amount;
      request.log.info(
        {
          account: account.id,
          amount,
          reference,
          seq: entry.seq,
          repeated,
          admin: request.portalViewer?.user,
        },
        "portal admin top-up",
      );
      return reply.redirect(`${accountUrl(account.id)}?entry=${entry.seq}${repeated ? "&again=1" : ""}`, 303);
    },
  );
}
