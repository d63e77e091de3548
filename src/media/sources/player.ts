import type { Clock } from "../../kernel/clock.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import { encodeG711 } from "../codecs/g711.ts";
import { PcmFrame } from "../codecs/pcm-frame.ts";
import { readWav } from "../formats/wav-reader.ts";
import type { MediaEndpoint } from "../media-endpoint.ts";
import { MediaTicker } from "../media-ticker.ts";
import { ToneGenerator, type ToneName, type TonePlanName, type ToneSpec } from "./tone-generator.ts";

/** One thing to play: a WAV file (8 or 16 kHz, 16-bit PCM), a tone, or silence. */
export type PlayItem =
  | { kind: "file"; path: string }
  | { kind: "tone"; tone: ToneName | ToneSpec; maxMs?: number }
  | { kind: "silence"; ms: number };

export interface PlayerEvents extends Record<string, unknown[]> {
  /** The queue ran out, or stop()/bargeIn() ended it. */
  finished: [{ interrupted: boolean }];
}

export interface PlayOptions {
  /** Start again from the first item when the last ends (until stop()). */
  loop?: boolean;
  /** Whether bargeIn() (a DTMF digit from the caller) may cut it short. */
  bargeIn?: boolean;
}

/** Decoded prompt files, shared by every call that plays them (prompts are small and few). */
const PROMPTS = new Map<string, Int16Array>();
const MAX_CACHED_PROMPTS = 256;

/**
 * Plays prompts and tones into a leg: a queue of items, each turned into 20 ms frames of 8 kHz
 * PCM, encoded in the leg's codec and sent on its RTP session on a drift-free ticker. The session
 * keeps its own SSRC and sequence, so the phone hears one continuous stream when playback starts
 * or stops. WAV files at 16 kHz are brought down to 8 kHz (two-sample average).
 */
export class Player extends TypedEmitter<PlayerEvents> {
  readonly #endpoint: MediaEndpoint;
  readonly #plan: TonePlanName;
  readonly #ticker: MediaTicker;
  readonly #frame = new Int16Array(PcmFrame.SAMPLES);
  #items: PlayItem[] = [];
  #options: PlayOptions = {};
  #index = 0;
  #source: (() => Int16Array | undefined) | undefined;
  #framesSent = 0;
  /** Frames of the current play(); its first frame carries the marker bit (a new talkspurt). */
  #framesThisPlay = 0;

  constructor(options: { endpoint: MediaEndpoint; clock: Clock; plan?: TonePlanName }) {
    super();
    this.#endpoint = options.endpoint;
    this.#plan = options.plan ?? "us";
    this.#ticker = new MediaTicker({ clock: options.clock, tick: () => this.#tick() });
  }

  get playing(): boolean {
    return this.#ticker.running;
  }

  get framesSent(): number {
    return this.#framesSent;
  }

  /** Replaces whatever is playing with these items. */
  play(items: PlayItem[], options: PlayOptions = {}): void {
    if (this.playing) this.#finish(true);
    this.#items = items;
    this.#options = options;
    this.#index = 0;
    this.#source = undefined;
    this.#framesThisPlay = 0;
    if (items.length === 0) {
      this.safeEmit("finished", { interrupted: false });
      return;
    }
    this.#ticker.start();
  }

  /** A digit arrived: stops playback if the current play allows barge-in. Returns whether it stopped. */
  bargeIn(): boolean {
    if (!this.playing || !this.#options.bargeIn) return false;
    this.#finish(true);
    return true;
  }

  stop(): void {
    if (this.playing) this.#finish(true);
  }

  /** Stops playback for good (the media engine closing). */
  close(): void {
    this.stop();
    this.removeAllListeners();
  }

  #tick(): void {
    const frame = this.#nextFrame();
    if (!frame) {
      this.#finish(false);
      return;
    }
    const { session, codec, payloadType } = this.#endpoint;
    session.send(encodeG711(codec, frame), { payloadType, marker: this.#framesThisPlay === 0 });
    this.#framesSent += 1;
    this.#framesThisPlay += 1;
  }

  #nextFrame(): Int16Array | undefined {
    for (let guard = 0; guard <= this.#items.length; guard++) {
      this.#source ??= this.#open(this.#items[this.#index]);
      const frame = this.#source?.();
      if (frame) return frame;
      this.#source = undefined;
      this.#index += 1;
      if (this.#index >= this.#items.length) {
        if (!this.#options.loop) return undefined;
        this.#index = 0;
      }
    }
    return undefined;
  }

  #open(item: PlayItem | undefined): (() => Int16Array | undefined) | undefined {
    if (!item) return undefined;
    if (item.kind === "tone") {
      const generator = new ToneGenerator(item.tone, { plan: this.#plan });
      const maxFrames =
        item.maxMs === undefined ? Number.POSITIVE_INFINITY : Math.ceil(item.maxMs / PcmFrame.DURATION_MS);
      let produced = 0;
      return () => (produced++ < maxFrames ? generator.next() : undefined);
    }
    if (item.kind === "silence") {
      let left = Math.ceil(item.ms / PcmFrame.DURATION_MS);
      return () => (left-- > 0 ? this.#frame.fill(0) : undefined);
    }
    const pcm = prompt(item.path);
    let offset = 0;
    return () => {
      if (offset >= pcm.length) return undefined;
      const chunk = pcm.subarray(offset, offset + PcmFrame.SAMPLES);
      this.#frame.fill(0);
      this.#frame.set(chunk);
      offset += PcmFrame.SAMPLES;
      return this.#frame;
    };
  }

  #finish(interrupted: boolean): void {
    this.#ticker.stop();
    this.#source = undefined;
    this.safeEmit("finished", { interrupted });
  }
}

/** A prompt file as 8 kHz mono PCM, decoded once. */
function prompt(path: string): Int16Array {
  const cached = PROMPTS.get(path);
  if (cached) return cached;
  const wav = readWav(path);
  const first = wav.samples[0] ?? new Int16Array(0);
  let pcm: Int16Array;
  if (wav.sampleRate === PcmFrame.SAMPLE_RATE) pcm = first;
  else if (wav.sampleRate === 2 * PcmFrame.SAMPLE_RATE) {
    pcm = new Int16Array(Math.floor(first.length / 2));
    for (let i = 0; i < pcm.length; i++)
      pcm[i] = ((first[2 * i] as number) + (first[2 * i + 1] as number)) >> 1;
  } else {
    throw new RangeError(`${path}: prompts must be 8 or 16 kHz, not ${wav.sampleRate} Hz`);
  }
  if (PROMPTS.size >= MAX_CACHED_PROMPTS) PROMPTS.delete(PROMPTS.keys().next().value as string);
  PROMPTS.set(path, pcm);
  return pcm;
}
