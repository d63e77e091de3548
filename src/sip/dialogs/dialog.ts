import { NameAddr, SipRequest, type SipResponse, SipUri, type Uri } from "../messages/index.ts";

/** RFC 3261 §12: a dialog is Early until a 2xx confirms it; BYE or a failure terminates it. */
export type DialogState = "Early" | "Confirmed" | "Terminated";

/** §12: "A dialog is identified at each UA with a dialog ID, which consists of a Call-ID value, a local tag and a remote tag." */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}|${id.localTag}|${id.remoteTag}`;
}

const TRANSITIONS: Readonly<Record<DialogState, readonly DialogState[]>> = {
  Early: ["Confirmed", "Terminated"],
  Confirmed: ["Terminated"],
  Terminated: [],
};

/** Methods whose requests and 2xx responses refresh the remote target (§12.2, RFC 3311). */
const TARGET_REFRESH = new Set(["INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"]);

/**
 * One dialog's state as RFC 3261 §12 defines it: id, local and remote sequence numbers, local and
 * remote URIs, remote target, route set and the secure flag. It builds in-dialog requests
 * (§12.2.1.1) and checks those it receives (§12.2.2). It does not send anything itself.
 * https://www.rfc-editor.org/rfc/rfc3261#section-12
 */
export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  /** Local sequence number; undefined until the UA sends its first request in the dialog (§12.1.1). */
  localSeq: number | undefined;
  /** Remote sequence number; undefined until the peer's first request (§12.1.2). */
  remoteSeq: number | undefined;
  remoteTarget: Uri;
  /** Route set as Route header values, in the order requests carry them. */
  readonly routeSet: readonly string[];
  readonly secure: boolean;
  #state: DialogState;

  private constructor(init: {
    id: DialogId;
    localUri: NameAddr;
    remoteUri: NameAddr;
    localSeq: number | undefined;
    remoteSeq: number | undefined;
    remoteTarget: Uri;
    routeSet: string[];
    secure: boolean;
    state: DialogState;
  }) {
    this.id = init.id;
    this.key = dialogKey(init.id);
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.#state = init.state;
  }

  /**
   * §12.1.1, the UAS side, from the request and the 1xx/2xx (with To tag) that creates the dialog:
   * "The route set MUST be set to the list of URIs in the Record-Route header field from the
   * request, taken in order … The remote target MUST be set to the URI from the Contact header
   * field of the request … The remote sequence number MUST be set to the value of the sequence
   * number in the CSeq header field of the request. The local sequence number MUST be empty."
   */
  static forUas(request: SipRequest, response: SipResponse): Dialog {
    const localTag = response.to.tag;
    const remoteTag = request.from.tag;
    if (!localTag || remoteTag === undefined) throw new Error("a dialog needs both tags");
    return new Dialog({
      id: { callId: request.callId, localTag, remoteTag },
      localUri: request.to.clone(),
      remoteUri: request.from.clone(),
      localSeq: undefined,
      remoteSeq: request.cseq.seq,
      remoteTarget: contactUri(request) ?? request.from.uri,
      routeSet: request.headers.values("record-route"),
      secure: isSips(request.uri),
      state: response.status < 200 ? "Early" : "Confirmed",
    });
  }

  /**
   * §12.1.2, the UAC side, from its request and a 1xx/2xx with a To tag: "The route set MUST be
   * set to the list of URIs in the Record-Route header field from the response, taken in reverse
   * order … The remote target MUST be set to the URI from the Contact header field of the
   * response. The local sequence number MUST be set to the value of the sequence number in the
   * CSeq header field of the request. The remote sequence number MUST be empty." Each To tag of a
   * forked request gives its own (early) dialog.
   */
  static forUac(request: SipRequest, response: SipResponse): Dialog {
    const localTag = request.from.tag;
    const remoteTag = response.to.tag;
    if (localTag === undefined || !remoteTag) throw new Error("a dialog needs both tags");
    return new Dialog({
      id: { callId: request.callId, localTag, remoteTag },
      localUri: request.from.clone(),
      remoteUri: response.to.clone(),
      localSeq: request.cseq.seq,
      remoteSeq: undefined,
      remoteTarget: contactUri(response) ?? request.uri,
      routeSet: [...response.headers.values("record-route")].reverse(),
      secure: isSips(request.uri),
      state: response.status < 200 ? "Early" : "Confirmed",
    });
  }

  get state(): DialogState {
    return this.#state;
  }

  confirm(): void {
    if (this.#state === "Early") this.#transition("Confirmed");
  }

  terminate(): void {
    if (this.#state !== "Terminated") this.#transition("Terminated");
  }

  /**
   * §12.2.1.1: a request within the dialog. "The URI in the To field of the request MUST be set
   * to the remote URI from the dialog state. The tag in the To header field … MUST be set to the
   * remote tag of the dialog ID. The From URI … MUST be set to the local URI … The Call-ID … MUST
   * be set to the Call-ID of the dialog. Requests within a dialog MUST contain strictly
   * monotonically increasing and contiguous CSeq sequence numbers … (with the exception of ACK
   * and CANCEL)". Loose routing (first route has `lr`): Request-URI = remote target, Route = the
   * route set; strict routing: Request-URI = first route, the remote target goes last in Route.
   * The caller adds the Via (its transport's) and sends.
   */
  createRequest(
    method: string,
    options: { via: string; cseq?: number; body?: Buffer; headers?: Array<[string, string]> },
  ): SipRequest {
    if (this.#state === "Terminated") throw new Error(`createRequest(${method}) on a terminated dialog`);
    let seq: number;
    if (method === "ACK" || method === "CANCEL") {
      seq = options.cseq ?? this.localSeq ?? 1;
    } else {
      this.localSeq = (this.localSeq ?? Math.floor(Math.random() * 2 ** 30)) + 1;
      seq = this.localSeq;
    }
    const first = this.routeSet[0];
    const firstUri = first === undefined ? undefined : NameAddr.parse(first, "Route").uri;
    const strict = firstUri instanceof SipUri && !firstUri.params.has("lr");
    const request = new SipRequest({ method, uri: strict && firstUri ? firstUri : this.remoteTarget });
    const h = request.headers;
    h.append("Via", options.via);
    h.append("Max-Forwards", "70");
    const routes = strict ? [...this.routeSet.slice(1), `<${this.remoteTarget.toString()}>`] : this.routeSet;
    for (const route of routes) h.append("Route", route);
    const to = this.remoteUri.clone();
    to.tag = this.id.remoteTag;
    const from = this.localUri.clone();
    from.tag = this.id.localTag;
    h.append("From", from.toString());
    h.append("To", to.toString());
    h.append("Call-ID", this.id.callId);
    h.append("CSeq", `${seq} ${method}`);
    for (const [name, value] of options.headers ?? []) h.append(name, value);
    if (options.body) request.body = options.body;
    return request;
  }

  /**
   * §12.2.2: "If the remote sequence number is empty, it MUST be set to the value of the sequence
   * number in the CSeq header field value in the request. If the remote sequence number was not
   * empty, but the sequence number of the request is lower than the remote sequence number, the
   * request is out of order and MUST be rejected with a 500 (Server Internal Error) response."
   * Returns false for an out-of-order request. A target refresh request updates the remote target.
   */
  receiveRequest(request: SipRequest): boolean {
    const seq = request.cseq.seq;
    if (request.method !== "ACK" && request.method !== "CANCEL") {
      if (this.remoteSeq !== undefined && seq < this.remoteSeq) return false;
      this.remoteSeq = seq;
    }
    if (TARGET_REFRESH.has(request.method)) this.remoteTarget = contactUri(request) ?? this.remoteTarget;
    if (request.method === "BYE") this.terminate();
    return true;
  }

  /** §12.2.1.2: a 2xx to a target refresh request updates the remote target; a 2xx to INVITE confirms. */
  receiveResponse(request: SipRequest, response: SipResponse): void {
    if (response.status >= 200 && response.status < 300) {
      if (TARGET_REFRESH.has(request.method)) this.remoteTarget = contactUri(response) ?? this.remoteTarget;
      if (request.method === "INVITE") this.confirm();
    }
  }

  #transition(to: DialogState): void {
    if (!TRANSITIONS[this.#state].includes(to))
      throw new Error(`Dialog ${this.key}: illegal transition ${this.#state} → ${to}`);
    this.#state = to;
  }
}

function contactUri(message: SipRequest | SipResponse): Uri | undefined {
  if (!message.headers.has("contact")) return undefined;
  const contacts = message.contacts;
  return contacts === "*" ? undefined : contacts[0]?.uri;
}

function isSips(uri: Uri): boolean {
  return uri.scheme === "sips";
}
