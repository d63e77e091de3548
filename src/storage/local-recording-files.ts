import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { OpenedRecording, RecordingByteRange, RecordingFiles } from "../services/recording/index.ts";

export interface LocalRecordingFilesOptions {
  /** recording.dir: every recording's path is relative to it. */
  directory: string;
}

/**
 * recording.storage = "local" (the default): recordings stay where the recording service writes
 * them, under recording.dir, laid out by date. Archiving has nothing to do. A path that would
 * lead out of the directory (`../…`, an absolute path) is treated as no recording at all.
 */
export class LocalRecordingFiles implements RecordingFiles {
  readonly #directory: string;

  constructor(options: LocalRecordingFilesOptions) {
    this.#directory = resolve(options.directory);
  }

  /** The file a recording path names, or undefined when it would leave the directory. */
  file(path: string): string | undefined {
    const file = resolve(this.#directory, path);
    const inside = relative(this.#directory, file);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return undefined;
    return file;
  }

  async archive(path: string, localFile: string): Promise<{ location: string }> {
    const file = this.file(path);
    if (file === undefined) throw new Error(`recording path ${path} leaves the recordings directory`);
    // The working copy is the durable copy: it only has to be there.
    const info = await stat(resolve(localFile));
    if (!info.isFile()) throw new Error(`${localFile} is not a file`);
    return { location: pathToFileURL(resolve(localFile)).href };
  }

  async open(path: string, range?: RecordingByteRange): Promise<OpenedRecording | undefined> {
    const file = this.file(path);
    const size = await this.size(path);
    if (file === undefined || size === undefined) return undefined;
    const stream = createReadStream(file, range ? { start: range.start, end: range.end } : {});
    // Surface a file removed between stat and open as "no recording", not as a broken stream.
    const opened = await new Promise<boolean>((done) => {
      const onOpen = () => {
        stream.off("error", onError);
        done(true);
      };
      const onError = () => {
        stream.off("open", onOpen);
        done(false);
      };
      stream.once("open", onOpen).once("error", onError);
    });
    if (!opened) return undefined;
    return { stream, size };
  }

  async size(path: string): Promise<number | undefined> {
    const file = this.file(path);
    if (file === undefined) return undefined;
    try {
      const info = await stat(file);
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(path: string): Promise<void> {
    const file = this.file(path);
    if (file !== undefined) await rm(file, { force: true });
  }
}
