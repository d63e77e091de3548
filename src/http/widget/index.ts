/** The embeddable click-to-call widget for merchants' own web sites (docs/click-to-call.md, "Widget"). */
export type * from "./ports.ts";
export { SlidingWindowLimit, type SlidingWindowLimitOptions } from "./sliding-window-limit.ts";
export { WIDGET_STATUS_BY_CODE, WidgetRefusal, type WidgetRefusalCode } from "./widget-refusal.ts";
export {
  WIDGET_DEFAULT_LIMITS,
  type WidgetLimit,
  type WidgetOptions,
  widgetRoutes,
} from "./widget-routes.ts";
