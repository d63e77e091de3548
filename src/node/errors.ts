import { ParleyError } from "../kernel/parley-error.ts";

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: "the address is already in use",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "the address is not on this machine",
};

/** A listener could not be opened; names the config keys to change. */
export class ListenError extends ParleyError {
  constructor(what: string, keys: string, host: string, port: number, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code ?? "";
    const reason = LISTEN_REASONS[code] ?? (cause as Error)?.message ?? String(cause);
    super("NODE_LISTEN_FAILED", `cannot listen for ${what} on ${host}:${port} (${keys}): ${reason}`, {
      cause,
    });
  }
}

/** Something the node needs at start is missing or unreadable (a certificate file …). */
export class StartError extends ParleyError {
  constructor(message: string) {
    super("NODE_START_FAILED", message);
  }
}
