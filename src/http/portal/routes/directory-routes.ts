import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { type PortalKit, splitAccount } from "../portal-kit.ts";
import { formatMoney } from "../views/format.ts";
import { directoryPage, merchantPage } from "../views/merchant-views.ts";
import { accountPage } from "../views/simple-views.ts";

const DirectoryQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  category: Type.Optional(Type.String({ maxLength: 100 })),
});
const MerchantParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
const PAGE_SIZE = 100;

/** The merchant directory (/merchants, /merchants/:id) and the member's account page (/account). */
export function directoryRoutes(app: FastifyInstance, kit: PortalKit): void {
  const { options, access } = kit;
  const member = access.require("member");

  app.get<{ Querystring: { q?: string; category?: string } }>(
    "/merchants",
    { schema: { querystring: DirectoryQuery }, preHandler: member },
    async (request, reply) => {
      const search = (request.query.q ?? "").trim();
      const category = request.query.category ?? "";
      const [found, categories] = await Promise.all([
        options.merchants.list({
          ...(search !== "" && { search }),
          ...(category !== "" && { category }),
          limit: PAGE_SIZE,
        }),
        options.merchants.categories(),
      ]);
      const view = { ...found, categories, search, category };
      return kit.send(reply, 200, directoryPage(kit.context(request), view));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/merchants/:id",
    { schema: { params: MerchantParams }, preHandler: member },
    async (request, reply) => {
      const merchant = await options.merchants.get(request.params.id);
      if (!merchant?.active) return kit.fail(request, reply, 404, "Not found", "There is no such merchant.");
      return kit.send(reply, 200, merchantPage(kit.context(request), merchant));
    },
  );

  app.get("/account", { preHandler: member }, async (request, reply) => {
    const user = request.portalViewer?.user ?? "";
    const { extension, domain } = splitAccount(user);
    const [record, roles, balance] = await Promise.all([
      options.directory.findUser(extension, domain).catch(() => undefined),
      access.rolesOf(user),
      options.balances.balance(user),
    ]);
    return kit.send(
      reply,
      200,
      accountPage(kit.context(request), {
        user,
        displayName: record?.displayName ?? extension,
        phoneNumbers: record?.phoneNumbers ?? [],
        roles: [...roles],
        balance: balance && formatMoney(balance.amount, balance.currency),
      }),
    );
  });
}
