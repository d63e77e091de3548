import { silentLogger } from "../../src/kernel/log.ts";
import {
  createResponse,
  DEFAULT_TIMERS,
  parseSipMessage,
  type SipMessageUnion,
  type SipRequest,
  type SipResponse,
  type TransactionOptions,
  type TransactionTransport,
} from "../../src/sip/index.ts";
import type { FakeClock } from "./fake-clock.ts";

/** A transport that records what was sent and when (fake-clock milliseconds). */
export class RecordingTransport implements TransactionTransport {
  readonly reliable: boolean;
  readonly sent: Array<{ at: number; message: SipMessageUnion }> = [];
  readonly #clock: FakeClock;

  constructor(clock: FakeClock, reliable = false) {
    this.#clock = clock;
    this.reliable = reliable;
  }

  send(message: SipMessageUnion): void {
    this.sent.push({ at: this.#clock.monotonic(), message });
  }

  /** Times at which a message with this start-line prefix was sent. */
  times(prefix: string): number[] {
    return this.sent.filter((s) => s.message.startLine().startsWith(prefix)).map((s) => s.at);
  }
}

let counter = 0;

/** A parsed request with every mandatory header; `branch` defaults to a fresh RFC 3261 one. */
export function makeRequest(
  method: string,
  options: { branch?: string; toTag?: string; callId?: string; cseq?: number } = {},
): SipRequest {
  counter += 1;
  const branch = options.branch ?? `z9hG4bKtest${counter}`;
  const text = [
    `${method} sip:1002@pbx.example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
    "Max-Forwards: 70",
    "From: <sip:1001@pbx.example.com>;tag=from1",
    `To: <sip:1002@pbx.example.com>${options.toTag ? `;tag=${options.toTag}` : ""}`,
    `Call-ID: ${options.callId ?? `call-${counter}`}`,
    `CSeq: ${options.cseq ?? 1} ${method}`,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseSipMessage(Buffer.from(text)) as SipRequest;
}

/** A response to `request` as the far end would send it (To tag "far"). */
export function responseTo(request: SipRequest, status: number): SipResponse {
  return parseSipMessage(createResponse(request, status, { toTag: "far" }).toBuffer()) as SipResponse;
}

export function transactionOptions(
  clock: FakeClock,
  transport: TransactionTransport,
  onTerminated = () => {},
): TransactionOptions {
  return { clock, timers: DEFAULT_TIMERS, transport, logger: silentLogger(), onTerminated };
}

/** A client TU that records what it was told. */
export function recordingClientUser() {
  const events: string[] = [];
  return {
    events,
    receiveResponse: (r: SipResponse) => events.push(`response ${r.status}`),
    requestTimeout: () => events.push("timeout"),
    transportFailed: () => events.push("transport-failed"),
  };
}
