import type { FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { html, raw, type SafeHtml } from "../html.ts";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalAdmin } from "../ports.ts";
import { type PageContext, page } from "../views/layout.ts";

/** The admin area's sections, in the order of its navigation. */
export const ADMIN_AREAS = [
  { area: "overview", href: "/admin", text: "Overview" },
  { area: "members", href: "/admin/members", text: "Members" },
  { area: "merchants", href: "/admin/merchants", text: "Merchants" },
  { area: "accounts", href: "/admin/accounts", text: "Accounts" },
  { area: "rate-plans", href: "/admin/rate-plans", text: "Rate plans" },
  { area: "calls", href: "/admin/calls", text: "Calls in progress" },
  { area: "cdrs", href: "/admin/cdrs", text: "Call records" },
  { area: "emergency", href: "/admin/emergency", text: "Emergency" },
] as const;

export type AdminArea = (typeof ADMIN_AREAS)[number]["area"];

/** An admin page: the portal's shell with the admin section's own navigation above the body. */
export function adminPage(
  context: PageContext,
  options: { title: string; area: AdminArea },
  body: SafeHtml,
): string {
  const links = ADMIN_AREAS.map(
    ({ area, href, text }) =>
      html`<li><a href="${href}"${area === options.area ? raw(' aria-current="page"') : ""}>${text}</a></li>`,
  );
  return page(
    context,
    { title: options.title, section: "admin" },
    html`<nav aria-label="Admin" class="admin-nav"><ul>${links}</ul></nav>
${body}`,
  );
}

/** Forms post `application/x-www-form-urlencoded`: every field a string (a repeated one an array). */
export const FormBody = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([
    Type.String({ maxLength: 4000 }),
    Type.Array(Type.String({ maxLength: 4000 }), { maxItems: 50 }),
  ]),
);
export type Form = Record<string, string | string[]>;

/** A form field's text, trimmed ("" when absent; the first value when repeated). */
export function field(form: Form, name: string): string {
  const value = form[name];
  return (Array.isArray(value) ? (value[0] ?? "") : (value ?? "")).trim();
}

/** The code and message of a coded error (billing's, click-to-call's), undefined for anything else. */
export function failureOf(error: unknown): { code: string; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === "string" && /^[A-Z]+_[A-Z_]+$/.test(code)
    ? { code, message: error.message }
    : undefined;
}

/** Epoch ms as a <time> element in UTC ("2025-03-01 14:05:09 UTC"). */
export function when(ms: number | undefined): SafeHtml {
  if (ms === undefined || !Number.isFinite(ms)) return html``;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")} UTC</time>`;
}

/**
 * The preHandlers of every admin page: the admin role (403 page otherwise, from PortalAccess), then
 * a 503 page when the node gave the portal no admin port.
 */
export function adminGuard(kit: PortalKit) {
  const available = async (request: FastifyRequest, reply: FastifyReply) => {
    if (kit.options.admin) return;
    return kit.fail(request, reply, 503, "Not available", "Administration is not available on this node.");
  };
  return [kit.access.require("admin"), available];
}

/** The admin port; only called behind adminGuard. */
export function adminPort(kit: PortalKit): PortalAdmin {
  const admin = kit.options.admin;
  if (!admin) throw new Error("the admin port is missing (adminGuard was skipped)");
  return admin;
}
