/**
 * A background call (service 3) as a durable job: the server keeps calling the callee until they
 * answer, then calls the caller back and bridges them. The states are the service description's
 * steps; the transition table says which moves are legal (ARCHITECTURE §4 house style).
 */
export type CallbackJobState =
  | "pending"
  | "trying"
  | "callee-answered"
  | "calling-caller"
  | "bridged"
  | "caller-missed"
  | "stopped"
  | "exhausted";

export const FINAL_STATES: ReadonlySet<CallbackJobState> = new Set([
  "bridged",
  "caller-missed",
  "stopped",
  "exhausted",
]);

const TRANSITIONS: Record<CallbackJobState, readonly CallbackJobState[]> = {
  pending: ["trying", "stopped", "exhausted"],
  // An attempt answered by a person, or the next attempt, or the end.
  trying: ["trying", "callee-answered", "stopped", "exhausted"],
  "callee-answered": ["calling-caller", "trying", "stopped", "exhausted"],
  // The caller answered (bridged), did not (caller-missed), or the callee left first (try again).
  "calling-caller": ["bridged", "caller-missed", "trying", "stopped", "exhausted"],
  bridged: [],
  "caller-missed": [],
  stopped: [],
  exhausted: [],
};

/** Where the start instruction came from. */
export type CallbackOrigin = "api" | "feature-code" | "message" | "offer" | "portal";

export interface CallbackLogEntry {
  /** Epoch milliseconds. */
  at: number;
  state: CallbackJobState;
  event: string;
  detail?: string;
}

export interface CallbackJob {
  readonly id: string;
  /** Who asked: a user (extension@domain) or an outside number (+E.164, reached through a trunk). */
  readonly caller: string;
  /** Who is tried: a user (extension@domain) or a number. */
  readonly callee: string;
  readonly origin: CallbackOrigin;
  state: CallbackJobState;
  /** Calls placed to the callee so far. */
  attempts: number;
  readonly maxAttempts: number;
  readonly retryIntervalSeconds: number;
  /** Epoch ms after which no attempt starts. */
  readonly deadline: number;
  /** Epoch ms of the next attempt, while waiting. */
  nextAttemptAt?: number;
  readonly createdAt: number;
  updatedAt: number;
  /** Every step with its time (the state log the API shows). */
  log: CallbackLogEntry[];
}

/** The illegal-move error: a bug, never a protocol answer. */
export class CallbackTransitionError extends Error {}

/** Moves a job to `to`, appending the step to its log; throws on an illegal move. */
export function transition(
  job: CallbackJob,
  to: CallbackJobState,
  at: number,
  event: string,
  detail?: string,
): void {
  if (!TRANSITIONS[job.state].includes(to)) {
    throw new CallbackTransitionError(`background call ${job.id}: ${job.state} → ${to} is not allowed`);
  }
  job.state = to;
  job.updatedAt = at;
  job.log.push({ at, state: to, event, ...(detail === undefined ? {} : { detail }) });
}

/** Notes a step that does not change the state (an attempt failed, a machine answered …). */
export function note(job: CallbackJob, at: number, event: string, detail?: string): void {
  job.updatedAt = at;
  job.log.push({ at, state: job.state, event, ...(detail === undefined ? {} : { detail }) });
}

export function isActive(job: CallbackJob): boolean {
  return !FINAL_STATES.has(job.state);
}
