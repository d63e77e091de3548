import { randomUUID } from "node:crypto";
import {
  type AmdOptions,
  type CallOriginator,
  type CallParty,
  type CallPlayItem,
  type CallSession,
  type ConnectedCallInfo,
  type DialTarget,
  dialTarget,
  MUSIC_ON_HOLD,
  normalizeNumber,
} from "../../calls/index.ts";
import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import { type CallbackJob, type CallbackOrigin, isActive, note, transition } from "./callback-job.ts";
import { CallbackOffers } from "./callback-offers.ts";
import type { CallbackBlockList, CallbackJobStore } from "./job-store.ts";
import { QuietHours } from "./quiet-hours.ts";
import type { SmsGateway } from "./sms-gateway.ts";

/** Texts to users' phones (SIP MESSAGE, RFC 3428), through call control. */
export interface TextMessages {
  send(aor: string, text: string): Promise<{ delivered: number; attempted: number }>;
}

/** Places calls from the server (call control's originate). */
export type CallbackDialer = CallOriginator;

/** What the service knows of a user. */
export interface CallbackUser {
  extension: string;
  domain: string;
  displayName: string;
  phoneNumbers: readonly string[];
  /** The user's services (recording …), so they apply to the bridged call as to any call. */
  features?: Readonly<Record<string, boolean>>;
}

export interface BackgroundCallSettings {
  maxAttempts: number;
  retryIntervalSeconds: number;
  maxDurationSeconds: number;
  ringSeconds: number;
  callerRingSeconds: number;
  maxActivePerUser: number;
  quietHours: string;
  timeZone: string;
  /** Unanswered calls in a row to one callee before the offer; 0 turns offers off. */
  offerThreshold: number;
  /** The window those calls fall in, and how long an offer stays open. */
  offerWindowSeconds: number;
  /** The domain of bare extensions when the other party gives none (an outside caller's callee). */
  defaultDomain?: string;
  /** Answering-machine detection on answered attempts; undefined turns it off. */
  amd?: Partial<AmdOptions>;
}

export interface BackgroundCallServiceOptions {
  store: CallbackJobStore;
  blocks: CallbackBlockList;
  dialer: CallbackDialer;
  messages?: TextMessages;
  sms: SmsGateway;
  /** A user by extension@domain (or a number that belongs to one), or undefined. */
  findUser(id: string): Promise<CallbackUser | undefined>;
  settings: BackgroundCallSettings;
  clock: Clock;
  logger: Logger;
  /**
   * Whether this node places the attempts (default true). In a cluster only the leading node
   * does: the others save the jobs they are given and leave the calls to it (see `standby`).
   */
  runsJobs?: boolean;
}

export interface BackgroundCallEvents extends Record<string, unknown[]> {
  /** A job changed: every state change and every attempt. */
  job: [CallbackJob];
}

/** Why a start instruction was refused (the API answers 4xx with it). */
export class CallbackRefused extends Error {
  readonly code: "CALLBACK_DUPLICATE" | "CALLBACK_LIMIT" | "CALLBACK_BLOCKED" | "CALLBACK_TARGET";

  constructor(code: CallbackRefused["code"], message: string) {
    super(message);
    this.code = code;
  }
}

export interface StartRequest {
  caller: string;
  callee: string;
  origin: CallbackOrigin;
  maxAttempts?: number;
  retryIntervalSeconds?: number;
  maxDurationSeconds?: number;
}

const prompt = (name: string): CallPlayItem => ({ kind: "prompt", name });
const userPart = (id: string) => (id.includes("@") ? id.slice(0, id.indexOf("@")) : id);

/**
 * Service 3: the persistent background call. A job calls the callee; busy, no answer,
 * unreachable or an answering machine means waiting `retryIntervalSeconds` (seconds to hours, no
 * fixed cap) and calling again, until the callee answers, the caller says stop, or the limits
 * (attempts, total time; quiet hours postpone) run out. When a person answers, they hear a
 * prompt and hold music while the caller is called back; the two are bridged when the caller
 * answers. A caller who does not answer gets a text (SIP MESSAGE, or SMS for outside numbers)
 * and the callee a prompt. Every job is saved at every step, so a restart resumes it.
 */
