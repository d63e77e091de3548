import Type from "typebox";
import { section } from "./schema-parts.ts";

/** Configuration of service 4, click-to-call with a paying party (defaults live here). */
export const ClickToCallSection = section(
  {
    member_ring_seconds: Type.Integer({
      minimum: 5,
      maximum: 300,
      default: 30,
      description:
        "How long the member's phone rings before the click-to-call gives up (no merchant call is made).",
    }),
    merchant_ring_seconds: Type.Integer({
      minimum: 5,
      maximum: 300,
      default: 30,
      description: "How long the merchant's phone rings while the member holds.",
    }),
    max_call_seconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 3600,
      description:
        "The longest one call may last, whatever the balance: the most a call holds of the payer's balance, so one account can pay several calls at once.",
    }),
    widget_enabled: Type.Boolean({
      default: true,
      description: "Whether merchants' web sites may embed the call button (/widget/parley-call.js).",
    }),
    widget_calls_per_address: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 5,
      description: "Widget calls one source address may place within widget_window_seconds.",
    }),
    widget_calls_per_number: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 3,
      description: "Widget calls to one visitor's number within widget_window_seconds.",
    }),
    widget_window_seconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 600,
      description: "The sliding window of the widget's rate limits.",
    }),
    warning_seconds: Type.Integer({
      minimum: 0,
      maximum: 600,
      default: 60,
      description: "A warning tone this long before the paid time runs out (0: none).",
    }),
  },
  "Click-to-call (service 4): calls, limits and the warning before the balance runs out.",
);

/** The web portal (click-to-call pages) served on the HTTP listener. */
export const PortalSection = section(
  {
    enabled: Type.Boolean({
      default: true,
      description: "Whether the portal pages (/login, /merchants …) are served.",
    }),
    admin_users: Type.Array(Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$" }), {
      default: [],
      description: "Users (extension@domain) with the portal's admin role.",
    }),
    session_idle_seconds: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 1800,
      description: "A portal session ends after this long without a request.",
    }),
    session_lifetime_seconds: Type.Integer({
      minimum: 300,
      maximum: 30 * 86_400,
      default: 43_200,
      description: "A portal session ends this long after login, however active.",
    }),
  },
  "The web portal: members log in with their web password to call merchants.",
);
