import type { S3RecordingFiles, S3RecordingFilesOptions } from "./s3-recording-files.ts";

/**
 * An S3RecordingFiles, with the AWS SDK loaded only now: a node that keeps its recordings on the
 * local disk never loads it (about 90 ms and 25 MB at start).
 */
export async function loadS3RecordingFiles(options: S3RecordingFilesOptions): Promise<S3RecordingFiles> {
  const { S3RecordingFiles } = await import("./s3-recording-files.ts");
  return new S3RecordingFiles(options);
}
