import type { Clock } from "../../kernel/clock.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import type { HangupCause } from "../legs/hangup-cause.ts";
import type { Leg } from "../legs/leg.ts";
import type { Call } from "./call.ts";

/** One step of a call as the API and the portal show it. */
export interface CallProgressEvent {
  /** 1, 2, 3 … per call, for SSE ids and ordering. */
  seq: number;
  type: "created" | "ringing" | "earlymedia" | "answered" | "hungup" | "ended";
  /** Epoch milliseconds. */
  at: number;
  legId?: string;
  direction?: "inbound" | "outbound";
  cause?: HangupCause;
  sipStatus?: number;
}

/** A call's status: its current state and every step so far. */
export interface CallStatus {
  id: string;
  kind: "inbound" | "originate";
  service: string;
  from: string;
  to: string;
  state: "dialling" | "ringing" | "answered" | "ended";
  createdAt: number;
  answeredAt?: number;
  endedAt?: number;
  cause?: HangupCause;
  /** The cluster node that runs the call; none for a node running alone. */
  node?: string;
  events: CallProgressEvent[];
}

export interface CallJournalEvents extends Record<string, unknown[]> {
  progress: [CallStatus, CallProgressEvent];
}

/**
 * What the API shows of calls: every call's status and progress events, kept while it runs and
 * for `retainMs` after it ends (at most `maxEnded` ended calls), and a feed of new events for
 * server-sent events. An observer: it never acts on a call.
 */
export class CallJournal extends TypedEmitter<CallJournalEvents> {
  readonly #clock: Clock;
  readonly #retainMs: number;
  readonly #maxEnded: number;
  readonly #calls = new Map<string, CallStatus>();
  readonly #ended: string[] = [];

  readonly #node: string | undefined;

  constructor(options: { clock: Clock; retainMs?: number; maxEnded?: number; node?: string }) {
    super();
    this.#node = options.node;
    this.#clock = options.clock;
    this.#retainMs = options.retainMs ?? 10 * 60_000;
    this.#maxEnded = options.maxEnded ?? 1000;
  }

  get(id: string): CallStatus | undefined {
    this.#expire();
    return this.#calls.get(id);
  }

  list(): CallStatus[] {
    this.#expire();
    return [...this.#calls.values()];
  }

  follow(call: Call): void {
    const status: CallStatus = {
      id: call.id,
      kind: call.kind,
      service: call.service,
      from: call.from.uri.toString(),
      to: call.dialled,
      state: "dialling",
      createdAt: this.#clock.now(),
      ...(this.#node ? { node: this.#node } : {}),
      events: [],
    };
    this.#calls.set(call.id, status);
    this.#add(status, { type: "created" });
    call.on("legstate", (leg: Leg) => {
      status.service = call.service;
      const base = { legId: leg.id, direction: leg.direction };
      switch (leg.state) {
        case "Ringing":
        case "EarlyMedia":
          if (status.state === "dialling") status.state = "ringing";
          this.#add(status, { type: leg.state === "Ringing" ? "ringing" : "earlymedia", ...base });
          return;
        case "Answered":
          if (status.state !== "answered") {
            status.state = "answered";
            status.answeredAt = this.#clock.now();
          }
          this.#add(status, { type: "answered", ...base });
          return;
        case "Ended":
          this.#add(status, {
            type: "hungup",
            ...base,
            ...(leg.end ? { cause: leg.end.cause } : {}),
            ...(leg.end?.sipStatus === undefined ? {} : { sipStatus: leg.end.sipStatus }),
          });
          return;
        default:
      }
    });
    call.on("ended", () => {
      const first = call.parties.find((l) => l.direction === "outbound") ?? call.parties[0];
      status.state = "ended";
      status.endedAt = this.#clock.now();
      const cause = first?.end?.cause ?? call.failure;
      if (cause) status.cause = cause;
      this.#add(status, { type: "ended", ...(status.cause ? { cause: status.cause } : {}) });
      this.#ended.push(call.id);
      this.#expire();
    });
  }

  /**
   * A step of a call another node of the cluster runs (its journal published it): the status is
   * taken as that node sent it, and the step is announced here too, so the API and the portal on
   * any node follow every call.
   */
  mirror(remote: Omit<CallStatus, "events">, event: CallProgressEvent): void {
    const status = this.#calls.get(remote.id) ?? { ...remote, events: [] };
    Object.assign(status, remote, { events: status.events });
    if (status.events.some((e) => e.seq === event.seq)) return;
    status.events.push(event);
    this.#calls.set(status.id, status);
    this.safeEmit("progress", status, event);
    if (event.type === "ended") {
      this.#ended.push(status.id);
      this.#expire();
    }
  }

  #add(status: CallStatus, event: Omit<CallProgressEvent, "seq" | "at">): void {
    const full: CallProgressEvent = { seq: status.events.length + 1, at: this.#clock.now(), ...event };
    status.events.push(full);
    this.safeEmit("progress", status, full);
  }

  #expire(): void {
    const now = this.#clock.now();
    while (this.#ended.length > 0) {
      const id = this.#ended[0] as string;
      const status = this.#calls.get(id);
      const old = status?.endedAt !== undefined && now - status.endedAt > this.#retainMs;
      if (!old && this.#ended.length <= this.#maxEnded) break;
      this.#ended.shift();
      this.#calls.delete(id);
    }
  }
}
