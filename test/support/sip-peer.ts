import { createSocket } from "node:dgram";
import { once } from "node:events";
import { connect } from "node:net";
import { randomHex } from "../../src/kernel/ids.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import type { TypedEmitter } from "../../src/kernel/typed-emitter.ts";
import {
  createResponse,
  DEFAULT_PARSE_LIMITS,
  type IncomingInvite,
  type IncomingInviteEvents,
  type InviteSession,
  type InviteSessionEvents,
  NameAddr,
  newBranch,
  type OutgoingInvite,
  type OutgoingInviteEvents,
  parseSipMessage,
  parseUri,
  type SipBody,
  type SipMessageUnion,
  SipRequest,
  type SipResponse,
  SipStack,
} from "../../src/sip/index.ts";
import { FakeClock } from "./fake-clock.ts";

/** The timer values the user-agent tests reason with (RFC 3261 defaults): 64·T1 = 32 s. */
export const TIMERS = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/** How long (real time) a test waits for a datagram or an event before it fails. */
const DEADLINE_MS = 2000;

/**
 * A real SipStack on 127.0.0.1 (UDP and TCP on a free port) whose every timer runs on a FakeClock:
 * network I/O is real, protocol time moves only when the test advances the clock.
 */
export async function startStack(): Promise<{ stack: SipStack; clock: FakeClock; port: number }> {
  const clock = new FakeClock();
  const stack = new SipStack({
    host: "127.0.0.1",
    port: 0,
    limits: DEFAULT_PARSE_LIMITS,
    timers: { ...TIMERS },
    idleTimeoutMs: 600_000,
    clock,
    logger: silentLogger(),
    product: "Parley/test",
  });
  const addresses = await stack.start();
  return { stack, clock, port: addresses.udp?.port ?? 0 };
}

/** The event map of the user-agent emitters (classes with #private fields compare nominally). */
type EventsOf<T> = T extends OutgoingInvite
  ? OutgoingInviteEvents
  : T extends IncomingInvite
    ? IncomingInviteEvents
    : T extends InviteSession
      ? InviteSessionEvents
      : never;
type AnyEmitter = TypedEmitter<Record<string, unknown[]>>;

/** Resolves with the arguments of the next `event`, or rejects after the deadline. */
export function nextEvent<
  T extends OutgoingInvite | IncomingInvite | InviteSession,
  K extends keyof EventsOf<T> & string,
