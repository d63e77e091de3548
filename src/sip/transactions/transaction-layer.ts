import type { Clock } from "../../kernel/clock.ts";
import { randomHex } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { BRANCH_COOKIE, type SipRequest, type SipResponse } from "../messages/index.ts";
import { ClientInviteTransaction, type ClientTransactionUser } from "./client-invite-transaction.ts";
import { ClientNonInviteTransaction } from "./client-non-invite-transaction.ts";
import { ServerInviteTransaction, type ServerTransactionUser } from "./server-invite-transaction.ts";
import { ServerNonInviteTransaction } from "./server-non-invite-transaction.ts";
import type { TimerSettings } from "./timers.ts";
import type { Transaction, TransactionOptions, TransactionTransport } from "./transaction.ts";

export type ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction;
export type ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction;

/** The TU above the transaction layer (the user-agent core), RFC 3261 §17 "Transaction User". */
export interface TransactionLayerUser extends ServerTransactionUser {
  /** A request that created a new server transaction (CANCEL included). */
  receiveRequest(request: SipRequest, transaction: ServerTransaction): void;
  /**
   * An ACK that matched no transaction: the ACK for a 2xx, which RFC 3261 §17.1.1.3 sends
   * end-to-end outside any transaction; the dialog layer takes it.
   */
  receiveAck(ack: SipRequest, transport: TransactionTransport): void;
  /** A response that matched no client transaction (e.g. a 2xx retransmitted after Timer M). */
  receiveStrayResponse(response: SipResponse): void;
}

export interface TransactionLayerOptions {
  clock: Clock;
  timers: TimerSettings;
  logger: Logger;
  user: TransactionLayerUser;
}

/** A new RFC 3261 branch: the magic cookie and 64 random bits (§8.1.1.7). */
export function newBranch(): string {
  return `${BRANCH_COOKIE}${randomHex(8)}`;
}

/**
 * Creates transactions and routes messages to them (RFC 3261 §17.1.3, §17.2.3), answers the
 * CANCEL lookup of §9.2 and the merged-request check of §8.2.2.2.
 */
export class TransactionLayer {
  readonly #options: TransactionLayerOptions;
  readonly #server = new Map<string, ServerTransaction>();
  readonly #client = new Map<string, ClientTransaction>();
  /** From tag + Call-ID + CSeq of ongoing server transactions, for merged requests (§8.2.2.2). */
  readonly #merge = new Map<string, string>();

  constructor(options: TransactionLayerOptions) {
    this.#options = options;
  }

  get serverTransactions(): number {
    return this.#server.size;
  }

  get clientTransactions(): number {
    return this.#client.size;
  }

  /** An incoming request: to its server transaction, to a new one, or (ACK for 2xx) to the TU. */
  receiveRequest(request: SipRequest, transport: TransactionTransport): void {
    const key = serverKey(request);
    const existing = this.#server.get(key);
    if (existing) {
      existing.receiveRequest(request);
      return;
    }
    if (request.method === "ACK") {
      this.#options.user.receiveAck(request, transport);
      return;
    }
    const options = this.#transactionOptions(transport, () => {
      this.#server.delete(key);
      this.#merge.delete(mergeKey(request));
    });
    const transaction =
      request.method === "INVITE"
        ? new ServerInviteTransaction(key, request, this.#options.user, options)
        : new ServerNonInviteTransaction(key, request, this.#options.user, options);
    this.#server.set(key, transaction);
    if (request.to.tag === undefined) this.#merge.set(mergeKey(request), key);
    transaction.start();
    this.#options.user.receiveRequest(request, transaction);
  }

  /** An incoming response: to the client transaction it belongs to (§17.1.3), or to the TU. */
  receiveResponse(response: SipResponse): void {
    const branch = response.topVia.branch;
    const transaction = branch ? this.#client.get(`${branch}|${response.cseq.method}`) : undefined;
    if (transaction) transaction.receiveResponse(response);
    else this.#options.user.receiveStrayResponse(response);
  }

  /** Sends a request in a new client transaction; its top Via must carry an RFC 3261 branch. */
  sendRequest(
    request: SipRequest,
    transport: TransactionTransport,
    user: ClientTransactionUser,
  ): ClientTransaction {
    const branch = request.topVia.branch;
    if (!branch?.startsWith(BRANCH_COOKIE))
      throw new Error("sendRequest: the top Via needs an RFC 3261 branch");
    const key = `${branch}|${request.method}`;
    if (this.#client.has(key)) throw new Error(`sendRequest: transaction ${key} exists`);
    const options = this.#transactionOptions(transport, () => this.#client.delete(key));
    const transaction =
      request.method === "INVITE"
        ? new ClientInviteTransaction(key, request, user, options)
        : new ClientNonInviteTransaction(key, request, user, options);
    this.#client.set(key, transaction);
    transaction.start();
    return transaction;
  }

  /**
   * §9.2: the INVITE server transaction a CANCEL targets: "the same branch, sent-by and
   * Request-URI … the method being INVITE".
   */
  findInviteFor(cancel: SipRequest): ServerInviteTransaction | undefined {
    const found = this.#server.get(serverKey(cancel, "INVITE"));
    return found instanceof ServerInviteTransaction ? found : undefined;
  }

  /**
   * §8.2.2.2: a request without To tag whose From tag, Call-ID and CSeq equal those of an ongoing
   * server transaction it did not match was merged (forked and arriving twice): answer 482.
   */
  isMergedRequest(request: SipRequest): boolean {
    if (request.to.tag !== undefined) return false;
    const owner = this.#merge.get(mergeKey(request));
    return owner !== undefined && owner !== serverKey(request);
  }

  /** Ends every transaction without sending anything (shutdown). */
  dispose(): void {
    for (const t of [...this.#server.values(), ...this.#client.values()]) t.dispose();
  }

  #transactionOptions(transport: TransactionTransport, forget: () => void): TransactionOptions {
    return {
      clock: this.#options.clock,
      timers: this.#options.timers,
      logger: this.#options.logger,
      transport,
      onTerminated: (_t: Transaction<string>) => forget(),
    };
  }
}

/**
 * §17.2.3: with an RFC 3261 branch, a request matches a transaction by branch, sent-by and
 * method (ACK counts as INVITE); otherwise by the RFC 2543 fields.
 */
function serverKey(
  request: SipRequest,
  method = request.method === "ACK" ? "INVITE" : request.method,
): string {
  const via = request.topVia;
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ""}`;
  if (via.hasRfc3261Branch) return `${via.branch}|${sentBy}|${method}`;
  return `2543|${request.callId}|${request.cseq.seq}|${request.from.tag ?? ""}|${via.toString()}|${method}`;
}

function mergeKey(request: SipRequest): string {
  return `${request.from.tag ?? ""}|${request.callId}|${request.cseq.seq}|${request.cseq.method}`;
}
