import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { SipMessageUnion } from "../../sip/index.ts";

/** RFC 4028 §4: Min-SE may not be below 90 seconds. */
export const MIN_SESSION_EXPIRES = 90;

/** Who refreshes the session (RFC 4028 §7.4): this side (`local`) or the peer (`remote`). */
export type Refresher = "local" | "remote";

/** A Session-Expires header value: `1800;refresher=uac`. */
export interface SessionExpires {
  seconds: number;
  refresher?: "uac" | "uas";
}

export function parseSessionExpires(message: SipMessageUnion): SessionExpires | undefined {
  // The parser has already turned the compact form "x" into session-expires.
  const value = message.headers.get("session-expires");
  if (value === undefined) return undefined;
  const match = /^\s*(\d+)\s*(?:;(.*))?$/.exec(value);
  if (!match) return undefined;
  const refresher = /refresher\s*=\s*(uac|uas)/i.exec(match[2] ?? "")?.[1]?.toLowerCase() as
    | "uac"
    | "uas"
    | undefined;
  return { seconds: Number(match[1]), ...(refresher ? { refresher } : {}) };
}

export function supportsTimer(message: SipMessageUnion): boolean {
  return message.optionTags("supported").includes("timer") || message.optionTags("require").includes("timer");
}

/**
 * RFC 4028 for one leg: the refresher refreshes at half the interval (§10: "the refresher …
 * SHOULD send a refresh request at … one half the session expiration interval"); the other side
 * ends the session when no refresh arrives before the interval minus min(32 s, a third of it)
 * (§10: "If … no session refresh request … the UA SHOULD send a BYE … sometime before the
 * session expires … the minimum of 32 seconds and one third of the session interval").
 */
export class SessionTimer {
  readonly seconds: number;
  readonly refresher: Refresher;
  readonly #clock: Clock;
  readonly #refresh: () => Promise<boolean>;
  readonly #expire: () => void;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: {
    clock: Clock;
    seconds: number;
    refresher: Refresher;
    /** Sends a refresh (re-INVITE); resolves false when the peer is gone (408, 481 …). */
    refresh: () => Promise<boolean>;
    /** The session expired: hang up. */
    expire: () => void;
  }) {
    this.#clock = options.clock;
    this.seconds = options.seconds;
    this.refresher = options.refresher;
    this.#refresh = options.refresh;
    this.#expire = options.expire;
    this.#arm();
  }

  /** The peer refreshed (a re-INVITE or UPDATE arrived): the interval starts over. */
  refreshed(): void {
    if (this.#stopped) return;
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** The Session-Expires value this side sends, from the UAS or UAC point of view. */
  header(role: "uac" | "uas"): string {
    const refresher = this.refresher === "local" ? role : role === "uac" ? "uas" : "uac";
    return `${this.seconds};refresher=${refresher}`;
  }

  #arm(): void {
    this.#timer?.cancel();
    if (this.refresher === "local") {
      this.#timer = this.#clock.setTimer((this.seconds * 1000) / 2, () => {
        void this.#refresh().then((alive) => {
          if (this.#stopped) return;
          if (alive) this.#arm();
          else this.#expire();
        });
      });
    } else {
      const margin = Math.min(32, this.seconds / 3);
      this.#timer = this.#clock.setTimer((this.seconds - margin) * 1000, () => {
        if (!this.#stopped) this.#expire();
      });
    }
  }
}
