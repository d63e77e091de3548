import type { AmdOptions, AmdVerdict, PlayItem, Recorder } from "../../media/index.ts";
import type { HangupCause } from "../legs/hangup-cause.ts";

/**
 * What a service sees of a call. Services never touch SIP messages, dialogs or RTP sockets: every
 * need gets a verb or an option here (ARCHITECTURE §"Services never touch SIP").
 */

/** What `play` takes: the media engine's items, or a prompt by name ("goodbye" → goodbye.wav in media.prompts_dir). */
export type CallPlayItem = PlayItem | { kind: "prompt"; name: string };

/** A party of the call, as services see it. */
export interface CallParty {
  readonly id: string;
  readonly direction: "inbound" | "outbound";
  readonly state: "Trying" | "Ringing" | "EarlyMedia" | "Answered" | "Ended";
  readonly held: boolean;
}

/** Who to dial: a local user (all their registered phones ring) or a number for a trunk. */
export type DialTarget =
  | { kind: "user"; extension: string; domain?: string }
  | { kind: "number"; number: string };

export interface DialOptions {
  /** Seconds to ring before giving up with NO_ANSWER (calls.no_answer_timeout by default). */
  timeout?: number;
  /**
   * Caller ID shown to the callee: `number` (an extension) to local users, `external` (an E.164
   * number) through trunks that present no number of their own.
   */
  callerId?: { number: string; name?: string; external?: string };
  /**
   * Whether numbers may go out through a trunk: true for calls placed by authenticated users and
   * by the server; never for calls that came in from a trunk (no open relay). Default false.
   */
  viaTrunks?: boolean;
  /**
   * How the callee's phones should ring (RFC 7462 Alert-Info), e.g. `<urn:alert:service:emergency>`:
   * one value for every phone, or chosen per phone (a vendor form for a desk phone model, told
   * by the User-Agent it registered with).
   */
  alertInfo?: string | ((device: DialledDevice) => string | undefined);
  /** RFC 4412 Resource-Priority, e.g. `esnet.0`. */
  resourcePriority?: string;
  /** RFC 3261 §20.26 Priority: `emergency`, `urgent`, `normal` or `non-urgent`. */
  priority?: string;
  /** Offer the callee this party's video formats, for video pass-through (an inbound party that offered video). */
  relayVideoOf?: CallParty;
  /** The party the dial is for: when it hangs up while the targets ring, they are all cancelled. */
  onBehalfOf?: CallParty;
  /** Reached when a phone rings or sends early media (the caller hears it when bridged early). */
  onProgress?: (party: CallParty, kind: "ringing" | "earlymedia") => void;
}

/** A phone a dial rings: whose it is and the User-Agent it registered with (for vendor-specific ring markings). */
export interface DialledDevice {
  readonly extension?: string;
  readonly domain?: string;
  readonly userAgent?: string;
}

export type DialResult = { answered: CallParty } | { failed: HangupCause; sipStatus?: number };

export interface CollectOptions {
  /** Stop after this many digits. */
  max: number;
  /** A digit that ends collection (not included), e.g. "#". */
  terminator?: string;
  /** Give up this long after the start or the last digit, ms. */
  timeoutMs: number;
}

