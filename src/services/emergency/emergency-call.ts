import type {
  CallParty,
  CallPlayItem,
  CallSession,
  ConnectedCallInfo,
  DialOptions,
  DialResult,
  HangupCause,
  PartyIdentity,
} from "../../calls/index.ts";
import type { Clock } from "../../kernel/clock.ts";
import { emergencyAlertInfo, type PhoneProfile } from "./alert-marking.ts";
import type { EmergencyAuditEvent } from "./emergency-audit-log.ts";
import type { EmergencyNumber } from "./emergency-number.ts";

/** How the service treats emergency calls (the [emergency] config section). */
export interface EmergencySettings {
  /**
   * A bound user busy on a call of lower priority: `preempt` ends that call first (RFC 4411);
   * `second-call` rings the phone anyway as a second call, for phones that take over themselves.
   */
  busyCallee: "preempt" | "second-call";
  /** What the other party of a preempted call hears before its BYE. */
  preemptionAnnouncement: CallPlayItem[];
  /** Wait before ringing a bound user again who did not answer, ms. */
  retryDelayMs: number;
  /** Vendor forms of Alert-Info, by phone model or user. */
  profiles: readonly PhoneProfile[];
  defaultDomain: string;
}

/** One party of an emergency call as the API shows it. */
export interface EmergencyParticipant {
  partyId: string;
  role: "caller" | "member";
  /** extension@domain of a bound user, or the caller as identified. */
  user: string;
  state: CallParty["state"];
  /** In the group's conference room now. */
  inRoom: boolean;
  muted: boolean;
}

const prompt = (name: string): CallPlayItem => ({ kind: "prompt", name });
const RINGBACK: CallPlayItem[] = [{ kind: "tone", tone: "ringback" }];

/**
 * One call to an emergency number (SERVICES.md service 5, steps 3–9). With one bound user the
 * INVITE goes straight to that user's phones, marked with Alert-Info (RFC 7462), Priority and
 * Resource-Priority (RFC 4412); a user busy on a call of lower priority is preempted first
 * (RFC 4411). With several, the caller is put in a dynamic conference room and every bound user
 * is rung in parallel; each who answers joins the room. Users who do not answer are rung again
 * `retries` times. Every step goes to the audit trail.
 */
export class EmergencyCall {
  readonly session: CallSession;
  readonly caller: CallParty;
  readonly number: EmergencyNumber;
  /** Who called: extension@domain of a user, or what the caller presented. */
  readonly callerName: string;
  readonly startedAt: number;
  /** The dynamic conference room of a group call. */
  readonly room: string | undefined;
  readonly #settings: EmergencySettings;
  readonly #callerIdentity: PartyIdentity | undefined;
  readonly #audit: (event: EmergencyAuditEvent, party?: string, detail?: string) => void;
  readonly #clock: Clock;
  /** Bound users whose phones answered: party id → user. */
  readonly #members = new Map<string, string>();
  /** When each party joined the room (or was connected), for durations. */
  readonly #joinedAt = new Map<string, number>();

  constructor(options: {
    session: CallSession;
    caller: CallParty;
    number: EmergencyNumber;
    callerName: string;
    callerIdentity?: PartyIdentity;
    settings: EmergencySettings;
    audit: (event: EmergencyAuditEvent, party?: string, detail?: string) => void;
    clock: Clock;
  }) {
    this.session = options.session;
    this.caller = options.caller;
    this.number = options.number;
    this.callerName = options.callerName;
    this.#callerIdentity = options.callerIdentity;
    this.#settings = options.settings;
    this.#audit = options.audit;
    this.#clock = options.clock;
    this.startedAt = options.clock.now();
    this.room = options.number.users.length > 1 ? `emergency-${options.session.id}` : undefined;
  }

