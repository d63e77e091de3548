import type { PlayItem, Recorder } from "../../media/index.ts";
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
  /** Extra headers a service may set by name (Alert-Info, Resource-Priority, Priority). */
  alertInfo?: string;
  resourcePriority?: string;
  priority?: string;
  /** Reached when a phone rings or sends early media (the caller hears it when bridged early). */
  onProgress?: (party: CallParty, kind: "ringing" | "earlymedia") => void;
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
  ring(party: CallParty): void;
  earlyMedia(party: CallParty): void;
  answer(party: CallParty): void;
  /** Plays prompts/tones into a party; resolves when done (interrupted by stop, barge-in or hang-up). */
  play(
    party: CallParty,
    items: PlayItem[],
    options?: { loop?: boolean; bargeIn?: boolean },
  ): Promise<{ interrupted: boolean }>;
  stopPlayback(party: CallParty): void;
  collectDigits(party: CallParty, options: CollectOptions): Promise<string>;
  dial(targets: readonly DialTarget[], options?: DialOptions): Promise<DialResult>;
  /** Connects two parties' media; either hanging up ends the other unless `keepOther`. */
  bridge(a: CallParty, b: CallParty, options?: { keepOther?: boolean }): { close(): void };
  /** Records two parties as a stereo WAV (a left, b right). */
  record(a: CallParty, b: CallParty, path: string): Recorder;
  hangup(party?: CallParty, cause?: HangupCause): void;
}
