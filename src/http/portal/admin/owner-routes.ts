import type { FastifyInstance } from "fastify";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalMerchant } from "../ports.ts";
import { formatMoney } from "../views/format.ts";
import { type OwnedMerchant, ownerPage } from "./owner-views.ts";

const SCAN_PAGE = 200;

/**
 * GET /merchant, for users with the merchant role (they own a merchant): each merchant they own
 * with its numbers, who pays its calls and, when the merchant's own account pays, that account's
 * available balance (needs the admin port; without it the page leaves payer and balance out).
 */
export function ownerRoutes(app: FastifyInstance, kit: PortalKit): void {
  const { options, access } = kit;

  /** The merchants `user` owns, inactive ones too. */
  const ownedBy = async (user: string): Promise<PortalMerchant[]> => {
    const key = user.toLowerCase();
    const owned: PortalMerchant[] = [];
    for (let offset = 0; ; offset += SCAN_PAGE) {
      const { merchants, total } = await options.merchants.list({ all: true, limit: SCAN_PAGE, offset });
      owned.push(...merchants.filter((m) => m.owner?.toLowerCase() === key));
      if (merchants.length === 0 || offset + merchants.length >= total) return owned;
    }
  };

  const describe = async (merchant: PortalMerchant): Promise<OwnedMerchant> => {
    const admin = options.admin;
    const full = admin && (await admin.merchant(merchant.id));
    if (!admin || !full) return { merchant, payer: undefined, balance: undefined };
    const { payer } = full;
    if (payer.kind === "member") return { merchant, payer: "the member who calls", balance: undefined };
    if (payer.kind === "sponsor") return { merchant, payer: "a sponsor", balance: undefined };
    const account = await admin.account(payer.accountId).catch(() => undefined);
    return {
      merchant,
      payer: `your account ${payer.accountId}`,
      balance: account
        ? formatMoney(account.balance - account.reserved, account.currency)
        : "no such account",
    };
  };

  app.get("/merchant", { preHandler: access.require("merchant") }, async (request, reply) => {
    const owned = await ownedBy(request.portalViewer?.user ?? "");
    const described = await Promise.all(owned.map(describe));
    return kit.send(reply, 200, ownerPage(kit.context(request), described));
  });
}
