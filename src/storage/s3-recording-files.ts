import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { OpenedRecording, RecordingByteRange, RecordingFiles } from "../services/recording/index.ts";
import { LocalRecordingFiles } from "./local-recording-files.ts";

export interface S3RecordingFilesOptions {
  /** recording.s3_bucket. */
  bucket: string;
  /** recording.s3_prefix: put before each recording's path to make its key ("recordings/"). */
  prefix: string;
  /** recording.s3_endpoint: an S3-compatible store's URL; empty means AWS S3 itself. */
  endpoint: string;
  /** recording.s3_region. */
  region: string;
  /** recording.s3_access_key_id and s3_secret_access_key; empty means the AWS SDK's default chain. */
  accessKeyId: string;
  secretAccessKey: string;
  /** recording.s3_force_path_style: `<endpoint>/<bucket>/<key>`; only used with an endpoint. */
  forcePathStyle: boolean;
  /** recording.dir: where the working copies are while calls are recorded. */
  directory: string;
}

/** Parts of a multipart upload; a recording smaller than this goes up in one PutObject. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * recording.storage = "s3": each saved recording is uploaded to an S3 bucket (AWS, or any
 * S3-compatible store through recording.s3_endpoint) under `s3_prefix + path`, then its local
 * working copy is deleted. Reads use GetObject with `Range`, sizes HeadObject, removal
 * DeleteObject. A recording not archived yet (in progress, or whose upload failed and left the
 * working copy) is read from the working copy, so the API serves it the same way.
 */
export class S3RecordingFiles implements RecordingFiles {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #local: LocalRecordingFiles;

  constructor(options: S3RecordingFilesOptions) {
    this.#bucket = options.bucket;
    this.#prefix =
      options.prefix === "" || options.prefix.endsWith("/") ? options.prefix : `${options.prefix}/`;
    this.#local = new LocalRecordingFiles({ directory: options.directory });
    const config: S3ClientConfig = {
      region: options.region,
      // Since 3.729 the SDK adds CRC32 checksums to every upload and checks them on every read,
      // as aws-chunked trailers for streamed bodies, which several S3-compatible stores refuse or
      // store with the chunk framing (s3rver does). Checksums only where an operation requires
      // them is what every store understands.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    if (options.endpoint !== "") {
      config.endpoint = options.endpoint;
      config.forcePathStyle = options.forcePathStyle;
    }
    if (options.accessKeyId !== "") {
      config.credentials = {
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
      };
    }
    this.#client = new S3Client(config);
  }

  /** The object key of a recording path, or undefined for a path with empty, `.` or `..` segments. */
  key(path: string): string | undefined {
    const segments = path.split("/");
    if (segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\"))) return undefined;
    return `${this.#prefix}${path}`;
  }

  /** `s3://bucket/key`. */
  location(key: string): string {
    return `s3://${this.#bucket}/${key}`;
  }

  async archive(path: string, localFile: string): Promise<{ location: string }> {
    const key = this.key(path);
    if (key === undefined) throw new Error(`recording path ${path} cannot be an object key`);
    let bytes: number;
    try {
      bytes = (await stat(localFile)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      // Uploaded before (a crash came between the upload and the row): the object is the recording.
      if ((await this.#head(key)) !== undefined) return { location: this.location(key) };
      throw new Error(`${localFile} is gone and ${this.location(key)} does not exist`);
    }
    // Upload sends buffers (one PutObject below PART_BYTES, parts above), so the client's
    // retries can resend them; a single PutObject of a file stream could not be retried.
    await new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: createReadStream(localFile), ContentType: "audio/wav" },
      partSize: PART_BYTES,
      queueSize: 1,
      leavePartsOnError: false,
    }).done();
    const stored = await this.#head(key);
    if (stored !== bytes) {
      throw new Error(
        `${this.location(key)} holds ${stored ?? "no"} bytes after the upload, the file ${bytes}`,
      );
    }
    await rm(localFile, { force: true });
    return { location: this.location(key) };
  }

  async open(path: string, range?: RecordingByteRange): Promise<OpenedRecording | undefined> {
    const working = await this.#local.open(path, range);
    if (working) return working;
    const key = this.key(path);
    if (key === undefined) return undefined;
    try {
      const object = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
      const total = /\/(\d+)$/.exec(object.ContentRange ?? "")?.[1];
      const size = total !== undefined ? Number(total) : object.ContentLength;
      if (!object.Body || size === undefined) return undefined;
      return { stream: object.Body as Readable, size };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async size(path: string): Promise<number | undefined> {
    const working = await this.#local.size(path);
    if (working !== undefined) return working;
    const key = this.key(path);
    return key === undefined ? undefined : this.#head(key);
  }

  async remove(path: string): Promise<void> {
    await this.#local.remove(path);
    const key = this.key(path);
    if (key !== undefined)
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  async #head(key: string): Promise<number | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return head.ContentLength;
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }
}

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 404 || e?.name === "NoSuchKey" || e?.name === "NotFound";
}
