import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { createResponse, type SipRequest, type SipResponse } from "../messages/index.ts";
import type {
  ClientTransaction,
  ClientTransactionUser,
  TimerSettings,
  TransactionLayer,
} from "../transactions/index.ts";
import type { RemoteAddress, SipTransportLayer } from "../transports/index.ts";
import type { LocalAddress } from "./local-address.ts";
import type { UserAgentCore } from "./user-agent-core.ts";

/** What INVITE sessions need from the stack under them. */
export interface SessionContext {
  readonly core: UserAgentCore;
  readonly transactions: TransactionLayer;
  readonly transports: SipTransportLayer;
  readonly local: LocalAddress;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timers: TimerSettings;
  /** Value of the User-Agent header on requests Parley originates. */
  readonly product: string;
}

/** Callbacks for the responses of one client transaction (timeouts and transport failures arrive as 408 and 503). */
export interface ResponseListener {
  provisional?(response: SipResponse): void;
  final(response: SipResponse): void;
}

/**
 * Sends `request` to `target` in a new client transaction (RFC 3261 §8.1.2). The caller has put
 * the top Via; Timer B/F expiry reaches `listener.final` as a 408 and a transport failure as a 503
 * (§8.1.3.1: "the UAC core … MUST treat this as if it had received a 408 … a 503"). Every 2xx is
 * passed on (an INVITE forked downstream may be answered more than once).
 */
export async function sendInTransaction(
  context: SessionContext,
  request: SipRequest,
  target: RemoteAddress,
  listener: ResponseListener,
): Promise<ClientTransaction | undefined> {
  if (!request.headers.has("user-agent")) request.headers.append("User-Agent", context.product);
  let transport: Awaited<ReturnType<SipTransportLayer["transportTo"]>>;
  try {
    transport = await context.transports.transportTo(target);
  } catch (error) {
    context.logger.info({ callId: request.callId, err: error, target }, "no transport to the target");
    listener.final(createResponse(request, 503, { reason: "Service Unavailable (no transport)" }));
    return undefined;
  }
  let finished = false;
  const user: ClientTransactionUser = {
    receiveResponse(response) {
      if (response.status < 200) {
        if (!finished) listener.provisional?.(response);
        return;
      }
      const first = !finished;
      finished = true;
      if (first || (response.status < 300 && request.method === "INVITE")) listener.final(response);
    },
    requestTimeout() {
      if (finished) return;
      finished = true;
      listener.final(createResponse(request, 408, { reason: "Request Timeout" }));
    },
    transportFailed() {
      if (finished) return;
      finished = true;
      listener.final(createResponse(request, 503, { reason: "Service Unavailable (transport failed)" }));
    },
  };
  return context.transactions.sendRequest(request, transport, user);
}

/** Sends a request outside any transaction (the ACK for a 2xx, §13.2.2.4). */
export async function sendStateless(
  context: SessionContext,
  request: SipRequest,
  target: RemoteAddress,
): Promise<void> {
  try {
    const transport = await context.transports.transportTo(target);
    transport.send(request);
  } catch (error) {
    context.logger.info({ callId: request.callId, err: error }, "could not send outside a transaction");
  }
}

/** `sendInTransaction` for a non-INVITE request, as a promise of the final response. */
export function requestFinal(
  context: SessionContext,
  request: SipRequest,
  target: RemoteAddress,
): Promise<SipResponse> {
  return new Promise((resolve) => {
    void sendInTransaction(context, request, target, { final: resolve });
  });
}
