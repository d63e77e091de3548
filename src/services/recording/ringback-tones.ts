import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { newId } from "../../kernel/ids.ts";
import { toNarrowbandWav, type UploadedAudioType } from "../../media/index.ts";
import { ringbackPath } from "./recording-service.ts";

/** Users' keys become file names: extension@domain with no separator or leading dot. */
const SAFE_KEY = /^[A-Za-z0-9][^\s/\\@]*@[^\s/\\@]+$/;

export interface RingbackTonesOptions {
  /** Where tones are (`<data_dir>/ringback`, the RecordingService's `ringbackDir`). */
  directory: string;
}

/**
 * Personal ring-back tones (what a caller hears while a user's phones ring), uploaded as WAV or
 * MP3 and kept converted to telephone audio, one file per user.
 */
export class RingbackTones {
  readonly #directory: string;

  constructor(options: RingbackTonesOptions) {
    this.#directory = options.directory;
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
    return wav.length;
  }

  /** Removes a user's tone; false when there was none. */
  remove(user: string): boolean {
    const target = this.path(user);
    if (!existsSync(target)) return false;
    rmSync(target, { force: true });
    return true;
  }
}
