import type { Readable } from "node:stream";

/** Bytes `start` to `end` of a recording, both included (as in an HTTP Range). */
export interface RecordingByteRange {
  start: number;
  end: number;
}

/** A recording's bytes being read: the stream of the bytes asked for, and the file's whole size. */
export interface OpenedRecording {
  stream: Readable;
  size: number;
}

/**
 * Where recordings are kept once they are saved (recording.storage). The recording service
 * writes each call to a local working copy under recording.dir while the call lasts; `archive`
 * then makes it durable in the store. Everything else (the API, retention) reaches recordings
 * through their `path`, the same relative path the row holds (`2026/11/23/C….wav`).
 */
export interface RecordingFiles {
  /**
   * Makes the recording durable in the store and tells where it now is (`file:///…` or
   * `s3://bucket/key`). The local working copy may be gone afterwards. A recording already in the
   * store (its working copy gone) is not an error: archiving again only reports where it is.
   */
  archive(path: string, localFile: string): Promise<{ location: string }>;
  /** The recording's bytes, all or a range of them; `undefined` when there is no such recording. */
  open(path: string, range?: RecordingByteRange): Promise<OpenedRecording | undefined>;
  /** The recording's size in bytes; `undefined` when there is no such recording. */
  size(path: string): Promise<number | undefined>;
  /** Deletes the recording; removing one that is not there does nothing. */
  remove(path: string): Promise<void>;
}