  /** Runs the call until everyone is connected (the call then goes on until hang-up). */
  async run(): Promise<void> {
    const { session, number } = this;
    session.priority = number.priority;
    this.#audit(
      "started",
      this.callerName,
      `priority ${number.priority}; bound to ${number.users.join(", ")}`,
    );
    session.on("hungup", (party, end) => this.#left(party, end.cause));
    session.on("ended", () =>
      this.#audit(
        "ended",
        undefined,
        `lasted ${this.#seconds(this.startedAt)} s; answered by ${this.#answeredBy()}`,
      ),
    );
    if (this.room) await this.#runGroup(this.room);
    else await this.#runSingle(number.users[0] as string);
  }

  /** One bound user: straight to their phones; the caller hears ring-back meanwhile. */
  async #runSingle(user: string): Promise<void> {
    const { session, caller } = this;
    if (this.number.announcement) {
      session.answer(caller);
      await session.play(caller, [prompt("emergency")]);
      if (caller.state === "Ended") return;
      void session.play(caller, RINGBACK, { loop: true });
    } else session.ring(caller);
    const callee = await this.#reach(user);
    if (caller.state === "Ended") {
      if (callee) session.hangup(callee, "NORMAL_CLEARING");
      return;
    }
    if (!callee) {
      session.hangup(caller, caller.state === "Answered" ? "NORMAL_CLEARING" : "USER_BUSY");
      return;
    }
    session.stopPlayback(caller);
    if (caller.state !== "Answered") session.answer(caller);
    this.#members.set(callee.id, user);
    this.#joinedAt.set(callee.id, this.#clock.now());
    await session.connect({ caller, callee }, this.#info());
  }

  /** The call as recording and other services see it: the number dialled, the caller, forced recording. */
  #info(): ConnectedCallInfo {
    return {
      dialled: this.number.number,
      ...(this.#callerIdentity ? { caller: this.#callerIdentity } : {}),
      ...(this.number.record ? { forceRecording: true } : {}),
    };
  }

  /** Several bound users: a dynamic conference; the caller first, then each user who answers. */
  async #runGroup(room: string): Promise<void> {
    const { session, caller } = this;
    session.answer(caller);
    const ringing = this.number.users.map((user) => this.#ringMember(room, user));
    if (this.number.announcement) await session.play(caller, [prompt("emergency-group")]);
    if (caller.state !== "Ended") {
      this.#joinedAt.set(caller.id, this.#clock.now());
      this.#audit("joined", this.callerName, `room ${room}`);
      // Recording (when the number records) follows the caller: what they say, and the room.
      await session.joinConference(caller, room, this.#info());
    }
    await Promise.all(ringing);
  }

  /** Rings one more user into the group's room (the API's "add a user"); they are rung once. */
  addUser(user: string): Promise<void> {
    if (!this.room) throw new Error("only a group call has a room to add users to");
    return this.#ringMember(this.room, user, 0);
  }

  async #ringMember(room: string, user: string, retries = this.number.retries): Promise<void> {
    const party = await this.#reach(user, retries);
    if (!party) return;
    if (this.caller.state === "Ended" && this.session.conference(room).size === 0) {
      // Everyone left while this phone rang: nobody to join.
      this.session.hangup(party, "NORMAL_CLEARING");
      return;
    }
    this.#members.set(party.id, user);
    this.session.conference(room).join(party);
    this.#joinedAt.set(party.id, this.#clock.now());
    this.#audit("joined", user, `room ${room}`);
  }

  /**
   * Rings `user` with the emergency markings until they answer or `retries` more attempts have
   * failed; a user busy on a call of lower priority is preempted first. Resolves with the
   * answered party, or undefined.
   */
  async #reach(user: string, retries = this.number.retries): Promise<CallParty | undefined> {
    const [extension = user, domain = this.#settings.defaultDomain] = user.split("@");
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        this.#audit("retry", user, `attempt ${attempt + 1} of ${retries + 1}`);
        await this.#pause(this.#settings.retryDelayMs);
      }
      if (this.#gone()) return undefined;
      const result = await this.#ring(user, extension, domain);
      if ("answered" in result) {
        this.#audit("answered", user, `after ${this.#seconds(this.startedAt)} s`);
        return result.answered;
      }
      this.#audit(
        outcomeEvent(result.failed),
        user,
        result.sipStatus ? `SIP ${result.sipStatus}` : result.failed,
      );
    }
    return undefined;
  }

  async #ring(user: string, extension: string, domain: string): Promise<DialResult> {
    const { session } = this;
    if (this.#settings.busyCallee === "preempt") {
      const result = await session.preempt(
        { extension, domain },
        { announcement: this.#settings.preemptionAnnouncement },
      );
      for (const preempted of result.preempted)
        this.#audit(
          "preempted",
          user,
          `call ${preempted.callId}; cut off ${preempted.others.join(", ") || "nobody"}`,
        );
      // Busy on a call that may not be preempted (an emergency call of equal or higher priority).
      if (result.blocked > 0) return { failed: "USER_BUSY" };
    }
    this.#audit("ringing", user);
    const options: DialOptions = {
      alertInfo: (device) =>
        emergencyAlertInfo(this.#settings.profiles, device, this.#settings.defaultDomain),
      priority: "emergency",
      resourcePriority: this.number.resourcePriority,
      timeout: this.number.ringTimeout,
      ...(this.caller.state === "Ended" ? {} : { onBehalfOf: this.caller }),
    };
    return session.dial([{ kind: "user", extension, domain }], options);
  }

  /** Whether there is nobody left to connect to: the caller hung up and nobody is in the room. */
  #gone(): boolean {
    if (this.caller.state !== "Ended") return false;
    return !this.room || this.session.conference(this.room).size === 0;
  }

  #left(party: CallParty, cause: HangupCause): void {
    const joined = this.#joinedAt.get(party.id);
    const who = party.id === this.caller.id ? this.callerName : this.#members.get(party.id);
    if (!who) return;
    this.#audit("left", who, `${cause}${joined === undefined ? "" : ` after ${this.#seconds(joined)} s`}`);
  }

  /** The parties as the API shows them: the caller and the bound users who answered, while they are up. */
  participants(): EmergencyParticipant[] {
    const members = this.room ? this.session.conference(this.room).members : [];
    return this.session.parties
      .filter(
        (party) => party.state !== "Ended" && (party.id === this.caller.id || this.#members.has(party.id)),
      )
      .map((party) => {
        const inRoom = members.find((m) => m.partyId === party.id);
        return {
          partyId: party.id,
          role: party.id === this.caller.id ? "caller" : "member",
          user: party.id === this.caller.id ? this.callerName : (this.#members.get(party.id) as string),
          state: party.state,
          inRoom: inRoom !== undefined,
          muted: inRoom?.muted ?? false,
        };
      });
  }

  /** Mutes or unmutes a party in the room; false when it is not there. */
  mute(partyId: string, muted: boolean): boolean {
    const party = this.#roomParty(partyId);
    if (!party || !this.room) return false;
    this.session.conference(this.room).mute(party, muted);
    this.#audit(muted ? "muted" : "unmuted", this.#name(party));
    return true;
  }

  /** Hangs up a party of the call; false when there is no such party. */
  kick(partyId: string): boolean {
    const party = this.session.parties.find((p) => p.id === partyId && p.state !== "Ended");
    if (!party) return false;
    this.#audit("kicked", this.#name(party));
    this.session.hangup(party, "NORMAL_CLEARING");
    return true;
  }

  #roomParty(partyId: string): CallParty | undefined {
    if (!this.room || !this.session.conference(this.room).members.some((m) => m.partyId === partyId))
      return undefined;
    return this.session.parties.find((p) => p.id === partyId);
  }

  #name(party: CallParty): string {
    return party.id === this.caller.id ? this.callerName : (this.#members.get(party.id) ?? party.id);
  }

  #answeredBy(): string {
    const users = [...new Set(this.#members.values())];
    return users.length > 0 ? users.join(", ") : "nobody";
  }

  #seconds(since: number): number {
    return Math.round((this.#clock.now() - since) / 1000);
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }
}

function outcomeEvent(cause: HangupCause): EmergencyAuditEvent {
  if (cause === "USER_BUSY") return "busy";
  if (cause === "NO_ANSWER" || cause === "NO_USER_RESPONSE") return "no-answer";
  return "failed";
}
