import { type Command, InvalidArgumentError, Option } from "commander";
import {
  type CallRecordWithLegs,
  CDR_DISPOSITIONS,
  type CdrQuery,
  cdrCsvHeader,
  cdrCsvRow,
} from "../calls/index.ts";
import { SystemClock } from "../kernel/clock.ts";
import { SqlCdrStore } from "../storage/index.ts";
import { CdrTail } from "./cdr-tail.ts";
import { type CliOutput, withDirectory } from "./context.ts";

const PAGE = 1000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * `parley cdr list|tail`: call detail records as stored (call control writes them to the
 * database), so both work whether the server runs or not, and against any node's database.
 */
export function cdrCommands(program: Command, io: CliOutput & { stopSignal: () => Promise<string> }): void {
  const cdr = program.command("cdr").description("call detail records");

  cdr
    .command("list")
    .description("list call detail records, newest first")
    .option("--since <time>", "calls started at or after this ISO 8601 time (no zone: local time)", isoTime)
    .option("--before <time>", "calls started before this ISO 8601 time", isoTime)
    .option("--party <text>", "text found in from, to, caller or callee (case-insensitive)")
    .addOption(
      new Option("--disposition <disposition>", "only calls that ended so").choices(CDR_DISPOSITIONS),
    )
    .option("--limit <n>", "at most this many calls", positiveInteger, 100)
    .addOption(new Option("--csv", "CSV with a header row (RFC 4180), one row per call").conflicts("json"))
    .option("--json", "one JSON object per line")
    .action(async (options, command: Command) => {
      const query: CdrQuery = {
        ...(options.since !== undefined && { since: options.since as number }),
        ...(options.before !== undefined && { before: options.before as number }),
        ...(options.party !== undefined && { party: options.party as string }),
        ...(options.disposition !== undefined && { disposition: options.disposition }),
      };
      await withDirectory(command, async ({ database }) => {
        const store = new SqlCdrStore(database.db);
        // io.out ends each line with LF: keeping the CR gives the API's bytes (CRLF, RFC 4180).
        if (options.csv) io.out(cdrCsvHeader().slice(0, -1));
        let left = options.limit as number;
        let after: CdrQuery["after"];
        while (left > 0) {
          const page = await store.list({ ...query, limit: Math.min(left, PAGE), ...(after && { after }) });
          for (const record of page) {
            if (options.csv) io.out(cdrCsvRow(record).slice(0, -1));
            else io.out(options.json ? JSON.stringify(record) : cdrLine(record));
          }
          const last = page.at(-1);
          if (!last || page.length < Math.min(left, PAGE)) break;
          left -= page.length;
          after = { startedAt: last.startedAt, id: last.id };
        }
      });
    });

  cdr
    .command("tail")
    .description("print call detail records as calls end, one line each, until interrupted (Ctrl-C)")
    .option("--interval <seconds>", "how often to poll the database", positiveSeconds, 2)
    .option("--json", "one JSON object per line")
    .action(async (options, command: Command) => {
      await withDirectory(command, async ({ database }) => {
        const stopped = io.stopSignal();
        const tail = new CdrTail({
          feed: new SqlCdrStore(database.db),
          clock: new SystemClock(),
          intervalMs: (options.interval as number) * 1000,
          print: (record) => io.out(options.json ? JSON.stringify(record) : cdrLine(record)),
          fail: (error) => io.err(`parley: polling call detail records failed: ${(error as Error).message}`),
        });
        tail.start();
        io.err("following call detail records; Ctrl-C stops");
        await stopped;
        await tail.stop();
      });
    });
}

/**
 * One record on one tab-separated line: start, id, from -> to, disposition (`open` while the call
 * lasts), duration and talk time in seconds, cause.
 */
export function cdrLine(record: CallRecordWithLegs): string {
  const { endedAt, answeredAt } = record;
  const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;
  const duration = endedAt === undefined ? "" : seconds(endedAt - record.startedAt);
  const talk =
    endedAt === undefined || answeredAt === undefined ? "" : ` (talk ${seconds(endedAt - answeredAt)})`;
  return [
    new Date(record.startedAt).toISOString(),
    record.id,
    `${record.from} -> ${record.to}`,
    record.disposition ?? "open",
    `${duration}${talk}`,
    record.cause ?? "",
  ].join("\t");
}

function isoTime(value: string): number {
  const ms = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new InvalidArgumentError("expected an ISO 8601 time, e.g. 2026-01-31T08:00:00Z");
  return ms;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a whole number of at least 1");
  }
  return n;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n >= 0.05) || n > 86_400) {
    throw new InvalidArgumentError("expected seconds between 0.05 and 86400");
  }
  return n;
}
