import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { newId } from "../../kernel/ids.ts";
import { toNarrowbandWav, type UploadedAudioType } from "../../media/index.ts";
import { ringbackPath } from "./recording-service.ts";
import type { RingbackToneStore } from "./ringback-tone-store.ts";

/** Users' keys become file names: extension@domain with no separator or leading dot. */
const SAFE_KEY = /^[A-Za-z0-9][^\s/\\@]*@[^\s/\\@]+$/;

export interface RingbackTonesOptions {
  /** Where tones are (`<data_dir>/ringback`, the RecordingService's `ringbackDir`). */
  directory: string;
  /** The library users may pick a tone from (recording.ringback_library; Parley ships a few). */
  library?: string;
  /** In a cluster: where every node finds the tones (each change is written there too). */
  shared?: RingbackToneStore;
}

/** Library tone names: file names without `.wav`, nothing that could leave the directory. */
const TONE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Personal ring-back tones (what a caller hears while a user's phones ring), uploaded as WAV or
 * MP3 and kept converted to telephone audio, one file per user.
 */
export class RingbackTones {
  readonly #directory: string;

  readonly #library: string | undefined;
  readonly #shared: RingbackToneStore | undefined;

  constructor(options: RingbackTonesOptions) {
    this.#directory = options.directory;
    this.#library = options.library;
    this.#shared = options.shared;
  }

  /** The tones of the library, by name, with their length. */
  library(): Array<{ name: string; durationMs: number }> {
    const dir = this.#library;
    if (!dir || !existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((file) => file.endsWith(".wav") && TONE_NAME.test(file.slice(0, -4)))
      .sort()
      .map((file) => ({
        name: file.slice(0, -4),
        // 8 kHz mono 16-bit: 16 bytes per millisecond after the 44-byte header.
        durationMs: Math.round((statSync(join(dir, file)).size - 44) / 16),
      }));
  }

  /**
   * Gives a user a tone from the library (a copy, so the library can change without changing
   * anyone's tone). Returns the stored size, or undefined when there is no such tone.
   */
  async choose(user: string, name: string): Promise<number | undefined> {
    const dir = this.#library;
    if (!dir || !TONE_NAME.test(name) || !existsSync(join(dir, `${name}.wav`))) return undefined;
    const target = this.path(user);
    mkdirSync(dirname(target), { recursive: true });
    const temporary = `${target}.${newId()}.tmp`;
    try {
      copyFileSync(join(dir, `${name}.wav`), temporary);
      renameSync(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    await this.#share(user, readFileSync(target));
    return statSync(target).size;
  }

  /** The file of a user's tone (`<extension>@<domain>.wav`, where the RecordingService plays it from). */
  path(user: string): string {
    if (!SAFE_KEY.test(user))
      throw new RangeError(`not a user key (extension@domain): ${JSON.stringify(user)}`);
    return ringbackPath(this.#directory, user);
  }

  has(user: string): boolean {
    return existsSync(this.path(user));
  }

  /**
   * Converts and stores a user's tone, replacing any previous one. The file is written under a
   * temporary name and renamed, so a call never plays half a tone. Throws AudioDecodeError when
   * the audio cannot be read. Returns the size in bytes of the stored WAV.
   */
  async save(user: string, audio: Uint8Array, type: UploadedAudioType): Promise<number> {
    const target = this.path(user);
    const wav = await toNarrowbandWav(audio, type);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${newId()}.tmp`;
    try {
      writeFileSync(temporary, wav);
      renameSync(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    await this.#share(user, wav);
    return wav.length;
  }

  /** Removes a user's tone; false when there was none. */
  async remove(user: string): Promise<boolean> {
    const target = this.path(user);
    const shared = this.#shared && (await this.#shared.version(user)) !== undefined;
    await this.#shared?.remove(user);
    if (!existsSync(target)) return shared === true;
    rmSync(target, { force: true });
    return true;
  }

  async #share(user: string, wav: Uint8Array): Promise<void> {
    await this.#shared?.put(user, wav, createHash("sha256").update(wav).digest("hex"));
  }
}