>(emitter: T, event: K, timeoutMs = DEADLINE_MS): Promise<EventsOf<T>[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "${event}" event within ${timeoutMs} ms`)),
      timeoutMs,
    );
    (emitter as unknown as AnyEmitter).once(event, (...args) => {
      clearTimeout(timer);
      resolve(args as EventsOf<T>[K]);
    });
  });
}

/** Records every emission of `events` on `emitter` by name (to assert that one did not happen). */
export function recordEvents<T extends OutgoingInvite | IncomingInvite | InviteSession>(
  emitter: T,
  events: ReadonlyArray<keyof EventsOf<T> & string>,
): string[] {
  const seen: string[] = [];
  for (const event of events) (emitter as unknown as AnyEmitter).on(event, () => seen.push(event));
  return seen;
}

/** Fields of a request the peer sends; `from`/`to` are whole header values (tags included). */
export interface PeerRequestFields {
  callId: string;
  from: string;
  to: string;
  cseq: number;
  uri?: string;
  branch?: string;
  headers?: Array<[string, string]>;
  body?: SipBody;
}

/**
 * The far end of a test, played by a plain UDP socket on 127.0.0.1 (or a TCP connection, see
 * `connect`): it builds and sends requests and responses to the stack and collects what the stack
 * sends (each message parsed). `100 Trying` is dropped on arrival (the stack sends one for every
 * INVITE). Waiting is bounded by a real-time deadline, never a fixed sleep; `settle()` is the
 * barrier that proves something was *not* sent: an OPTIONS round trip through the stack, after
 * which every earlier message has arrived (one socket to one socket over loopback keeps order).
 * It also works the other way: after the peer sends something, `settle()` before advancing the
 * clock, so the stack has taken the message when its timers fire.
 */
export class SipPeer {
  readonly port: number;
  readonly stackPort: number;
  readonly protocol: "UDP" | "TCP";
  /** What the stack sent and no `next()` has taken yet, in arrival order. */
  readonly inbox: SipMessageUnion[] = [];
  readonly #write: (data: Buffer) => void;
  readonly #close: () => Promise<void>;
  #waiters: Array<{ match: (m: SipMessageUnion) => boolean; resolve: (m: SipMessageUnion) => void }> = [];

  private constructor(transport: {
    protocol: "UDP" | "TCP";
    port: number;
    stackPort: number;
    write: (data: Buffer) => void;
    close: () => Promise<void>;
  }) {
    this.protocol = transport.protocol;
    this.port = transport.port;
    this.stackPort = transport.stackPort;
    this.#write = transport.write;
    this.#close = transport.close;
  }

  /** A UDP peer on a free port of 127.0.0.1. */
  static async open(stackPort: number): Promise<SipPeer> {
    const socket = createSocket("udp4");
    socket.bind(0, "127.0.0.1");
    await once(socket, "listening");
    const peer = new SipPeer({
      protocol: "UDP",
      port: socket.address().port,
      stackPort,
      write: (data) => socket.send(data, stackPort, "127.0.0.1"),
      close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    });
    socket.on("message", (data) => peer.#receive(parseSipMessage(data)));
    return peer;
  }

  /** A TCP peer: one connection to the stack, messages framed by Content-Length (§18.3). */
  static async connect(stackPort: number): Promise<SipPeer> {
    const socket = connect(stackPort, "127.0.0.1");
    await once(socket, "connect");
    const peer = new SipPeer({
      protocol: "TCP",
      port: socket.localPort ?? 0,
      stackPort,
      write: (data) => socket.write(data),
      close: async () => {
        socket.destroy();
      },
    });
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(
          /\r\nContent-Length:\s*(\d+)/i.exec(buffered.subarray(0, end).toString())?.[1] ?? 0,
        );
        if (buffered.length < end + 4 + length) return;
        peer.#receive(parseSipMessage(buffered.subarray(0, end + 4 + length)));
        buffered = buffered.subarray(end + 4 + length);
      }
    });
    return peer;
  }

  /** The stack's address as a SIP URI (the Request-URI of new requests). */
  get stackUri(): string {
    return `sip:parley@127.0.0.1:${this.stackPort}`;
  }

  /** The peer's Contact. */
  get contact(): string {
    return `<sip:peer@127.0.0.1:${this.port}${this.protocol === "TCP" ? ";transport=tcp" : ""}>`;
  }

  send(message: SipMessageUnion): void {
    this.#write(message.toBuffer());
  }

  /** Builds a request as this peer would send it (one Via with `rport`, our Contact). */
  request(method: string, fields: PeerRequestFields): SipRequest {
    const request = new SipRequest({ method, uri: fields.uri ?? this.stackUri });
    const h = request.headers;
    h.append(
      "Via",
      `SIP/2.0/${this.protocol} 127.0.0.1:${this.port};rport;branch=${fields.branch ?? newBranch()}`,
    );
    h.append("Max-Forwards", "70");
    h.append("From", fields.from);
    h.append("To", fields.to);
    h.append("Call-ID", fields.callId);
    h.append("CSeq", `${fields.cseq} ${method}`);
    if (method !== "ACK" && method !== "CANCEL" && method !== "BYE") h.append("Contact", this.contact);
    for (const [name, value] of fields.headers ?? []) h.append(name, value);
    if (fields.body) {
      h.append("Content-Type", fields.body.contentType);
      request.body = fields.body.data;
    }
    return parseSipMessage(request.toBuffer()) as SipRequest;
  }

  /** Builds and sends a request; returns it. */
  sendRequest(method: string, fields: PeerRequestFields): SipRequest {
    const request = this.request(method, fields);
    this.send(request);
    return request;
  }

  /** ACKs the stack's 2xx to `invite` (§13.2.2.4: a new branch, the INVITE's CSeq number, To with tag). */
  ackFor(invite: SipRequest, ok: SipResponse, cseq = invite.cseq.seq): SipRequest {
    const contacts = ok.contacts;
    return this.sendRequest("ACK", {
      callId: invite.callId,
      from: invite.headers.get("from") ?? "",
      to: ok.headers.get("to") ?? "",
      cseq,
      ...(contacts !== "*" && contacts[0] ? { uri: contacts[0].uri.toString() } : {}),
    });
  }

  /** CANCELs `invite` (§9.1: its branch, Request-URI, Call-ID, From, To and CSeq number). */
  cancelFor(invite: SipRequest): SipRequest {
    return this.sendRequest("CANCEL", {
      callId: invite.callId,
      from: invite.headers.get("from") ?? "",
      to: invite.headers.get("to") ?? "",
      cseq: invite.cseq.seq,
      uri: invite.uriText,
      branch: invite.topVia.branch,
    });
  }

  /** Answers `request` (one the stack sent): `toTag` for the dialog, our Contact on 1xx/2xx to INVITE. */
  respond(
    request: SipRequest,
    status: number,
    options: { toTag?: string; headers?: Array<[string, string]>; body?: SipBody; contact?: string } = {},
  ): SipResponse {
    const headers = [...(options.headers ?? [])];
    if (request.method === "INVITE" && status < 300)
      headers.push(["Contact", options.contact ?? this.contact]);
    if (options.body) headers.push(["Content-Type", options.body.contentType]);
    const response = createResponse(request, status, {
      toTag: options.toTag,
      headers,
      body: options.body?.data,
    });
    const parsed = parseSipMessage(response.toBuffer()) as SipResponse;
    this.send(parsed);
    return parsed;
  }

  /** Takes the first message in the inbox (or the next to arrive) that `match`es; rejects after the deadline. */
  next(
    what: string,
    match: (m: SipMessageUnion) => boolean,
    timeoutMs = DEADLINE_MS,
  ): Promise<SipMessageUnion> {
    const index = this.inbox.findIndex(match);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as SipMessageUnion);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: SipMessageUnion) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        const pending = this.inbox.map((m) => m.startLine()).join(" | ") || "nothing";
        reject(new Error(`peer: no ${what} within ${timeoutMs} ms (inbox: ${pending})`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** The next request with this method (and Call-ID, when given). */
  async nextRequest(method: string, callId?: string): Promise<SipRequest> {
    return (await this.next(
      `${method} request`,
      (m) => m.kind === "request" && m.method === method && (callId === undefined || m.callId === callId),
    )) as SipRequest;
  }

  /** The next response with this status to a request of this method. */
  async nextResponse(status: number, method: string): Promise<SipResponse> {
    return (await this.next(
      `${status} response to ${method}`,
      (m) => m.kind === "response" && m.status === status && m.cseq.method === method,
    )) as SipResponse;
  }

  /**
   * Barrier: an OPTIONS round trip through the stack. Everything the stack sent before answering
   * it is in the inbox afterwards; returns the inbox's start lines (not taken).
   */
  async settle(): Promise<string[]> {
    const callId = `settle-${randomHex(6)}`;
    this.sendRequest("OPTIONS", {
      callId,
      from: `<sip:peer@127.0.0.1>;tag=${randomHex(4)}`,
      to: `<${this.stackUri}>`,
      cseq: 1,
    });
    await this.next("200 to the settle OPTIONS", (m) => m.kind === "response" && m.callId === callId);
    return this.inbox.map((m) => m.startLine());
  }

  /** Drops every message of the inbox that `match`es; returns how many. */
  drain(match: (m: SipMessageUnion) => boolean): number {
    const before = this.inbox.length;
    const kept = this.inbox.filter((m) => !match(m));
    this.inbox.splice(0, this.inbox.length, ...kept);
    return before - kept.length;
  }

  close(): Promise<void> {
    return this.#close();
  }

  #receive(message: SipMessageUnion): void {
    if (message.kind === "response" && message.status === 100) return;
    const waiter = this.#waiters.find((w) => w.match(message));
    if (waiter) {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.resolve(message);
      return;
    }
    this.inbox.push(message);
  }
}

/** A stack and a peer, for one test; `close()` in `t.after`. */
export async function stackAndPeer() {
  const { stack, clock, port } = await startStack();
  const peer = await SipPeer.open(port);
  return {
    stack,
    clock,
    peer,
    close: async () => {
      await peer.close();
      await stack.stop();
    },
  };
}

/**
 * The stack as UAS: registers an onInvite handler and has the peer send a new INVITE (with an SDP
 * offer unless `body` is null); resolves with the IncomingInvite and the INVITE as sent.
 */
export async function inviteFromPeer(
  stack: SipStack,
  peer: SipPeer,
  options: { body?: SipBody | null; callId?: string; fromTag?: string } = {},
): Promise<{ incoming: IncomingInvite; invite: SipRequest; fromTag: string }> {
  const fromTag = options.fromTag ?? `p${randomHex(4)}`;
  const arrived = new Promise<IncomingInvite>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the stack reported no INVITE")), DEADLINE_MS);
    stack.onInvite((incoming) => {
      clearTimeout(timer);
      resolve(incoming);
    });
  });
  const body = options.body === undefined ? sdp("offer") : options.body;
  const invite = peer.sendRequest("INVITE", {
    callId: options.callId ?? `uas-${randomHex(6)}`,
    from: `<sip:peer@127.0.0.1>;tag=${fromTag}`,
    to: `<${peer.stackUri}>`,
    cseq: 1,
    ...(body ? { body } : {}),
  });
  return { incoming: await arrived, invite, fromTag };
}

/** A recognisable SDP-typed body (its content is not parsed by the SIP stack). */
export function sdp(label: string): SipBody {
  return {
    contentType: "application/sdp",
    data: Buffer.from(`v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=${label}\r\nt=0 0\r\n`),
  };
}

/** Options for `stack.invite()` calling the peer over UDP. */
export function callPeer(peer: SipPeer, body: SipBody | undefined = sdp("offer")) {
  return {
    uri: parseUri(`sip:peer@127.0.0.1:${peer.port}`),
    target: { protocol: "udp" as const, address: "127.0.0.1", port: peer.port },
    from: NameAddr.parse("<sip:parley@127.0.0.1>", "From"),
    to: NameAddr.parse("<sip:peer@127.0.0.1>", "To"),
    ...(body ? { body } : {}),
  };
}
