import type { WidgetClickCall, WidgetClickEvent, WidgetClickStep } from "./ports.ts";

/** Steps after which nothing more happens. */
export const FINAL_STEPS: ReadonlySet<WidgetClickStep> = new Set(["ended", "refused", "failed"]);

/**
 * What the caller on the merchant's site reads for each step. The service's own messages name the
 * paying account and the cost, which are the merchant's business, not the caller's; only the
 * reason of a failure (who did not answer) is passed on as the service words it.
 */
const TEXT: Readonly<Record<WidgetClickStep, (event: WidgetClickEvent, call: WidgetClickCall) => string>> = {
  checking: () => "Preparing your call…",
  "calling-member": () => "Calling you now: please answer your phone.",
  "member-answered": () => "You answered. Please hold while we connect you.",
  "calling-merchant": () => "Calling the merchant…",
  connected: () => "Connected.",
  warning: () => "The call will end soon.",
  ended: (_event, call) =>
    call.durationSeconds === undefined ? "Call ended." : `Call ended after ${call.durationSeconds} s.`,
  refused: (event) => event.message,
  failed: (event) => event.message,
};

/** One step as the widget shows it. */
export interface WidgetStatus {
  seq: number;
  step: WidgetClickStep;
  status: string;
  final: boolean;
}

export function widgetStatus(event: WidgetClickEvent, call: WidgetClickCall): WidgetStatus {
  return {
    seq: event.seq,
    step: event.step,
    status: TEXT[event.step](event, call),
    final: FINAL_STEPS.has(event.step),
  };
}

/** A call as GET /widget/calls/:id answers it: its current step and the steps so far. */
export function widgetCallView(call: WidgetClickCall) {
  const steps = call.events.map((event) => widgetStatus(event, call));
  const last = steps.at(-1);
  return {
    id: call.id,
    step: call.step,
    status: last?.status ?? TEXT.checking({ seq: 0, step: "checking", at: 0, message: "" }, call),
    final: FINAL_STEPS.has(call.step),
    steps,
  };
}
