import { SipParseError } from "../errors.ts";

export type FramedChunk =
  | { kind: "message"; data: Buffer }
  | { kind: "keepalive" }
  | { kind: "error"; error: SipParseError; data: Buffer };

/**
 * Cuts a byte stream (TCP, TLS) into SIP messages, RFC 3261 §18.3: "In the case of
 * stream-oriented transports … Content-Length … MUST be used" to find the end of the body. A
 * double CRLF between messages is an RFC 5626 §3.5.1 keep-alive ping; a single CRLF is its pong.
 * An error means the stream cannot be re-synchronised and the connection should be closed.
 */
export class StreamFramer {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #maxMessageBytes: number;

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Adds received bytes; returns every complete chunk now available. */
  push(data: Buffer): FramedChunk[] {
    this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data]);
    const out: FramedChunk[] = [];
    for (;;) {
      let start = 0;
      while (start < this.#buffer.length && (this.#buffer[start] === 0x0d || this.#buffer[start] === 0x0a))
        start++;
      if (start > 0) {
        const leading = this.#buffer.subarray(0, start).toString("latin1");
        if (leading.includes("\r\n\r\n")) out.push({ kind: "keepalive" });
        this.#buffer = this.#buffer.subarray(start);
      }
      if (this.#buffer.length === 0) return out;
      const headEnd = this.#buffer.indexOf("\r\n\r\n");
      if (headEnd < 0) {
        if (this.#buffer.length > this.#maxMessageBytes) {
          out.push({
            kind: "error",
            error: new SipParseError("Message Too Large", "no end of headers", 513),
            data: this.#buffer,
          });
          this.#buffer = Buffer.alloc(0);
        }
        return out;
      }
      const head = this.#buffer.toString("latin1", 0, headEnd);
      const match = /(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i.exec(head);
      if (!match) {
        out.push({
          kind: "error",
          error: new SipParseError("Bad Content-Length", "required on stream transports"),
          data: this.#buffer,
        });
        this.#buffer = Buffer.alloc(0);
        return out;
      }
      const total = headEnd + 4 + Number(match[1]);
      if (total > this.#maxMessageBytes) {
        out.push({
          kind: "error",
          error: new SipParseError("Message Too Large", `${total} bytes`, 513),
          data: this.#buffer,
        });
        this.#buffer = Buffer.alloc(0);
        return out;
      }
      if (this.#buffer.length < total) return out;
      out.push({ kind: "message", data: Buffer.from(this.#buffer.subarray(0, total)) });
      this.#buffer = this.#buffer.subarray(total);
    }
  }
}
