import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "./errors.ts";

/** Bytes `start` to `end` of a file, both included (RFC 9110 §14.1.2). */
export interface ByteRange {
  start: number;
  end: number;
}

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/i;

/**
 * The range a `Range` header asks for in a file of `size` bytes (RFC 9110 §14.2):
 * `bytes=a-b`, `bytes=a-` and the suffix form `bytes=-n` (the last n bytes). `undefined` means
 * "send the whole file": no header, another unit, several ranges, or a header that does not parse,
 * all of which a server may ignore. `"unsatisfiable"` is a well-formed range that starts past the
 * end, or an empty suffix (416).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (!Number.isSafeInteger(suffix)) return undefined;
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? Number.POSITIVE_INFINITY : Number(last);
  if (!Number.isSafeInteger(start) || (last !== "" && !Number.isSafeInteger(end))) return undefined;
  if (end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

export interface SendBytesOptions {
  contentType: string;
  /** Strong validator of the content, when known; `If-Range` is honoured against it. */
  etag?: string;
  /** Suggested name for a download (Content-Disposition: inline, so players still play it). */
  filename?: string;
  /** Answered when the content is not there. */
  notFound: () => Error;
}

/** Content that can be read a range at a time: a file, an object in a store. */
export interface RangedSource {
  /** The whole size in bytes; `undefined` when the content is not there. */
  size(): Promise<number | undefined>;
  /** Bytes `start` to `end`, both included; `undefined` when the content is gone. */
  open(range: ByteRange): Promise<Readable | undefined>;
}

export interface SendFileOptions extends SendBytesOptions {
  path: string;
}

/**
 * Streams a file from disk (never read whole into memory) as 200, or 206 with `Content-Range` for
 * a single byte range, or 416 with `Content-Range: bytes *\/size`. The size is taken once, so a file
 * still growing (a recording in progress) is served as it was at the request.
 */
export function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  options: SendFileOptions,
): Promise<FastifyReply> {
  const { path, ...rest } = options;
  return sendRanged(request, reply, {
    ...rest,
    source: {
      size: async () => {
        try {
          const info = await stat(path);
          return info.isFile() ? info.size : undefined;
        } catch {
          return undefined;
        }
      },
      open: async ({ start, end }) => createReadStream(path, { start, end }),
    },
  });
}

/**
 * Streams content that can be read by range (a file, an object in a store) as 200, or 206 with
 * `Content-Range` for a single byte range, or 416 with `Content-Range: bytes *\/size`. The size is
 * taken once, before the bytes are opened, so content still growing is served as it was then.
 */
export async function sendRanged(
  request: FastifyRequest,
  reply: FastifyReply,
  options: SendBytesOptions & { source: RangedSource },
): Promise<FastifyReply> {
  const size = await options.source.size();
  if (size === undefined) throw options.notFound();
  const ifRange = request.headers["if-range"];
  const rangeApplies = ifRange === undefined || (options.etag !== undefined && ifRange === options.etag);
  const range = rangeApplies ? parseRange(request.headers.range, size) : undefined;
  const headers = () => {
    reply.header("accept-ranges", "bytes").type(options.contentType);
    if (options.etag !== undefined) reply.header("etag", options.etag);
    if (options.filename !== undefined) {
      reply.header(
        "content-disposition",
        `inline; filename="${options.filename.replace(/["\\\r\n]/g, "_")}"`,
      );
    }
  };
  if (range === "unsatisfiable") {
    headers();
    reply.header("content-range", `bytes */${size}`);
    throw new HttpError(
      "HTTP_RANGE_NOT_SATISFIABLE",
      `range ${request.headers.range} is outside the ${size} bytes of the file`,
    );
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  // HEAD gets the headers only: Fastify would otherwise read the whole stream to discard it.
  const body =
    request.method === "HEAD" || size === 0 ? Readable.from([]) : await options.source.open({ start, end });
  if (body === undefined) throw options.notFound();
  headers();
  if (range) reply.status(206).header("content-range", `bytes ${start}-${end}/${size}`);
  reply.header("content-length", String(end - start + 1));
  return reply.send(body);
}
