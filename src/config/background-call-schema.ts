import Type from "typebox";
import { section } from "./schema-parts.ts";

const Code = (value: string, description: string) =>
  Type.String({
    pattern: "^[0-9*#]{1,8}$",
    default: value,
    allowed: "digits, * and # (at most 8)",
    description,
  });

/** Configuration of service 3, the persistent background call (defaults live here). */
export const BackgroundCallSection = section(
  {
    enabled: Type.Boolean({
      default: true,
      description: "Whether background calls run (API, feature codes, texts, offers).",
    }),
    max_attempts: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 10,
      description: "Calls to the callee before a job gives up (per job on the API).",
    }),
    retry_interval: Type.Integer({
      minimum: 1,
      maximum: 7 * 86_400,
      default: 120,
      description: "Seconds between attempts, from seconds to days (per job on the API).",
    }),
    max_duration: Type.Integer({
      minimum: 60,
      maximum: 30 * 86_400,
      default: 86_400,
      description: "Seconds after the start when no more attempts begin (per job on the API).",
    }),
    ring_seconds: Type.Integer({
      minimum: 5,
      maximum: 300,
      default: 30,
      description: "How long each attempt rings the callee.",
    }),
    caller_ring_seconds: Type.Integer({
      minimum: 5,
      maximum: 300,
      default: 30,
      description: "How long the caller's phones ring when the callee is waiting.",
    }),
    max_active_per_user: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 5,
      description: "Background calls one caller may have running at once (one per callee in any case).",
    }),
    quiet_hours: Type.String({
      pattern: "^(|[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9])$",
      default: "",
      allowed: 'empty or "HH:MM-HH:MM"',
      description: "Daily window in which no attempt starts (attempts wait for its end); empty for none.",
    }),
    time_zone: Type.String({
      default: "UTC",
      description: "IANA time zone of quiet_hours (e.g. Europe/Berlin).",
    }),
    offer_after: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 3,
      description:
        "Unanswered calls in a row from a user to the same callee before Parley offers a background call by text; 0 never offers.",
    }),
    offer_window: Type.Integer({
      minimum: 60,
      maximum: 7 * 86_400,
      default: 3600,
      description: "Seconds those calls must fall within; an offer stays open as long.",
    }),
    amd: Type.Boolean({
      default: true,
      description: "Answering-machine detection on answered attempts: a machine counts as no answer.",
    }),
    start_code: Code("*55", "Dialled before a number: start a background call to it."),
    stop_code: Code("*56", "Stop one's background calls (followed by a number: to that number only)."),
    block_code: Code("*57", "Dialled before a number: refuse background calls from it."),
    message_address: Type.String({
      minLength: 1,
      default: "parley",
      description:
        'User part texts to the service are sent to ("CALL 1002", "STOP"); YES and STOP work at any address.',
    }),
    sms_webhook_url: Type.String({
      default: "",
      pattern: "^(|https?://.+)$",
      allowed: 'empty or an "http://" or "https://" URL',
      description:
        "SMS gateway webhook for texts to outside numbers (JSON POST {to, text, from}); empty logs them.",
    }),
    sms_webhook_token: Type.String({ default: "", description: "Bearer token for the SMS webhook." }),
    sms_from: Type.String({ default: "", description: "Sender number or name given to the SMS gateway." }),
  },
  "Persistent background calls (service 3).",
);
