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
    warning_seconds: Type.Integer({
      minimum: 0,
      maximum: 600,
      default: 60,
      description: "A warning tone this long before the paid time runs out (0: none).",
    }),
  },
  "Click-to-call (service 4): calls, limits and the warning before the balance runs out.",
);
