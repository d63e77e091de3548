import { PcmFrame } from "../codecs/pcm-frame.ts";
import { BeepDetector } from "./beep-detector.ts";

/**
 * The knobs of answering-machine detection. The first nine are Asterisk's `amd.conf` settings
 * (apps/app_amd.c), in milliseconds where Asterisk counts milliseconds; the `beep*` ones are
 * Parley's addition. Every duration is counted in 20 ms frames of audio, never on a timer.
 */
export interface AmdOptions {
  /** Silence before anyone speaks after which the answer is a machine (a dead line is not a person). Asterisk `initial_silence`. */
  initialSilenceMs: number;
  /** Speech, in total, after which the answer is a machine: a person says "hello?" and waits. Asterisk `greeting`. */
  greetingMs: number;
  /** Silence after the first word after which the answer is a person waiting for the caller. Asterisk `after_greeting_silence`. */
  afterGreetingSilenceMs: number;
  /** Audio analysed at most; undecided by then, the verdict is `unknown` (`timeout`). Asterisk `total_analysis_time`. */
  totalAnalysisTimeMs: number;
  /** Uninterrupted voice that makes a word (shorter sounds are clicks and breaths). Asterisk `min_word_length`. */
  minWordLengthMs: number;
  /** Silence that ends a word. Asterisk `between_words_silence`. */
  betweenWordsSilenceMs: number;
  /** More words than this is a machine. Asterisk `maximum_number_of_words`. */
  maximumNumberOfWords: number;
  /** Mean absolute sample value (16-bit, full scale 32767) from which a frame is voice. Asterisk `silence_threshold`. */
  silenceThreshold: number;
  /** One word (voice without a `betweenWordsSilenceMs` gap) this long is a machine. Asterisk `maximum_word_length`. */
  maximumWordLengthMs: number;
  /** Whether a beep (a steady single tone) means a machine. */
  detectBeep: boolean;
  /** Lowest and highest frequency of a beep, Hz. */
  beepMinFrequencyHz: number;
  beepMaxFrequencyHz: number;
  /** How long the tone must hold to be a beep, ms. */
  beepMinDurationMs: number;
  /** Share of a frame's energy within ±50 Hz of its strongest frequency for the frame to be a tone (0..1). */
  beepMinPurity: number;
}

/**
 * The defaults: Asterisk's `amd.conf.sample` values, with `maximumNumberOfWords` 3 (Asterisk's
 * value until 16, and FreeSWITCH mod_amd's: a person may say "Hello, this is Bob" before waiting;
 * Asterisk 16 lowered it to 2), and a beep of 400–2500 Hz held for 120 ms.
 */
export const DEFAULT_AMD_OPTIONS: Readonly<AmdOptions> = Object.freeze({
  initialSilenceMs: 2500,
  greetingMs: 1500,
  afterGreetingSilenceMs: 800,
  totalAnalysisTimeMs: 5000,
  minWordLengthMs: 100,
  betweenWordsSilenceMs: 50,
  maximumNumberOfWords: 3,
  silenceThreshold: 256,
  maximumWordLengthMs: 5000,
  detectBeep: true,
  beepMinFrequencyHz: 400,
  beepMaxFrequencyHz: 2500,
  beepMinDurationMs: 120,
  beepMinPurity: 0.7,
});

/** Why the detector decided (Asterisk's AMDCAUSE, plus `beep`, and `hangup` from call control). */
export type AmdReason =
  | "initial-silence"
  | "long-greeting"
  | "too-many-words"
  | "max-word-length"
  | "beep"
  | "human-pattern"
  | "timeout"
  | "hangup";

/** The decision (Asterisk's AMDSTATUS: MACHINE, HUMAN, NOTSURE; HANGUP is `unknown` + `hangup`). */
export interface AmdVerdict {
  readonly result: "human" | "machine" | "unknown";
  readonly reason: AmdReason;
  /** Audio analysed when the decision fell, ms from the first frame. */
  readonly afterMs: number;
}

/**
 * Where the detector is: nobody has spoken yet, inside a word, in a pause after a word (the
 * greeting has begun), or done. A verdict is given exactly once, on the move to `Decided`.
 */
export type AmdState = "InitialSilence" | "InWord" | "BetweenWords" | "Decided";

const TRANSITIONS: Readonly<Record<AmdState, readonly AmdState[]>> = {
  InitialSilence: ["InWord", "Decided"],
  InWord: ["BetweenWords", "Decided"],
  BetweenWords: ["InWord", "Decided"],
  Decided: [],
};

/**
 * Answering-machine detection on the audio of an answered call, after Asterisk's app_amd: each
 * 20 ms frame is voice or silence by its mean absolute sample value, voice runs of
 * `minWordLengthMs` are words, and the cadence decides. A person answers with a word or two
 * ("Hello?") and then waits (`afterGreetingSilenceMs` of silence: human); a machine speaks a long
 * greeting (more than `maximumNumberOfWords` words, or `greetingMs` of speech, or one
 * `maximumWordLengthMs` run: machine), says nothing at all (`initialSilenceMs`: machine), or
 * sounds its beep (a steady tone, see BeepDetector: machine). Undecided after
 * `totalAnalysisTimeMs`, the verdict is `unknown`.
 *
 * A pure state machine: no timers, no I/O; time is the number of frames pushed.
 */
