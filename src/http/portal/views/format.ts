import type { PortalClickCall, PortalClickEvent, PortalClickStep } from "../ports.ts";

export const STEP_LABELS: Readonly<Record<PortalClickStep, string>> = {
  checking: "Checking",
  "calling-member": "Calling you",
  "member-answered": "You answered",
  "calling-merchant": "Calling the merchant",
  connected: "Connected",
  warning: "Time almost up",
  ended: "Ended",
  refused: "Refused",
  failed: "Failed",
};

/** Steps after which nothing more happens: the live page and its event stream stop there. */
export const FINAL_STEPS: ReadonlySet<PortalClickStep> = new Set(["ended", "refused", "failed"]);

/** Minor units as money: 1234 EUR → "€12.34" (en locale, the currency's own decimals). */
export function formatMoney(minor: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en", { style: "currency", currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency} (minor units)`;
  }
}

/** 65 → "1 min 5 s"; 42 → "42 s". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes === 0) return `${rest} s`;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** What the page says once the call is over: duration and cost after `ended`, the reason otherwise. */
export function outcomeText(call: PortalClickCall): string | undefined {
  if (call.step === "ended") {
    const duration = `Duration ${formatDuration(call.durationSeconds ?? 0)}`;
    const cost =
      call.cost !== undefined && call.currency !== undefined
        ? `cost ${formatMoney(call.cost, call.currency)}`
        : "no charge";
    return `${duration}, ${cost}.`;
  }
  if (call.step === "refused" || call.step === "failed") return call.events.at(-1)?.message;
  return undefined;
}

/** One step as the status page's script receives it over SSE (data of a `progress` event). */
export function eventPayload(call: PortalClickCall, event: PortalClickEvent) {
  const final = FINAL_STEPS.has(event.step);
  return {
    seq: event.seq,
    step: event.step,
    label: STEP_LABELS[event.step] ?? event.step,
    message: event.message,
    at: new Date(event.at).toISOString(),
    final,
    ...(final && { outcome: outcomeText({ ...call, step: event.step }) ?? event.message }),
  };
}