/** The verbs of call control (FreeSWITCH's dialplan applications, as methods). */
export interface CallSession {
  readonly id: string;
  readonly parties: readonly CallParty[];
  /**
   * The call's precedence: 0 for ordinary calls, higher for emergency calls (a service sets it).
   * A call is preempted only for a call of higher priority.
   */
  priority: number;
  /**
   * RFC 4411 preemption: ends the calls `user` is a party of whose priority is lower than this
   * call's. The user's leg gets BYE with `Reason: preemption ;cause=1 ;text="UA Preemption"`;
   * every other party of those calls first hears `announcement`, then gets the same BYE.
   * Resolves once the user's legs are gone (the announcements go on).
   */
  preempt(
    user: { extension: string; domain?: string },
    options?: { announcement?: CallPlayItem[] },
  ): Promise<PreemptionResult>;
  ring(party: CallParty): void;
  earlyMedia(party: CallParty): void;
  answer(party: CallParty): void;
  /** Plays prompts/tones into a party; resolves when done (interrupted by stop, barge-in or hang-up). */
  play(
    party: CallParty,
    items: CallPlayItem[],
    options?: { loop?: boolean; bargeIn?: boolean },
  ): Promise<{ interrupted: boolean }>;
  stopPlayback(party: CallParty): void;
  collectDigits(party: CallParty, options: CollectOptions): Promise<string>;
  dial(targets: readonly DialTarget[], options?: DialOptions): Promise<DialResult>;
  /**
   * Connects two parties the way a basic call does, for calls a service makes (a callback): the
   * services' `beforeBridge` (announcements) and `bridged` hooks (recording) run for them with
   * `info` naming who is the caller and who the callee.
   */
  connect(parties: ConnectedParties, info: ConnectedCallInfo): Promise<void>;
  /** Connects two parties' media; either hanging up ends the other unless `keepOther`. */
  bridge(a: CallParty, b: CallParty, options?: { keepOther?: boolean }): { close(): void };
  /** Records two parties as a stereo WAV (a left, b right). */
  record(a: CallParty, b: CallParty, path: string): Recorder;
  /**
   * Records a party in a conference room as a stereo WAV: what it says on the left, what the room
   * sends it (everyone else) on the right, while it is in the room.
   */
  recordConference(party: CallParty, room: string, path: string): CallRecording;
  /**
   * Puts `party` in room `room` the way `connect` connects two parties: the services'
   * `conferenced` hooks (recording) run for it, with `info` naming the call.
   */
  joinConference(party: CallParty, room: string, info: ConnectedCallInfo): Promise<void>;
  /**
   * Records one party alone (a voicemail message, a greeting) into a mono WAV at `path` until a
   * terminating digit, silence, the maximum length or hang-up.
   */
  recordMessage(party: CallParty, options: MessageRecordingOptions): Promise<MessageRecording>;
  /**
   * Answering-machine detection on an answered party: listens to it (without changing its media)
   * until a verdict, at the latest after `totalAnalysisTimeMs` (5 s by default); `unknown` with
   * reason `hangup` when it hangs up first. See docs/media.md, "Answering-machine detection".
   */
  detectAnsweringMachine(party: CallParty, options?: Partial<AmdOptions>): Promise<AmdVerdict>;
  hangup(party?: CallParty, cause?: HangupCause): void;
  /** Blind-transfers `party` to `target` (ring-back while dialling); the party stays if the target fails. */
  transfer(party: CallParty, target: DialTarget, options?: DialOptions): Promise<DialResult>;
  /** A named conference shared by every call on this node; created on first join, gone when empty. */
  conference(name: string): ConferenceRoom;
  /** Call events for services: digits, answers and hang-ups of any party. */
  on<K extends keyof CallSessionEvents & string>(
    event: K,
    listener: (...args: CallSessionEvents[K]) => void,
  ): unknown;
  off<K extends keyof CallSessionEvents & string>(
    event: K,
    listener: (...args: CallSessionEvents[K]) => void,
  ): unknown;
}

export interface MessageRecordingOptions {
  path: string;
  /** Stop after this long. */
  maxSeconds: number;
  /** Stop after this long below `silenceThreshold` (0 or absent: never). */
  silenceSeconds?: number;
  /** RMS of a 20 ms frame (16-bit full scale 32767) under which it counts as silence; default 300 (about -40 dBFS). */
  silenceThreshold?: number;
  /** Digits that stop the recording; default "#". */
  terminators?: string;
}

export interface MessageRecording {
  reason: "terminator" | "silence" | "max" | "hangup";
  /** Length of the file written. */
  durationMs: number;
  /** The terminating digit, when one stopped it. */
  digit?: string;
}

export interface CallSessionEvents extends Record<string, unknown[]> {
  ringing: [CallParty];
  answered: [CallParty];
  dtmf: [CallParty, { digit: string; durationMs: number }];
  hungup: [CallParty, { cause: HangupCause; by: "local" | "remote"; sipStatus?: number }];
  ended: [];
}

/** A recording in progress, as services drive it (a Recorder, or a conference's). */
export interface CallRecording {
  readonly framesWritten: number;
  pause(options?: { silence?: boolean }): void;
  resume(): void;
  close(): void;
}

/** What `preempt` did. */
export interface PreemptionResult {
  /** The calls ended for this one: their ids and the other parties cut off (SIP URIs). */
  readonly preempted: ReadonlyArray<{ callId: string; others: readonly string[] }>;
  /** Calls of the user that were left alone: their priority is not lower than this call's. */
  readonly blocked: number;
}

/** A conference as services see it (mixing is the media engine's ConferenceMixer). */
export interface ConferenceRoom {
  readonly name: string;
  /** Parties in the room now. */
  readonly size: number;
  /** Who is in the room now (party ids of any call on the node), and whether each is muted. */
  readonly members: ReadonlyArray<{ partyId: string; muted: boolean }>;
  /** Moves a party into the room (out of any bridge); it leaves when it hangs up. */
  join(party: CallParty, options?: { muted?: boolean }): void;
  leave(party: CallParty): void;
  mute(party: CallParty, muted: boolean): void;
}

/** What call control knows about a new inbound call when it asks services whether they want it. */
export interface InboundCallInfo {
  /** What was dialled (the Request-URI user). */
  dialled: string;
  /** The authenticated caller, when a user called. */
  caller?: { extension: string; domain: string; features: Readonly<Record<string, boolean>> };
  /** The trunk it came from, when it did. */
  trunk?: string;
}

/** A party of a basic call as services see it: a local user, or nothing known (a trunk, a stranger). */
export interface PartyIdentity {
  extension: string;
  domain: string;
  features: Readonly<Record<string, boolean>>;
}

/** Who a basic call connects, for services that act on calls they do not run (recording, ring-back). */
export interface ConnectedCallInfo {
  /** The authenticated caller, when a user called. */
  caller?: PartyIdentity;
  /** The user being called, when the call goes to a user. */
  callee?: PartyIdentity;
  /** The trunk on the far side, when one side is a trunk. */
  trunk?: string;
  /** What was dialled. */
  dialled: string;
  /** The caller as presented in From (number or user, display name), for callers that are not users. */
  presented?: { user?: string; name?: string };
  /** Set by a service whose call must be recorded whatever the subscriptions (an emergency number). */
  forceRecording?: boolean;
}