export class AnsweringMachineDetector {
  readonly options: Readonly<AmdOptions>;
  readonly #beep: BeepDetector | undefined;
  #state: AmdState = "InitialSilence";
  #verdict: AmdVerdict | undefined;
  /** Audio analysed so far. */
  #elapsedMs = 0;
  /** Silence since the last voiced frame. */
  #silenceMs = 0;
  /** Voice since the last pause of `betweenWordsSilenceMs` (short gaps do not end a word). */
  #wordMs = 0;
  /** Voice in total. */
  #voiceMs = 0;
  #words = 0;

  constructor(options: Partial<AmdOptions> = {}) {
    const merged = { ...DEFAULT_AMD_OPTIONS, ...options };
    for (const [key, value] of Object.entries(merged)) {
      if (typeof value === "number" && !(Number.isFinite(value) && value >= 0))
        throw new RangeError(`AMD option ${key} must be a number ≥ 0, not ${value}`);
    }
    this.options = Object.freeze(merged);
    this.#beep = merged.detectBeep
      ? new BeepDetector({
          minFrequencyHz: merged.beepMinFrequencyHz,
          maxFrequencyHz: merged.beepMaxFrequencyHz,
          minDurationMs: merged.beepMinDurationMs,
          minPurity: merged.beepMinPurity,
          silenceThreshold: merged.silenceThreshold,
        })
      : undefined;
  }

  get state(): AmdState {
    return this.#state;
  }

  /** The verdict, once given. */
  get verdict(): AmdVerdict | undefined {
    return this.#verdict;
  }

  /** Words counted so far. */
  get words(): number {
    return this.#words;
  }

  /**
   * Takes the next 20 ms frame (160 samples of 8 kHz 16-bit PCM; a lost packet is a silent
   * frame) and returns the verdict on the frame that decides, undefined on every other frame,
   * including every frame after the verdict.
   */
  push(frame: Int16Array): AmdVerdict | undefined {
    if (this.#state === "Decided") return undefined;
    if (frame.length !== PcmFrame.SAMPLES)
      throw new Error(`AMD takes frames of ${PcmFrame.SAMPLES} samples, not ${frame.length}`);
    this.#elapsedMs += PcmFrame.DURATION_MS;
    const o = this.options;
    if (this.#beep?.push(frame)) return this.#decide("machine", "beep");
    const decided = meanAbsolute(frame) >= o.silenceThreshold ? this.#voice() : this.#silence();
    if (decided) return decided;
    if (this.#elapsedMs >= o.totalAnalysisTimeMs) return this.#decide("unknown", "timeout");
    return undefined;
  }

  /** A voiced frame: words are counted as they reach `minWordLengthMs`; the machine rules run in Asterisk's order. */
  #voice(): AmdVerdict | undefined {
    const o = this.options;
    this.#silenceMs = 0;
    this.#wordMs += PcmFrame.DURATION_MS;
    this.#voiceMs += PcmFrame.DURATION_MS;
    if (this.#wordMs >= o.minWordLengthMs && this.#state !== "InWord") {
      this.#words += 1;
      this.#transition("InWord");
    }
    if (this.#wordMs >= o.maximumWordLengthMs) return this.#decide("machine", "max-word-length");
    if (this.#words > o.maximumNumberOfWords) return this.#decide("machine", "too-many-words");
    if (this.#state !== "InitialSilence" && this.#voiceMs >= o.greetingMs)
      return this.#decide("machine", "long-greeting");
    return undefined;
  }

  /** A silent frame: a long enough pause ends the word; then the silence rules. */
  #silence(): AmdVerdict | undefined {
    const o = this.options;
    this.#silenceMs += PcmFrame.DURATION_MS;
    if (this.#silenceMs >= o.betweenWordsSilenceMs) {
      this.#wordMs = 0;
      if (this.#state === "InWord") this.#transition("BetweenWords");
    }
    if (this.#state === "InitialSilence") {
      if (this.#silenceMs >= o.initialSilenceMs) return this.#decide("machine", "initial-silence");
    } else if (this.#silenceMs >= o.afterGreetingSilenceMs) {
      return this.#decide("human", "human-pattern");
    }
    return undefined;
  }

  #decide(result: AmdVerdict["result"], reason: AmdReason): AmdVerdict {
    this.#transition("Decided");
    this.#verdict = Object.freeze({ result, reason, afterMs: this.#elapsedMs });
    return this.#verdict;
  }

  #transition(to: AmdState): void {
    if (!TRANSITIONS[this.#state].includes(to))
      throw new Error(`AMD cannot move from ${this.#state} to ${to}`);
    this.#state = to;
  }
}

/** Mean absolute sample value of a frame (Asterisk's silence measure in main/dsp.c). */
function meanAbsolute(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) {
    const x = frame[i] as number;
    sum += x < 0 ? -x : x;
  }
  return sum / frame.length;
}
