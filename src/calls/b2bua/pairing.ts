import type { MediaEngine, PlayItem, RelayBridge } from "../../media/index.ts";
import type { Leg, LegEnd, TransferRequest } from "../legs/leg.ts";

/** What a pairing asks of its call (playback and transfers are the call's business). */
export interface PairingHost {
  engine: MediaEngine;
  play(leg: Leg, items: PlayItem[], loop: boolean): void;
  stopPlayback(leg: Leg): void;
  transfer(transferor: Leg, transferee: Leg, request: TransferRequest, pairing: Pairing): void;
}

/**
 * Music on hold: a slow three-note figure (A4, C♯5, E5), played in a loop to the party whose
 * partner put the call on hold. Sites replace it with a prompt file through services.
 */
export const MUSIC_ON_HOLD: PlayItem[] = [440, 554, 659, 554].flatMap((hz): PlayItem[] => [
  { kind: "tone", tone: { frequencies: [hz], cadenceMs: [], repeat: true }, maxMs: 400 },
  { kind: "silence", ms: 100 },
]);

/**
 * Two legs connected by the media engine's relay, as long as both are up: when one holds
 * (sendonly/inactive re-offer) the relay pauses and the other hears music on hold; when one
 * hangs up the other is hung up too (unless `keepOther`); a REFER from either goes to the call
 * as a blind transfer of the other.
 */
export class Pairing {
  readonly a: Leg;
  readonly b: Leg;
  /** Whether one leg hanging up leaves the other up (early media pairs, transfers in progress). */
  keepOther: boolean;
  readonly #host: PairingHost;
  #relay: RelayBridge | undefined;
  #closed = false;
  readonly #off: Array<() => void> = [];

  constructor(host: PairingHost, a: Leg, b: Leg, options: { keepOther?: boolean } = {}) {
    if (!a.media || !b.media) throw new Error("a pairing needs both legs' media");
    this.#host = host;
    this.a = a;
    this.b = b;
    this.keepOther = options.keepOther ?? false;
    host.stopPlayback(a);
    host.stopPlayback(b);
    this.#connect();
    for (const [leg, other] of [
      [a, b],
      [b, a],
    ] as const) {
      // A phone that ended its call for an emergency one (RFC 4411) preempted its partner too:
      // the partner's BYE carries the preemption Reason, as a B2BUA passes the cause on.
      this.#listen(leg, "hungup", (end: LegEnd) => {
        this.close();
        if (!this.keepOther) other.hangup(end.cause === "PREEMPTED" ? "PREEMPTED" : "NORMAL_CLEARING");
      });
      this.#listen(leg, "held", () => this.#holdChanged());
      this.#listen(leg, "transfer", (request: TransferRequest) => host.transfer(leg, other, request, this));
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops relaying and following the legs (they stay up). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#relay?.close();
    this.#relay = undefined;
    for (const off of this.#off) off();
  }

  #connect(): void {
    const { a, b } = this;
    if (a.media && b.media) this.#relay = this.#host.engine.bridge(a.media, b.media);
  }

  /** RFC 3264 §8.4 hold on either side: pause the relay and play music to the other; resume when neither holds. */
  #holdChanged(): void {
    if (this.#closed) return;
    const { a, b } = this;
    if (a.held || b.held) {
      this.#relay?.close();
      this.#relay = undefined;
      if (a.held && !b.held) this.#host.play(b, MUSIC_ON_HOLD, true);
      if (b.held && !a.held) this.#host.play(a, MUSIC_ON_HOLD, true);
      return;
    }
    this.#host.stopPlayback(a);
    this.#host.stopPlayback(b);
    if (!this.#relay) this.#connect();
  }

  #listen<E extends "hungup" | "held" | "transfer">(
    leg: Leg,
    event: E,
    listener: (...args: never[]) => void,
  ): void {
    const typed = listener as Parameters<Leg["on"]>[1];
    leg.on(event, typed);
    this.#off.push(() => leg.off(event, typed));
  }
}
