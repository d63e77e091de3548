import { createHmac } from "node:crypto";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { RecordingEvent } from "./recording-service.ts";

export interface RecordingWebhookOptions {
  /** recording.webhook_url */
  url: string;
  /** recording.webhook_secret: the HMAC-SHA256 key; empty sends unsigned events. */
  secret: string;
  clock: Clock;
  logger: Logger;
  /** Attempts in all (default 6: at once, then after 1, 2, 4, 8, 16 s). */
  attempts?: number;
  /** Seconds a receiver has to answer one attempt (default 10). */
  timeoutSeconds?: number;
}

/** The body of a webhook POST. */
export interface RecordingWebhookBody {
  type: "recording.saved" | "recording.failed";
  /** Unique per event (the recording id and the type), for receivers that deduplicate retries. */
  id: string;
  /** Epoch milliseconds when the event was made. */
  at: number;
  recording: RecordingEvent["recording"];
}

/**
 * Delivers "recording saved" and "recording failed" events to an operator's HTTP endpoint: a JSON
 * POST signed with HMAC-SHA256 over `<timestamp>.<body>` (header `X-Parley-Signature:
 * t=<timestamp>,v1=<hex>`, the Stripe scheme, so a receiver can also refuse old replays), retried
 * with doubling back-off until a 2xx arrives or the attempts run out.
 */
export class RecordingWebhook {
  readonly #o: RecordingWebhookOptions;
  #pending = 0;

  constructor(options: RecordingWebhookOptions) {
    this.#o = options;
  }

  /** Deliveries not yet finished (sent, or given up). */
  get pending(): number {
    return this.#pending;
  }

  deliver(event: RecordingEvent): void {
    const body: RecordingWebhookBody = {
      type: event.type === "saved" ? "recording.saved" : "recording.failed",
      id: `${event.recording.id}:${event.type}`,
      at: this.#o.clock.now(),
      recording: event.recording,
    };
    this.#pending++;
    void this.#attempt(JSON.stringify(body), body, 1);
  }

  async #attempt(json: string, body: RecordingWebhookBody, attempt: number): Promise<void> {
    const max = this.#o.attempts ?? 6;
    const timestamp = Math.floor(this.#o.clock.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "Parley-Webhook/1",
      "x-parley-event": body.type,
    };
    if (this.#o.secret !== "") headers["x-parley-signature"] = signature(this.#o.secret, timestamp, json);
    let outcome: string;
    try {
      const response = await fetch(this.#o.url, {
        method: "POST",
        headers,
        body: json,
        signal: AbortSignal.timeout((this.#o.timeoutSeconds ?? 10) * 1000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        this.#pending--;
        this.#o.logger.debug({ event: body.id, attempt }, "webhook delivered");
        return;
      }
      outcome = `HTTP ${response.status}`;
    } catch (error) {
      outcome = (error as Error).message;
    }
    if (attempt >= max) {
      this.#pending--;
      this.#o.logger.warn({ event: body.id, attempts: attempt, outcome }, "webhook given up");
      return;
    }
    this.#o.logger.info({ event: body.id, attempt, outcome }, "webhook failed, will retry");
    this.#o.clock.setTimer(1000 * 2 ** (attempt - 1), () => void this.#attempt(json, body, attempt + 1));
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` */
export function signature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}
