import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalUser } from "../ports.ts";
import { accountRoutes } from "./account-routes.ts";
import { adminGuard, adminPort } from "./admin-kit.ts";
import { callsPage, cdrsPage, type MemberRow, membersPage, overviewPage } from "./admin-views.ts";
import { emergencyAdminRoutes } from "./emergency-routes.ts";
import { merchantAdminRoutes } from "./merchant-admin-routes.ts";
import { ratePlanRoutes } from "./rate-plan-routes.ts";

const PageQuery = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) });
const MEMBERS_PER_PAGE = 50;
const USER_SCAN_PAGE = 200;
/** The members page reads at most this many directory users (and says so when there are more). */
const USER_SCAN_MAX = 5000;
const CDRS_SHOWN = 100;

/**
 * The admin area (admin role only; a 403 page for anyone else): /admin, /admin/members,
 * /admin/calls, /admin/cdrs here, and the merchant, account, rate-plan and emergency pages from
 * their own modules. Every form posts with the session's CSRF token, checked by the portal's hook.
 */
export function adminRoutes(app: FastifyInstance, kit: PortalKit): void {
  const guard = adminGuard(kit);

  app.get("/admin", { preHandler: guard }, async (request, reply) =>
    kit.send(reply, 200, overviewPage(kit.context(request))),
  );

  app.get<{ Querystring: { page?: number } }>(
    "/admin/members",
    { schema: { querystring: PageQuery }, preHandler: guard },
    async (request, reply) => {
      const admin = adminPort(kit);
      const domains = new Map((await admin.listDomains()).map((d) => [d.id, d.name]));
      const members: PortalUser[] = [];
      let scanned = 0;
      let total = 0;
      do {
        const found = await admin.listUsers({ limit: USER_SCAN_PAGE, offset: scanned });
        total = found.total;
        scanned += found.users.length;
        members.push(...found.users.filter((u) => u.hasWebPassword));
        if (found.users.length === 0) break;
      } while (scanned < total && scanned < USER_SCAN_MAX);
      const pages = Math.max(1, Math.ceil(members.length / MEMBERS_PER_PAGE));
      const current = Math.min(request.query.page ?? 1, pages);
      const shown = members.slice((current - 1) * MEMBERS_PER_PAGE, current * MEMBERS_PER_PAGE);
      const rows: MemberRow[] = await Promise.all(
        shown.map(async (u) => {
          const user = `${u.extension}@${domains.get(u.domainId) ?? u.domainId}`;
          return {
            user,
            displayName: u.displayName,
            phoneNumbers: u.phoneNumbers,
            balance: await kit.options.balances.balance(user).catch(() => undefined),
          };
        }),
      );
      return kit.send(
        reply,
        200,
        membersPage(kit.context(request), {
          members: rows,
          total: members.length,
          page: current,
          pages,
          truncated: scanned < total,
        }),
      );
    },
  );

  app.get("/admin/calls", { preHandler: guard }, async (request, reply) => {
    const calls = await adminPort(kit).callsInProgress();
    return kit.send(reply, 200, callsPage(kit.context(request), calls));
  });

  app.get("/admin/cdrs", { preHandler: guard }, async (request, reply) => {
    const cdrs = await adminPort(kit).cdrs({ limit: CDRS_SHOWN });
    return kit.send(reply, 200, cdrsPage(kit.context(request), cdrs));
  });

  merchantAdminRoutes(app, kit);
  accountRoutes(app, kit);
  ratePlanRoutes(app, kit);
  emergencyAdminRoutes(app, kit);
}
