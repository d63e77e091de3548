import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Logger } from "../../kernel/log.ts";

/** Texts to outside numbers (a caller the server could not reach back). */
export interface SmsGateway {
  send(to: string, text: string): Promise<void>;
}

/** Writes the text to the log only: the default, until an operator configures a gateway. */
export class LoggingSmsGateway implements SmsGateway {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async send(to: string, text: string): Promise<void> {
    this.#logger.info({ to, text }, "SMS (no gateway configured: logged only)");
  }
}

/**
 * Posts each text as JSON (`{"to": "+4930…", "text": "…", "from": "…"}`) to an HTTP(S) endpoint,
 * the shape most SMS providers' webhooks or a small bridge accept; a bearer token when set. A
 * non-2xx answer or no answer within `timeoutMs` is an error for the caller to log.
 */
export class WebhookSmsGateway implements SmsGateway {
  readonly #o: { url: string; token?: string; from?: string; timeoutMs?: number };

  constructor(options: { url: string; token?: string; from?: string; timeoutMs?: number }) {
    this.#o = options;
  }

  send(to: string, text: string): Promise<void> {
    const url = new URL(this.#o.url);
    const body = Buffer.from(JSON.stringify({ to, text, ...(this.#o.from ? { from: this.#o.from } : {}) }));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": String(body.length),
            ...(this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {}),
          },
          timeout: this.#o.timeoutMs ?? 5000,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`SMS gateway answered ${status}`));
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("SMS gateway timed out")));
      req.on("error", reject);
      req.end(body);
    });
  }
}