/**
 * A service (Kamailio module / FreeSWITCH application style): it claims inbound calls that match
 * (a number, a caller's subscription …) and runs them through the CallSession verbs. `name` and
 * `dependencies` let node/ refuse to start a service whose dependency is missing (Fastify
 * plugin style). Feature codes are DTMF sequences dialled during a call.
 */
export interface ServiceModule {
  readonly name: string;
  readonly dependencies?: readonly string[];
  /** Whether this service takes the call; the first service (in registration order) that does, gets it. */
  claims?(info: InboundCallInfo): boolean | Promise<boolean>;
  /** Runs a claimed call; `caller` is the inbound party, not yet answered. */
  handle?(session: CallSession, caller: CallParty, info: InboundCallInfo): Promise<void>;
  /** DTMF codes this service reacts to during answered calls, e.g. `{ code: "*1", run }`. */
  readonly featureCodes?: readonly FeatureCode[];
  /**
   * A basic call was routed and its callee's phones are about to ring: the moment to look things
   * up (a subscription) so that nothing waits for storage once the callee answers.
   */
  routed?(session: CallSession, info: ConnectedCallInfo): Promise<void>;
  /**
   * While the callee's phones ring in a basic call: what the caller hears instead of the phone's
   * own ring-back (sent as early media, 183 + RTP). The first service to return items wins.
   */
  ringback?(info: ConnectedCallInfo): Promise<CallPlayItem[] | undefined> | CallPlayItem[] | undefined;
  /** Both parties answered, not yet connected: announcements ("this call may be recorded"). */
  beforeBridge?(session: CallSession, parties: ConnectedParties, info: ConnectedCallInfo): Promise<void>;
  /**
   * A basic call to a user will not be (or was not) answered: the callee is busy, did not answer,
   * has no registered phone, or the callee diverts every call (`unconditional`, asked before any
   * phone rings). A service that returns true has taken the caller (voicemail deposit) and runs
   * the rest of the call; the first to do so wins. The caller is not answered yet.
   */
  unanswered?(session: CallSession, caller: CallParty, info: UnansweredCallInfo): boolean | Promise<boolean>;
  /**
   * How a basic call between users came out, once per call, for services that watch calling
   * patterns (the background-call offer after repeated unanswered calls): `answered`, `cancelled`
   * (the caller gave up while it rang), or why it was not answered. Called before `unanswered`,
   * whatever a service then does with the call; it must not throw or wait.
   */
  basicCallOutcome?(info: ConnectedCallInfo & { callee: PartyIdentity }, outcome: BasicCallOutcome): void;
  /** The parties are connected: recording starts here. */
  bridged?(session: CallSession, parties: ConnectedParties, info: ConnectedCallInfo): void | Promise<void>;
  /** A service put `party` in a conference room with `joinConference` (an emergency group): recording starts here. */
  conferenced?(
    session: CallSession,
    room: { name: string; party: CallParty },
    info: ConnectedCallInfo,
  ): void | Promise<void>;
}

/** How a basic call to a user came out, for `basicCallOutcome`. */
export type BasicCallOutcome = "answered" | "cancelled" | UnansweredReason;

/** Why a basic call to a user is not connected, for `unanswered`. */
export type UnansweredReason = "unconditional" | "busy" | "no-answer" | "unregistered" | "unavailable";

export interface UnansweredCallInfo extends ConnectedCallInfo {
  readonly callee: PartyIdentity;
  readonly reason: UnansweredReason;
  /** The call's cause so far (USER_BUSY, NO_ANSWER, SUBSCRIBER_ABSENT …); NORMAL_CLEARING for `unconditional`. */
  readonly cause: HangupCause;
}

export interface ConnectedParties {
  caller: CallParty;
  callee: CallParty;
}

export interface FeatureCode {
  /** Stable name, for `calls.feature_codes` overrides ("record-toggle"). */
  name: string;
  /** Default sequence, e.g. "*1". */
  code: string;
  run(session: CallSession, party: CallParty): void | Promise<void>;
}

/** What a service asks of a call it places from the server (call control's originate). */
export interface OriginateOptions {
  /** Caller ID shown to the party dialled. */
  callerId?: { number: string; name?: string };
  /** Runs on the answered party. */
  app: (session: CallSession, party: CallParty) => void | Promise<void>;
  /** Names the call in CDRs and logs. */
  service?: string;
  /** Seconds to ring. */
  timeout?: number;
  /** Nobody answered (busy, no answer, unreachable): the call ends with that cause. */
  onFailed?: (cause: HangupCause, sipStatus?: number) => void;
}

/** Places calls from the server for services (call control fits). */
export interface CallOriginator {
  originate(target: DialTarget, options: OriginateOptions): CallSession;
}

/** Declares a service (a typed identity function, so modules read the same everywhere). */
export function defineService(module: ServiceModule): ServiceModule {
  return module;
}
