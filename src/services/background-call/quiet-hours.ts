/**
 * Quiet hours: a daily window ("22:00-08:00", in a time zone) in which no attempt starts; an
 * attempt that falls inside waits for its end. Empty = none.
 */
export class QuietHours {
  readonly #start: number | undefined;
  readonly #end: number | undefined;
  readonly #format: Intl.DateTimeFormat;

  constructor(window: string, timeZone = "UTC") {
    const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(window.trim());
    if (match) {
      this.#start = Number(match[1]) * 60 + Number(match[2]);
      this.#end = Number(match[3]) * 60 + Number(match[4]);
    }
    this.#format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
  }

  /** Minutes since local midnight. */
  #minute(at: number): number {
    const parts = this.#format.formatToParts(new Date(at));
    const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
    const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
    return hour * 60 + minute;
  }

  contains(at: number): boolean {
    if (this.#start === undefined || this.#end === undefined || this.#start === this.#end) return false;
    const m = this.#minute(at);
    return this.#start < this.#end ? m >= this.#start && m < this.#end : m >= this.#start || m < this.#end;
  }

  /** `at`, or the first minute after the quiet window that contains it. */
  nextAllowed(at: number): number {
    let t = at;
    // At most a day of minutes; quiet windows are shorter than a day.
    for (let i = 0; i < 24 * 60 && this.contains(t); i++) t += 60_000 - (t % 60_000);
    return t;
  }
}
