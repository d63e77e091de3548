/**
 * What the embeddable click-to-call widget needs from the rest of Parley, declared here (ports
 * belong to their consumer) so that it can be tested with in-memory fakes. Click-to-call's
 * MerchantStore and ClickToCallService satisfy these shapes structurally; node/ wires them.
 */

/** A merchant as the widget sees it (a subset of click-to-call's Merchant). */
export interface WidgetMerchant {
  id: string;
  name: string;
  numbers: ReadonlyArray<{ label: string; number: string }>;
  /** Origins (scheme://host[:port], as browsers send them) whose pages may place calls. */
  widgetOrigins: readonly string[];
  active: boolean;
}

/** The merchant directory's widget look-up (click-to-call's MerchantStore fits). */
export interface WidgetMerchants {
  /** The active merchant with this widget key, if any. */
  byWidgetKey(key: string): Promise<WidgetMerchant | undefined>;
}

export type WidgetClickStep =
  | "checking"
  | "calling-member"
  | "member-answered"
  | "calling-merchant"
  | "connected"
  | "warning"
  | "ended"
  | "refused"
  | "failed";

export interface WidgetClickEvent {
  seq: number;
  step: WidgetClickStep;
  /** Epoch milliseconds. */
  at: number;
  message: string;
}

/** One click-to-call (a subset of click-to-call's ClickCall). */
export interface WidgetClickCall {
  id: string;
  merchantId: string;
  step: WidgetClickStep;
  durationSeconds?: number;
  events: readonly WidgetClickEvent[];
}

/** A widget's call: no member (the caller has no account), so the merchant or a sponsor pays. */
export interface WidgetClickRequest {
  memberNumber: string;
  merchantId: string;
  numberIndex?: number;
}

/**
 * The click-to-call service. `place` rejects with a refusal (an Error whose `code` starts with
 * `CLICK_`, click-to-call's ClickToCallRefused) before any call is made when it cannot place it.
 */
export interface WidgetClickToCall {
  place(request: WidgetClickRequest): Promise<WidgetClickCall>;
  get(id: string): WidgetClickCall | undefined;
  on(event: "progress", listener: (call: WidgetClickCall, event: WidgetClickEvent) => void): unknown;
  off(event: "progress", listener: (call: WidgetClickCall, event: WidgetClickEvent) => void): unknown;
}