export class BackgroundCallService extends TypedEmitter<BackgroundCallEvents> {
  readonly offers: CallbackOffers;
  readonly #o: BackgroundCallServiceOptions;
  readonly #quiet: QuietHours;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #calls = new Map<string, CallSession>();
  #closed = false;
  #runsJobs: boolean;

  constructor(options: BackgroundCallServiceOptions) {
    super();
    this.#o = options;
    this.#runsJobs = options.runsJobs ?? true;
    this.#quiet = new QuietHours(options.settings.quietHours, options.settings.timeZone);
    this.offers = new CallbackOffers({
      threshold: options.settings.offerThreshold,
      windowMs: options.settings.offerWindowSeconds * 1000,
    });
    this.onListenerError = (error) => options.logger.error({ err: error }, "background call listener failed");
  }

  /**
   * Picks up every active job: attempts in progress when the process (or, in a cluster, the node
   * that ran them) stopped count as failed. From now on this node places the attempts.
   */
  async start(): Promise<number> {
    this.#runsJobs = true;
    const now = this.#o.clock.now();
    const jobs = await this.#o.store.active();
    for (const job of jobs) {
      if (job.state === "callee-answered" || job.state === "calling-caller") {
        transition(job, "trying", now, "interrupted", "the node stopped during the call");
        job.nextAttemptAt = now;
      }
      if (job.state === "trying" && job.nextAttemptAt === undefined) {
        note(job, now, "interrupted", "the node stopped during an attempt");
        job.nextAttemptAt = now;
      }
      await this.#o.store.save(job);
      this.#schedule(job);
    }
    return jobs.length;
  }

