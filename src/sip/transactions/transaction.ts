import type { Clock, TimerHandle } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import type { SipMessageUnion } from "../messages/index.ts";
import { type TimerName, type TimerSettings, timerDuration } from "./timers.ts";

/**
 * The way back to the peer for one transaction, provided by the transport layer: a server
 * transaction answers along the path its request came in on (RFC 3261 §18.2.2), a client
 * transaction sends along the path the transport layer chose. The transaction layer never sees
 * addresses.
 */
export interface TransactionTransport {
  /** TCP, TLS and WebSocket are reliable; UDP is not, so requests and responses are retransmitted. */
  readonly reliable: boolean;
  /** Sends a message; failures are reported back through `transportError()`. */
  send(message: SipMessageUnion): void;
  /** Where the peer is, as the transport layer saw it (for the registrar's NAT handling). */
  readonly source?: {
    readonly protocol: string;
    readonly address: string;
    readonly port: number;
    readonly flowId?: string;
  };
}

export interface TransactionOptions {
  clock: Clock;
  timers: TimerSettings;
  transport: TransactionTransport;
  logger: Logger;
  /** Called once when the transaction reaches Terminated, so the layer forgets it. */
  onTerminated: (transaction: Transaction<string>) => void;
}

/**
 * What every §17 state machine shares: a state drawn from a literal union, a transition table
 * checked on every move, and timers armed on the injected Clock that are cancelled when the state
 * they belong to is left. Subclasses feed inputs (`receiveRequest`, `receiveResponse`, timer
 * expiry, `transportError`) into their own per-state rules.
 */
export abstract class Transaction<State extends string> {
  readonly key: string;
  readonly options: TransactionOptions;
  #state: State;
  #timers = new Map<TimerName, TimerHandle>();
  /** Current interval of the doubling timers (A, E, G). */
  protected intervals = new Map<TimerName, number>();

  protected constructor(key: string, initial: State, options: TransactionOptions) {
    this.key = key;
    this.#state = initial;
    this.options = options;
  }

  protected abstract readonly transitions: Readonly<Record<State, readonly State[]>>;
  /** The timers that may run in each state; leaving a state cancels the timers the next one does not keep. */
  protected abstract readonly timersIn: Readonly<Record<State, readonly TimerName[]>>;
  protected abstract onTimer(name: TimerName): void;

  get state(): State {
    return this.#state;
  }

  get terminated(): boolean {
    return this.#state === "Terminated";
  }

  get reliable(): boolean {
    return this.options.transport.reliable;
  }

  /** Names of the timers currently armed (for tests and debugging). */
  get armedTimers(): TimerName[] {
    return [...this.#timers.keys()].sort();
  }

  /**
   * The only way to change state: asserts the move is in the table, cancels the timers the new
   * state does not keep, and on Terminated tells the layer to forget the transaction.
   */
  protected transition(to: State): void {
    const from = this.#state;
    if (!this.transitions[from].includes(to)) {
      throw new Error(`${this.constructor.name} ${this.key}: illegal transition ${from} → ${to}`);
    }
    const kept = this.timersIn[to];
    for (const [name, timer] of this.#timers) {
      if (!kept.includes(name)) {
        timer.cancel();
        this.#timers.delete(name);
      }
    }
    this.#state = to;
    this.options.logger.debug({ transaction: this.key, from, to }, `${this.constructor.name} transition`);
    if (to === "Terminated") this.options.onTerminated(this as unknown as Transaction<string>);
  }

  /** Arms a timer with its RFC duration (or `duration`); a zero duration fires at once, synchronously. */
  protected startTimer(
    name: TimerName,
    duration = timerDuration(name, this.options.timers, this.reliable),
  ): void {
    if (!this.timersIn[this.#state].includes(name)) {
      throw new Error(`${this.constructor.name} ${this.key}: timer ${name} started in ${this.#state}`);
    }
    this.#timers.get(name)?.cancel();
    this.intervals.set(name, duration);
    if (duration === 0) {
      this.#timers.delete(name);
      this.onTimer(name);
      return;
    }
    this.#timers.set(
      name,
      this.options.clock.setTimer(duration, () => {
        this.#timers.delete(name);
        this.onTimer(name);
      }),
    );
  }

  protected stopTimer(name: TimerName): void {
    this.#timers.get(name)?.cancel();
    this.#timers.delete(name);
  }

  protected send(message: SipMessageUnion): void {
    this.options.transport.send(message);
  }

  /**
   * §17.1.4 / §17.2.4: a transport failure terminates the transaction; the client TU treats it as
   * a 503 response.
   */
  abstract transportError(): void;

  /** Ends the transaction at once (node shutdown); no message is sent. */
  dispose(): void {
    if (!this.terminated) this.transition("Terminated" as State);
  }
}
