/**
 * Per-minute prices as the admin forms show them: minor units per minute with up to six decimals
 * ("0.4" is 0.4 ¢/min for EUR), stored as integer micro-units of the minor unit (billing's
 * `perMinuteMicros`, 1 minor unit = 1,000,000 micros). The conversion works on the digits of the
 * text, never through a float, so every price with at most six decimals is exact.
 */
export const PRICE_DECIMALS = 6;
const MICROS = 10 ** PRICE_DECIMALS;
/** Up to 9 whole digits (under 10 million minor units a minute) and up to 6 decimals. */
const PRICE = /^([0-9]{1,9})(?:\.([0-9]{1,6}))?$/;
/** The same rule for the browser's own validation. */
export const PRICE_PATTERN = "[0-9]{1,9}(\\.[0-9]{1,6})?";

/** "0.4" → 400_000; "6" → 6_000_000; "0.000001" → 1; undefined for anything else (commas, signs, 7 decimals). */
export function priceToMicros(text: string): number | undefined {
  const match = PRICE.exec(text.trim());
  if (!match) return undefined;
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? "").padEnd(PRICE_DECIMALS, "0"));
  return whole * MICROS + fraction;
}

/** 400_000 → "0.4"; 6_000_000 → "6"; 1 → "0.000001" (the shortest text that converts back exactly). */
export function microsToPrice(micros: number): string {
  const whole = Math.floor(micros / MICROS);
  const fraction = String(micros % MICROS)
    .padStart(PRICE_DECIMALS, "0")
    .replace(/0+$/, "");
  return fraction === "" ? String(whole) : `${whole}.${fraction}`;
}

/** Whole minor units typed in a form ("250"), for connection fees and top-ups; undefined otherwise. */
export function minorUnits(text: string, { min = 0 }: { min?: number } = {}): number | undefined {
  const trimmed = text.trim();
  if (!/^[0-9]{1,12}$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value >= min ? value : undefined;
}

/**
 * An amount typed in major units with the currency's decimals ("5.00" EUR → 500 minor units),
 * as the top-up form takes it; undefined when it has more decimals than the currency or is not a
 * plain positive number.
 */
export function majorToMinor(text: string, digits: number): number | undefined {
  const match = /^([0-9]{1,10})(?:\.([0-9]+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? "";
  if (fraction.length > digits) return undefined;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}

/** Decimals of the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD); 2 when unknown. */
export function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}