  /**
   * In a cluster, another node took the jobs over: stop scheduling attempts here (calls in
   * progress go on to their end). `start` makes this node run them again.
   */
  standby(): void {
    this.#runsJobs = false;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  /** Schedules active jobs this node does not know yet (started through another node). */
  async adopt(): Promise<number> {
    if (!this.#runsJobs || this.#closed) return 0;
    let adopted = 0;
    for (const job of await this.#o.store.active()) {
      if (this.#timers.has(job.id) || this.#calls.has(job.id) || job.nextAttemptAt === undefined) continue;
      this.#schedule(job);
      adopted++;
    }
    return adopted;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  /** Starts a background call; refuses duplicates, users over their limit and blocked pairs. */
  async begin(request: StartRequest): Promise<CallbackJob> {
    const s = this.#o.settings;
    const caller = await this.#identify(request.caller);
    const callee = await this.#identify(request.callee, caller);
    if (!caller || !callee)
      throw new CallbackRefused("CALLBACK_TARGET", "caller and callee must be users or numbers");
    if (caller === callee)
      throw new CallbackRefused("CALLBACK_TARGET", "a caller cannot call themselves back");
    const active = await this.#o.store.active();
    if (active.some((job) => job.caller === caller && job.callee === callee)) {
      throw new CallbackRefused(
        "CALLBACK_DUPLICATE",
        `a background call from ${caller} to ${callee} is already running`,
      );
    }
    if (active.filter((job) => job.caller === caller).length >= s.maxActivePerUser) {
      throw new CallbackRefused(
        "CALLBACK_LIMIT",
        `${caller} already has ${s.maxActivePerUser} background calls`,
      );
    }
    if (await this.#o.blocks.isBlocked(callee, caller)) {
      throw new CallbackRefused(
        "CALLBACK_BLOCKED",
        `${callee} does not take background calls from ${caller}`,
      );
    }
    const now = this.#o.clock.now();
    const job: CallbackJob = {
      id: `B${randomUUID().replace(/-/g, "").slice(0, 16)}`,
      caller,
      callee,
      origin: request.origin,
      state: "pending",
      attempts: 0,
      maxAttempts: request.maxAttempts ?? s.maxAttempts,
      retryIntervalSeconds: request.retryIntervalSeconds ?? s.retryIntervalSeconds,
      deadline: now + (request.maxDurationSeconds ?? s.maxDurationSeconds) * 1000,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      log: [{ at: now, state: "pending", event: "started", detail: `by ${request.origin}` }],
    };
    await this.#save(job);
    this.#o.logger.info({ job: job.id, caller, callee, origin: request.origin }, "background call started");
    this.#schedule(job);
    return job;
  }

  /** The stop instruction: no attempt after it; a call in progress is ended. */
  async stop(id: string, by: string): Promise<CallbackJob | undefined> {
    const job = await this.#o.store.get(id);
    if (!job) return undefined;
    if (!isActive(job)) return job;
    this.#timers.get(id)?.cancel();
    this.#timers.delete(id);
    transition(job, "stopped", this.#o.clock.now(), "stopped", by);
    delete job.nextAttemptAt;
    await this.#save(job);
    this.#calls.get(id)?.hangup(undefined, "NORMAL_CLEARING");
    return job;
  }

  /** Stops the caller's active jobs (to `callee` only, when given); returns how many. */
  async stopFor(caller: string, callee: string | undefined, by: string): Promise<number> {
    const target = callee === undefined ? undefined : await this.#identify(callee, caller);
    let stopped = 0;
    for (const job of await this.#o.store.active()) {
      if (job.caller !== caller || (target !== undefined && job.callee !== target)) continue;
      await this.stop(job.id, by);
      stopped += 1;
    }
    return stopped;
  }

  get(id: string): Promise<CallbackJob | undefined> {
    return this.#o.store.get(id);
  }

  list(query: { caller?: string; limit: number }): Promise<CallbackJob[]> {
    return this.#o.store.list(query);
  }

  /** The callee blocks background calls from `who` (a user or number). */
  async block(callee: string, who: string): Promise<string> {
    const blocked = (await this.#identify(who, callee)) ?? who;
    await this.#o.blocks.block(callee, blocked);
    return blocked;
  }

  get settings(): BackgroundCallSettings {
    return this.#o.settings;
  }

  get blocks(): CallbackBlockList {
    return this.#o.blocks;
  }

  /** A user or number as the service stores it: extension@domain for users, +E.164 or digits otherwise. */
  async #identify(id: string, relativeTo?: string): Promise<string | undefined> {
    const trimmed = id.trim().toLowerCase();
    if (trimmed === "") return undefined;
    if (trimmed.includes("@")) return (await this.#o.findUser(trimmed)) ? trimmed : undefined;
    const domain = relativeTo?.includes("@")
      ? relativeTo.slice(relativeTo.indexOf("@") + 1)
      : this.#o.settings.defaultDomain;
    if (domain) {
      const user = await this.#o.findUser(`${trimmed}@${domain}`);
      if (user) return `${user.extension}@${user.domain}`.toLowerCase();
    }
    const byNumber = await this.#o.findUser(normalizeNumber(trimmed));
    if (byNumber) return `${byNumber.extension}@${byNumber.domain}`.toLowerCase();
    const number = normalizeNumber(trimmed);
    return /^\+?[0-9]{3,}$/.test(number) ? number : undefined;
  }

  #target(id: string): DialTarget {
    if (id.includes("@"))
      return { kind: "user", extension: userPart(id), domain: id.slice(id.indexOf("@") + 1) };
    return dialTarget(id);
  }

  /** Who the bridged call connects, as services see a basic call (recording, announcements). */
  async #connectedInfo(job: CallbackJob): Promise<ConnectedCallInfo> {
    const identity = async (id: string) => {
      const user = id.includes("@") ? await this.#o.findUser(id) : undefined;
      return user && { extension: user.extension, domain: user.domain, features: user.features ?? {} };
    };
    const caller = await identity(job.caller);
    const callee = await identity(job.callee);
    return { dialled: userPart(job.callee), ...(caller ? { caller } : {}), ...(callee ? { callee } : {}) };
  }

  async #callerId(id: string): Promise<{ number: string; name?: string }> {
    const user = id.includes("@") ? await this.#o.findUser(id) : undefined;
    return user
      ? { number: user.extension, ...(user.displayName ? { name: user.displayName } : {}) }
      : { number: id };
  }

  #schedule(job: CallbackJob): void {
    if (this.#closed || !this.#runsJobs || !isActive(job) || job.nextAttemptAt === undefined) return;
    this.#timers.get(job.id)?.cancel();
    const delay = Math.max(0, job.nextAttemptAt - this.#o.clock.now());
    this.#timers.set(
      job.id,
      this.#o.clock.setTimer(delay, () => {
        this.#timers.delete(job.id);
        this.#attempt(job.id).catch((error: unknown) =>
          this.#o.logger.error({ err: error, job: job.id }, "background call attempt failed"),
        );
      }),
    );
  }

