import {
  type CallParty,
  type CallPlayItem,
  type CallSession,
  defineService,
  type InboundCallInfo,
  type ServiceModule,
} from "../../calls/index.ts";
import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { ParleyError } from "../../kernel/parley-error.ts";
import type { PhoneProfile } from "./alert-marking.ts";
import type {
  EmergencyAuditEntry,
  EmergencyAuditEvent,
  EmergencyAuditLog,
  EmergencyAuditQuery,
} from "./emergency-audit-log.ts";
import { EmergencyCall, type EmergencyParticipant, type EmergencySettings } from "./emergency-call.ts";
import type { EmergencyNumber, EmergencyNumberStore } from "./emergency-number.ts";

/** Why an admin's change to the emergency numbers was refused (the API answers 4xx with it). */
export class EmergencyNumberRefused extends ParleyError {
  readonly status: 404 | 409 | 422;

  constructor(message: string, status: 404 | 409 | 422) {
    super("EMERGENCY_NUMBER_REFUSED", message);
    this.status = status;
  }
}

export interface EmergencyServiceOptions {
  /** Numbers admins manage (API, CLI, portal). */
  store: EmergencyNumberStore;
  /** Numbers from the config file: read-only, and they win over stored ones with the same digits. */
  configNumbers: readonly EmergencyNumber[];
  audit: EmergencyAuditLog;
  /** Whether a user exists (extension, domain), checked when numbers are saved. */
  userExists(extension: string, domain: string): Promise<boolean>;
  busyCallee: EmergencySettings["busyCallee"];
  /** What the other party of a preempted call hears (a prompt name, or a WAV file path). */
  preemptionAnnouncement: string;
  retryDelaySeconds: number;
  profiles: readonly PhoneProfile[];
  defaultDomain: string;
  /** How often stored numbers are read again (other nodes' changes), seconds. */
  refreshSeconds?: number;
  clock: Clock;
  logger: Logger;
}

/** An emergency call in progress, as the API shows it. */
export interface EmergencyCallView {
  callId: string;
  number: string;
  label: string;
  caller: string;
  startedAt: number;
  room?: string;
  participants: EmergencyParticipant[];
}

/**
 * Service 5: calls to routing-point numbers configured as emergency numbers. It claims calls to
 * those numbers, runs each as an EmergencyCall (markings, preemption, the group's conference),
 * keeps the calls in progress for the API (participants, add a user, mute, kick), and writes the
 * audit trail.
 */
export class EmergencyService {
  readonly module: ServiceModule;
  readonly #o: EmergencyServiceOptions;
  readonly #settings: EmergencySettings;
  readonly #calls = new Map<string, EmergencyCall>();
  /** Stored numbers as last read, so claiming a call does not wait for storage. */
  #stored = new Map<string, EmergencyNumber>();
  #refresh: TimerHandle | undefined;
  #auditSequence = 0;

