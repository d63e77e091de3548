import type { FastifyReply, FastifyRequest } from "fastify";
import type { PortalClickCall, PortalMerchants } from "./ports.ts";

/**
 * Portal roles: every user with a web password is a member; a user who owns a merchant
 * (`owner`) is also a merchant; the users listed in the configuration are also admins.
 */
export type PortalRole = "member" | "merchant" | "admin";

export interface PortalViewer {
  /** extension@domain. */
  user: string;
  roles: ReadonlySet<PortalRole>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The logged-in user of a portal page that passed `PortalAccess.require`. */
    portalViewer?: PortalViewer;
  }
}

export interface PortalAccessOptions {
  merchants: PortalMerchants;
  /** Users (extension@domain) with the admin role. */
  adminUsers: readonly string[];
  /** Answers a request whose user lacks the role (a 403 page). */
  forbidden: (request: FastifyRequest, reply: FastifyReply) => FastifyReply;
}

const OWNER_SCAN_PAGE = 200;

/** Who may do what on the portal: the one place roles are computed and checked. */
export class PortalAccess {
  readonly #merchants: PortalMerchants;
  readonly #admins: ReadonlySet<string>;
  readonly #forbidden: PortalAccessOptions["forbidden"];

  constructor(options: PortalAccessOptions) {
    this.#merchants = options.merchants;
    this.#admins = new Set(options.adminUsers.map((user) => user.toLowerCase()));
    this.#forbidden = options.forbidden;
  }

  async rolesOf(user: string): Promise<Set<PortalRole>> {
    const roles = this.#listedRoles(user);
    if (await this.#ownsMerchant(user)) roles.add("merchant");
    return roles;
  }

  /**
   * A preHandler for pages that need a logged-in user with `role`: anonymous visitors are sent to
   * the login page (303, with the page to come back to), users without the role get a 403 page.
   */
  require(role: PortalRole) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const user = request.portalSession?.user;
      if (!user) {
        const next = request.method === "GET" ? `?next=${encodeURIComponent(request.url)}` : "";
        return reply.redirect(`/login${next}`, 303);
      }
      // Every user is a member: member pages skip the merchant lookup.
      const roles = role === "member" ? this.#listedRoles(user) : await this.rolesOf(user);
      if (!roles.has(role)) return this.#forbidden(request, reply);
      request.portalViewer = { user, roles };
    };
  }

  /** Whether the user is listed as an admin (no store lookup). */
  isAdmin(user: string): boolean {
    return this.#admins.has(user.toLowerCase());
  }

  /** A click-to-call is seen by the member who placed it and by admins. */
  canSeeCall(viewer: PortalViewer, call: PortalClickCall): boolean {
    return (
      viewer.roles.has("admin") || (call.member !== undefined && call.member.toLowerCase() === viewer.user)
    );
  }

  #listedRoles(user: string): Set<PortalRole> {
    const roles = new Set<PortalRole>(["member"]);
    if (this.isAdmin(user)) roles.add("admin");
    return roles;
  }

  async #ownsMerchant(user: string): Promise<boolean> {
    const key = user.toLowerCase();
    for (let offset = 0; ; offset += OWNER_SCAN_PAGE) {
      const { merchants, total } = await this.#merchants.list({ all: true, limit: OWNER_SCAN_PAGE, offset });
      if (merchants.some((m) => m.owner?.toLowerCase() === key)) return true;
      if (merchants.length === 0 || offset + merchants.length >= total) return false;
    }
  }
}