  async #save(job: CallbackJob): Promise<void> {
    // A stopping node keeps the job as last saved; the next start resumes it.
    if (this.#closed) return;
    await this.#o.store.save(job);
    this.safeEmit("job", job);
  }

  /** One call to the callee, unless the limits ran out or quiet hours postpone it. */
  async #attempt(id: string): Promise<void> {
    const job = await this.#o.store.get(id);
    if (!job || !isActive(job) || this.#closed) return;
    const now = this.#o.clock.now();
    if (job.attempts >= job.maxAttempts || now >= job.deadline) {
      transition(
        job,
        "exhausted",
        now,
        "exhausted",
        job.attempts >= job.maxAttempts ? "max attempts" : "max time",
      );
      delete job.nextAttemptAt;
      await this.#save(job);
      return;
    }
    const allowed = this.#quiet.nextAllowed(now);
    if (allowed > now) {
      job.nextAttemptAt = allowed;
      note(job, now, "postponed", "quiet hours");
      await this.#save(job);
      this.#schedule(job);
      return;
    }
    if (job.state === "pending") transition(job, "trying", now, "trying");
    job.attempts += 1;
    delete job.nextAttemptAt;
    note(job, now, "attempt", `call ${job.attempts} to ${job.callee}`);
    await this.#save(job);
    const call = this.#o.dialer.originate(this.#target(job.callee), {
      callerId: await this.#callerId(job.caller),
      service: "background-call",
      timeout: this.#o.settings.ringSeconds,
      app: (session, callee) =>
        this.#calleeAnswered(job.id, session, callee).catch((error: unknown) => {
          this.#o.logger.error({ err: error, job: job.id }, "background call failed while connecting");
          session.hangup();
        }),
      onFailed: (cause) => {
        this.#calls.delete(job.id);
        this.#retry(job.id, cause).catch((error: unknown) =>
          this.#o.logger.error({ err: error, job: job.id }, "background call retry failed"),
        );
      },
    });
    this.#calls.set(job.id, call);
    call.on("ended", () => {
      if (this.#calls.get(job.id) === call) this.#calls.delete(job.id);
    });
  }

  /** The attempt did not reach a person: wait and try again, or stop at the limits. */
  async #retry(id: string, why: string): Promise<void> {
    const job = await this.#o.store.get(id);
    if (!job || !isActive(job)) return;
    const now = this.#o.clock.now();
    const next = now + job.retryIntervalSeconds * 1000;
    if (job.attempts >= job.maxAttempts || next >= job.deadline) {
      transition(
        job,
        "exhausted",
        now,
        "exhausted",
        `${why}; ${job.attempts >= job.maxAttempts ? "max attempts" : "max time"}`,
      );
      await this.#save(job);
      return;
    }
    if (job.state !== "trying") transition(job, "trying", now, "trying", why);
    else note(job, now, "not answered", why);
    job.nextAttemptAt = next;
    await this.#save(job);
    this.#schedule(job);
  }

  /** The callee's phone answered: a person (not a machine) holds while the caller is called back. */
  async #calleeAnswered(id: string, session: CallSession, callee: CallParty): Promise<void> {
    let job = await this.#o.store.get(id);
    if (!job || !isActive(job)) {
      session.hangup(callee);
      return;
    }
    const amd = this.#o.settings.amd;
    if (amd) {
      const verdict = await session.detectAnsweringMachine(callee, amd);
      if (verdict.result === "machine" || callee.state === "Ended") {
        session.hangup(callee);
        await this.#retry(
          id,
          verdict.result === "machine" ? `answering machine (${verdict.reason})` : "hung up",
        );
        return;
      }
    }
    job = (await this.#o.store.get(id)) ?? job;
    if (!isActive(job)) {
      session.hangup(callee);
      return;
    }
    transition(job, "callee-answered", this.#o.clock.now(), "callee answered");
    await this.#save(job);
    void session.play(callee, [prompt("callback-hold"), ...MUSIC_ON_HOLD], { loop: true });
    transition(job, "calling-caller", this.#o.clock.now(), "calling caller", job.caller);
    await this.#save(job);
    const result = await session.dial([this.#target(job.caller)], {
      timeout: this.#o.settings.callerRingSeconds,
      callerId: await this.#callerId(job.callee),
      onBehalfOf: callee,
      viaTrunks: true,
    });
    job = (await this.#o.store.get(id)) ?? job;
    if ("answered" in result) {
      const caller = result.answered;
      if (callee.state === "Ended" || !isActive(job)) {
        session.hangup(caller);
        if (isActive(job)) await this.#retry(id, "callee left before the caller answered");
        return;
      }
      // The callee keeps hearing hold music while the caller hears "on the line"; the bridge stops it.
      await session.play(caller, [prompt("callback-connected")]);
      // Connected as a call from the caller to the callee: recording and other services apply.
      if (!ended(callee) && !ended(caller)) {
        await session.connect({ caller, callee }, await this.#connectedInfo(job));
      }
      if (ended(callee) || ended(caller)) {
        // One left while the other heard "on the line": nobody was connected; end the other's call.
        session.hangup();
        await this.#retry(id, `${ended(callee) ? "callee" : "caller"} left before the bridge`);
        return;
      }
      transition(job, "bridged", this.#o.clock.now(), "bridged");
      await this.#save(job);
      this.#o.logger.info({ job: id }, "background call bridged");
      return;
    }
    if (callee.state === "Ended") {
      if (isActive(job)) await this.#retry(id, "callee left before the caller answered");
      return;
    }
    if (!isActive(job)) {
      session.hangup(callee);
      return;
    }
    transition(job, "caller-missed", this.#o.clock.now(), "caller missed", result.failed);
    await this.#save(job);
    session.stopPlayback(callee);
    await session.play(callee, [prompt("callback-caller-missed")]);
    session.hangup(callee);
    await this.#tellCaller(job);
  }

  /** The caller could not be reached: a text to their phones (users) or by SMS (outside numbers). */
  async #tellCaller(job: CallbackJob): Promise<void> {
    const who = job.callee.includes("@")
      ? (await this.#o.findUser(job.callee))?.displayName || userPart(job.callee)
      : job.callee;
    const text = `${who} (${userPart(job.callee)}) answered your background call, but you could not be reached. Please call back.`;
    try {
      if (job.caller.includes("@")) {
        const sent = await this.#o.messages?.send(`sip:${job.caller}`, text);
        note(job, this.#o.clock.now(), "caller told", `SIP MESSAGE to ${sent?.delivered ?? 0} phone(s)`);
      } else {
        await this.#o.sms.send(job.caller, text);
        note(job, this.#o.clock.now(), "caller told", "SMS");
      }
    } catch (error) {
      note(
        job,
        this.#o.clock.now(),
        "caller not told",
        error instanceof Error ? error.message : String(error),
      );
    }
    await this.#save(job);
  }
}

/** Whether a party hung up (read fresh: `state` changes under awaits). */
function ended(party: CallParty): boolean {
  return party.state === "Ended";
}
