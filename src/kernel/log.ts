import { type Logger, pino } from "pino";

export type { Logger } from "pino";

export type LogFormat = "auto" | "json" | "pretty";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface LoggerOptions {
  level: LogLevel;
  /** `auto` prints JSON unless the destination is a terminal. */
  format: LogFormat;
  /** File descriptor to write to; 1 (stdout) by default, 2 for CLI commands whose stdout is data. */
  fd?: 1 | 2;
}

/**
 * The process logger. Lines are JSON (one object per line) so that log shippers read them as
 * they are; a terminal gets pino-pretty. Child loggers add `callId`/`legId` (calls) or `reqId`
 * (HTTP) so every line about one thing can be found with one filter.
 */
export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 1;
  const isTerminal = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const pretty = options.format === "pretty" || (options.format === "auto" && isTerminal === true);
  const base = { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (pretty) {
    return pino({
      ...base,
      transport: { target: "pino-pretty", options: { destination: fd, translateTime: "SYS:HH:MM:ss.l" } },
    });
  }
  return pino(base, pino.destination({ fd, sync: true }));
}

/** A logger that drops everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
