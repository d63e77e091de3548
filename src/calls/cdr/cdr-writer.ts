import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { Call } from "../b2bua/call.ts";
import type { HangupCause } from "../legs/hangup-cause.ts";
import type { Leg, LegEnd } from "../legs/leg.ts";
import type { CallRecord, CdrDisposition, CdrStore, LegRecord } from "./call-detail-record.ts";

/** How a cause reads in a CDR (Asterisk's dispositions). */
export function dispositionFor(cause: HangupCause, answered: boolean): CdrDisposition {
  if (answered) return "answered";
  switch (cause) {
    case "ORIGINATOR_CANCEL":
      return "cancelled";
    case "USER_BUSY":
      return "busy";
    case "NO_ANSWER":
    case "NO_USER_RESPONSE":
    case "RECOVERY_ON_TIMER_EXPIRE":
      return "no-answer";
    default:
      return "failed";
  }
}

/**
 * Turns a call's events into call detail records (Asterisk's cdr.c idea): the call record is
 * written when the call starts and updated at each step, so a process killed mid-call leaves an
 * open record for `completeInterrupted` at the next start. Writes for one call are queued in
 * order; a storage failure is logged and never disturbs the call.
 */
export class CdrWriter {
  readonly #store: CdrStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #queues = new Map<string, Promise<void>>();

  readonly #node: string | undefined;

  constructor(options: { store: CdrStore; clock: Clock; logger: Logger; node?: string }) {
    this.#node = options.node;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /** Writes records for `call` from now until it ends. */
  follow(call: Call, init: { caller?: string }): void {
    const record: CallRecord = {
      id: call.id,
      kind: call.kind,
      from: call.from.uri.toString(),
      to: call.dialled,
      service: call.service,
      startedAt: this.#clock.now(),
      ...(init.caller ? { caller: init.caller } : {}),
      ...(this.#node ? { node: this.#node } : {}),
    };
    this.#write(call.id, () => this.#store.openCall(record));
    let answeredAt: number | undefined;
    let last: Leg | undefined;
    /** After the answer, the first leg to end is the one that ended the call (its cause is the call's). */
    let hungUpFirst: Leg | undefined;
    call.on("leg", (leg: Leg) => this.#openLeg(call, leg));
    call.on("legstate", (leg: Leg) => {
      const now = this.#clock.now();
      if (leg.state === "Ringing" || leg.state === "EarlyMedia") {
        this.#write(call.id, () => this.#store.updateLeg(leg.id, { ringingAt: now }));
      } else if (leg.state === "Answered") {
        this.#write(call.id, () => this.#store.updateLeg(leg.id, { answeredAt: now }));
        if (answeredAt === undefined && (leg.direction === "outbound" || call.kind === "originate")) {
          answeredAt = now;
          this.#write(call.id, () => this.#store.updateCall(call.id, { answeredAt: now }));
        }
      } else if (leg.state === "Ended" && leg.end) {
        const end = leg.end;
        last = leg;
        if (answeredAt !== undefined) hungUpFirst ??= leg;
        this.#write(call.id, () =>
          this.#store.updateLeg(leg.id, {
            endedAt: now,
            disposition: dispositionFor(end.cause, leg.session !== undefined),
            cause: end.cause,
            ...(end.sipStatus === undefined ? {} : { sipStatus: end.sipStatus }),
            ...(end.reason === undefined ? {} : { reason: end.reason }),
          }),
        );
      }
    });
    call.on("ended", () => {
      const first = call.parties[0];
      const end: LegEnd = (answeredAt === undefined
        ? (first?.end ?? last?.end)
        : (hungUpFirst?.end ?? last?.end ?? first?.end)) ?? {
        cause: call.failure ?? "NORMAL_UNSPECIFIED",
        by: "local",
      };
      const callee = call.parties.find((l) => l.direction === "outbound" && l.session !== undefined);
      this.#write(call.id, () =>
        this.#store.updateCall(call.id, {
          endedAt: this.#clock.now(),
          disposition: dispositionFor(end.cause, answeredAt !== undefined),
          cause: end.cause,
          service: call.service,
          ...(call.priority > 0 ? { priority: call.priority } : {}),
          ...(end.sipStatus === undefined ? {} : { sipStatus: end.sipStatus }),
          ...(end.reason === undefined ? {} : { reason: end.reason }),
          ...(callee ? { callee: callee.addresses.to.replace(/^sips?:/, "") } : {}),
        }),
      );
      const done = this.#queues.get(call.id);
      void done?.finally(() => {
        if (this.#queues.get(call.id) === done) this.#queues.delete(call.id);
      });
    });
  }

  /** Resolves when every queued write has been attempted (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.#queues.values()]);
  }

  #openLeg(call: Call, leg: Leg): void {
    const info = leg.addresses;
    const record: LegRecord = {
      id: leg.id,
      callId: call.id,
      direction: leg.direction,
      sipCallId: info.sipCallId,
      from: info.from,
      to: info.to,
      target: info.target,
      startedAt: this.#clock.now(),
    };
    this.#write(call.id, () => this.#store.openLeg(record));
  }

  #write(callId: string, write: () => Promise<void>): void {
    const previous = this.#queues.get(callId) ?? Promise.resolve();
    const next = previous.then(write).catch((error: unknown) => {
      this.#logger.error({ err: error, callId }, "CDR write failed");
    });
    this.#queues.set(callId, next);
  }
}
