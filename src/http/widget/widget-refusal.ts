/**
 * Why the widget's endpoints refuse a request: a stable code, its HTTP status and a message the
 * widget shows on the merchant's page as it is. Refusals of the click-to-call service itself keep
 * their CLICK_* codes (see ../errors.ts).
 */
export const WIDGET_STATUS_BY_CODE = {
  WIDGET_INVALID: 400,
  WIDGET_ORIGIN: 403,
  WIDGET_KEY: 404,
  WIDGET_CALL_NOT_FOUND: 404,
  WIDGET_LIMIT: 429,
  WIDGET_UNAVAILABLE: 503,
} as const;

export type WidgetRefusalCode = keyof typeof WIDGET_STATUS_BY_CODE;

export class WidgetRefusal extends Error {
  readonly code: WidgetRefusalCode;
  readonly statusCode: number;
  /** Seconds to wait (429 only: the Retry-After header). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: WidgetRefusalCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.code = code;
    this.statusCode = WIDGET_STATUS_BY_CODE[code];
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
