import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/**
 * A bare IMAP client for tests: writes exactly the bytes a test gives it and reads responses
 * (lines with their literals inline), so malformed input can be sent on purpose.
 */
export class WireClient {
  readonly socket: Socket;
  greeting = "";
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended = false;
  #nextTag = 1;
  readonly ended: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (data: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      this.#wake?.();
    });
    this.ended = new Promise((resolve) => {
      const done = () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      };
      socket.on("end", done);
      socket.on("close", done);
      socket.on("error", done);
    });
  }

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<WireClient> {
    const socket = options.tls
      ? tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false })
      : connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const client = new WireClient(socket);
    client.greeting = await client.readResponse();
    return client;
  }

  /** Upgrades the socket after a STARTTLS OK; returns a client on the TLS socket. */
  async startTls(): Promise<WireClient> {
    this.socket.removeAllListeners("data");
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    const client = new WireClient(secure);
    client.#nextTag = this.#nextTag;
    return client;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async #wait(): Promise<void> {
    if (this.#ended) throw new Error(`connection ended; unread: ${this.#buffer.toString("latin1")}`);
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    this.#wake = undefined;
  }

  /** One response: a line, with the bytes of any literals it announces inline. CRLF removed. */
  async readResponse(): Promise<string> {
    let out = "";
    for (;;) {
      let lf = this.#buffer.indexOf("\r\n");
      while (lf < 0) {
        await this.#wait();
        lf = this.#buffer.indexOf("\r\n");
      }
      const line = this.#buffer.subarray(0, lf).toString("latin1");
      this.#buffer = this.#buffer.subarray(lf + 2);
      out += line;
      const literal = /\{(\d+)\}$/.exec(line);
      if (!literal) return out;
      const length = Number(literal[1]);
      out += "\r\n";
      while (this.#buffer.length < length) await this.#wait();
      out += this.#buffer.subarray(0, length).toString("latin1");
      this.#buffer = this.#buffer.subarray(length);
    }
  }

  /** Sends `<tag> <text>` and collects responses until the tagged one. */
  async command(text: string): Promise<{ tag: string; untagged: string[]; tagged: string }> {
    const tag = `A${this.#nextTag++}`;
    this.write(`${tag} ${text}\r\n`);
    return this.until(tag);
  }

  async until(tag: string): Promise<{ tag: string; untagged: string[]; tagged: string }> {
    const untagged: string[] = [];
    for (;;) {
      const line = await this.readResponse();
      if (line.startsWith(`${tag} `)) return { tag, untagged, tagged: line };
      untagged.push(line);
    }
  }

  async login(user = "alice@parley.example", password = "secret"): Promise<void> {
    const { tagged } = await this.command(`LOGIN ${user} ${password}`);
    if (!/ OK /.test(tagged)) throw new Error(`login failed: ${tagged}`);
  }

  close(): void {
    this.socket.destroy();
  }
}