  constructor(options: EmergencyServiceOptions) {
    this.#o = options;
    this.#settings = {
      busyCallee: options.busyCallee,
      preemptionAnnouncement: [announcement(options.preemptionAnnouncement)],
      retryDelayMs: options.retryDelaySeconds * 1000,
      profiles: options.profiles,
      defaultDomain: options.defaultDomain,
    };
    this.module = defineService({
      name: "emergency",
      claims: (info) => this.#numberFor(info.dialled) !== undefined,
      handle: (session, caller, info) => this.#handle(session, caller, info),
    });
  }

  /** Reads the stored numbers, and again every refreshSeconds. */
  async start(): Promise<void> {
    await this.#reload();
    const every = (this.#o.refreshSeconds ?? 60) * 1000;
    const tick = () => {
      this.#refresh = this.#o.clock.setTimer(every, () => {
        void this.#reload()
          .catch((error: unknown) => this.#o.logger.warn({ err: error }, "emergency numbers not refreshed"))
          .finally(tick);
      });
    };
    tick();
  }

  stop(): void {
    this.#refresh?.cancel();
    this.#refresh = undefined;
  }

  /** Every emergency number: the config file's, then the stored ones it does not shadow. */
  numbers(): EmergencyNumber[] {
    const fromConfig = this.#o.configNumbers.map((n) => ({ ...n, users: [...n.users] }));
    const shadowed = new Set(fromConfig.map((n) => n.number));
    const stored = [...this.#stored.values()].filter((n) => !shadowed.has(n.number));
    return [...fromConfig, ...stored].sort((a, b) => a.number.localeCompare(b.number));
  }

  number(digits: string): EmergencyNumber | undefined {
    const found = this.#numberFor(digits);
    return found && { ...found, users: [...found.users] };
  }

  /** Adds or changes an admin-managed number; refused for config-file numbers and unknown users. */
  async saveNumber(entry: Omit<EmergencyNumber, "source">): Promise<EmergencyNumber> {
    if (this.#o.configNumbers.some((n) => n.number === entry.number))
      throw new EmergencyNumberRefused(`${entry.number} is set in the config file; change it there`, 409);
    if (entry.users.length === 0) throw new EmergencyNumberRefused("an emergency number needs a user", 422);
    for (const user of entry.users) {
      const [extension = user, domain = this.#o.defaultDomain] = user.split("@");
      if (!(await this.#o.userExists(extension, domain)))
        throw new EmergencyNumberRefused(`no user ${user}`, 422);
    }
    const saved: EmergencyNumber = { ...entry, users: [...entry.users], source: "admin" };
    await this.#o.store.save(saved);
    this.#stored.set(saved.number, saved);
    this.#o.logger.info({ number: saved.number, users: saved.users }, "emergency number saved");
    return { ...saved, users: [...saved.users] };
  }

  async removeNumber(digits: string): Promise<void> {
    if (this.#o.configNumbers.some((n) => n.number === digits))
      throw new EmergencyNumberRefused(`${digits} is set in the config file; remove it there`, 409);
    if (!(await this.#o.store.remove(digits)))
      throw new EmergencyNumberRefused(`no emergency number ${digits}`, 404);
    this.#stored.delete(digits);
    this.#o.logger.info({ number: digits }, "emergency number removed");
  }

  /** Emergency calls in progress on this node. */
  calls(): EmergencyCallView[] {
    return [...this.#calls.values()].map((call) => this.#view(call));
  }

  call(callId: string): EmergencyCallView | undefined {
    const call = this.#calls.get(callId);
    return call && this.#view(call);
  }

  /** Rings a user into a group call's room (once, with the emergency markings). */
  addParticipant(callId: string, user: string): void {
    const call = this.#activeCall(callId);
    if (!call.room) throw new EmergencyNumberRefused("a call to one bound user has no room to add to", 409);
    void call
      .addUser(user)
      .catch((error: unknown) =>
        this.#o.logger.error({ err: error, callId, user }, "adding a user to an emergency room failed"),
      );
  }

  setMuted(callId: string, partyId: string, muted: boolean): void {
    if (!this.#activeCall(callId).mute(partyId, muted))
      throw new EmergencyNumberRefused(`party ${partyId} is not in the room`, 404);
  }

  kick(callId: string, partyId: string): void {
    if (!this.#activeCall(callId).kick(partyId))
      throw new EmergencyNumberRefused(`no party ${partyId} in call ${callId}`, 404);
  }

  audit(query: EmergencyAuditQuery): Promise<EmergencyAuditEntry[]> {
    return this.#o.audit.list(query);
  }

  #activeCall(callId: string): EmergencyCall {
    const call = this.#calls.get(callId);
    if (!call) throw new EmergencyNumberRefused(`no emergency call ${callId} in progress`, 404);
    return call;
  }

  #numberFor(digits: string): EmergencyNumber | undefined {
    return this.#o.configNumbers.find((n) => n.number === digits) ?? this.#stored.get(digits);
  }

  async #reload(): Promise<void> {
    const list = await this.#o.store.list();
    this.#stored = new Map(list.map((n) => [n.number, n]));
  }

  async #handle(session: CallSession, caller: CallParty, info: InboundCallInfo): Promise<void> {
    const number = this.#numberFor(info.dialled);
    if (!number) {
      session.hangup(caller, "UNALLOCATED_NUMBER");
      return;
    }
    const callerName = info.caller
      ? `${info.caller.extension}@${info.caller.domain}`
      : info.trunk
        ? `trunk:${info.trunk}`
        : "unknown";
    const logger = this.#o.logger.child({ callId: session.id, emergencyNumber: number.number });
    const call = new EmergencyCall({
      session,
      caller,
      number,
      callerName,
      ...(info.caller ? { callerIdentity: info.caller } : {}),
      settings: this.#settings,
      audit: (event, party, detail) => this.#record(session.id, number.number, event, party, detail, logger),
      clock: this.#o.clock,
    });
    this.#calls.set(session.id, call);
    session.on("ended", () => this.#calls.delete(session.id));
    await call.run();
  }

  #record(
    callId: string,
    number: string,
    event: EmergencyAuditEvent,
    party: string | undefined,
    detail: string | undefined,
    logger: Logger,
  ): void {
    const at = this.#o.clock.now();
    // Ids sort in the order the steps happened, within one millisecond too.
    const id = `${String(at).padStart(15, "0")}-${String(++this.#auditSequence % 1e6).padStart(6, "0")}-${randomHex(3)}`;
    const entry: EmergencyAuditEntry = {
      id,
      at,
      callId,
      number,
      event,
      ...(party === undefined ? {} : { party }),
      ...(detail === undefined ? {} : { detail }),
    };
    logger.info({ event, party, detail }, "emergency call step");
    void this.#o.audit
      .record(entry)
      .catch((error: unknown) => logger.error({ err: error, event }, "emergency audit entry not written"));
  }

  #view(call: EmergencyCall): EmergencyCallView {
    return {
      callId: call.session.id,
      number: call.number.number,
      label: call.number.label,
      caller: call.callerName,
      startedAt: call.startedAt,
      ...(call.room ? { room: call.room } : {}),
      participants: call.participants(),
    };
  }
}

/** A prompt by name ("call-preempted"), or a WAV file by path. */
function announcement(value: string): CallPlayItem {
  return value.includes("/") || value.endsWith(".wav")
    ? { kind: "file", path: value }
    : { kind: "prompt", name: value };
}
