import { TAG_PATTERN } from "./command-parser.ts";

/** What the reader found in the bytes pushed to it, in arrival order. */
export type ReaderEvent =
  /** One complete command (or continuation line): every line and literal, the final CRLF removed. */
  | { kind: "command"; bytes: Buffer }
  /** A synchronising literal `{n}` fits the limit: the server sends `+` now and the client goes on. */
  | { kind: "continue" }
  /** A synchronising literal over the limit: answer `tag BAD`; the client does not send the literal. */
  | { kind: "reject"; tag: string | undefined; text: string }
  /** Nothing more can be read in step with the client (non-synchronising literal or line too big). */
  | { kind: "overflow"; text: string };

const LITERAL_AT_END = /\{(\d{1,20})(\+?)\}$/;

/**
 * Splits the client's byte stream into commands. A command is a line, or lines joined by literals
 * (https://www.rfc-editor.org/rfc/rfc3501#section-4.3: "{n}" CRLF then n octets). A synchronising
 * literal is acknowledged with a continuation request (§7.5) unless the whole command would exceed
 * `maxCommandBytes`, in which case the command is refused. A non-synchronising literal
 * (https://www.rfc-editor.org/rfc/rfc7888#section-4: "the server MAY ... close the connection")
 * over the limit arrives whether we like it or not, so the reader gives up (`overflow`).
 */
export class CommandReader {
  readonly #maxCommandBytes: number;
  #pending: Buffer = Buffer.alloc(0);
  #parts: Buffer[] = [];
  #size = 0;
  #literalRemaining = 0;
  #failed = false;

  constructor(maxCommandBytes: number) {
    this.#maxCommandBytes = maxCommandBytes;
  }

  /** Forgets everything buffered (STARTTLS: nothing sent before the handshake may be acted on). */
  reset(): void {
    this.#pending = Buffer.alloc(0);
    this.#parts = [];
    this.#size = 0;
    this.#literalRemaining = 0;
  }

  push(data: Buffer): ReaderEvent[] {
    if (this.#failed) return [];
    this.#pending = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data]);
    const events: ReaderEvent[] = [];
    while (this.#pending.length > 0 && !this.#failed) {
      if (this.#literalRemaining > 0) {
        const take = Math.min(this.#literalRemaining, this.#pending.length);
        this.#parts.push(this.#pending.subarray(0, take));
        this.#pending = this.#pending.subarray(take);
        this.#literalRemaining -= take;
        continue;
      }
      const lf = this.#pending.indexOf(0x0a);
      if (lf < 0) {
        if (this.#size + this.#pending.length > this.#maxCommandBytes)
          this.#fail(events, "Command line too long");
        break;
      }
      const end = lf > 0 && this.#pending[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = this.#pending.subarray(0, end);
      this.#pending = this.#pending.subarray(lf + 1);
      this.#size += lf + 1;
      if (this.#size > this.#maxCommandBytes) {
        events.push({ kind: "reject", tag: this.#tag(line), text: "Command too long" });
        this.#startOver();
        continue;
      }
      const literal = LITERAL_AT_END.exec(line.subarray(Math.max(0, line.length - 24)).toString("latin1"));
      if (!literal) {
        this.#parts.push(line);
        events.push({ kind: "command", bytes: Buffer.concat(this.#parts) });
        this.#startOver();
        continue;
      }
      const length = Number(literal[1]);
      const nonSynchronising = literal[2] === "+";
      this.#parts.push(line, Buffer.from("\r\n"));
      if (this.#size + length > this.#maxCommandBytes) {
        if (nonSynchronising) {
          this.#fail(events, "Literal too large");
          break;
        }
        events.push({ kind: "reject", tag: this.#tag(line), text: "Literal too large" });
        this.#startOver();
        continue;
      }
      this.#size += length;
      this.#literalRemaining = length;
      if (!nonSynchronising) events.push({ kind: "continue" });
    }
    return events;
  }

  #tag(line: Buffer): string | undefined {
    const first = (this.#parts[0] ?? line).toString("latin1");
    const tag = first.split(" ", 1)[0] ?? "";
    return TAG_PATTERN.test(tag) ? tag : undefined;
  }

  #startOver(): void {
    this.#parts = [];
    this.#size = 0;
  }

  #fail(events: ReaderEvent[], text: string): void {
    this.#failed = true;
    this.#pending = Buffer.alloc(0);
    this.#startOver();
    events.push({ kind: "overflow", text });
  }
}
