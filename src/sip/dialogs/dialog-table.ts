import type { SipRequest, SipResponse } from "../messages/index.ts";
import { Dialog, dialogKey } from "./dialog.ts";

/**
 * The dialogs a UA takes part in, found by dialog ID: an incoming request by (Call-ID, To tag,
 * From tag), a response to a request the UA sent by (Call-ID, From tag, To tag). Terminated
 * dialogs are forgotten.
 */
export class DialogTable {
  readonly #dialogs = new Map<string, Dialog>();

  get size(): number {
    return this.#dialogs.size;
  }

  add(dialog: Dialog): Dialog {
    this.#dialogs.set(dialog.key, dialog);
    return dialog;
  }

  /** The dialog an incoming request belongs to (§12.2.2: local tag = To tag, remote tag = From tag). */
  forRequest(request: SipRequest): Dialog | undefined {
    const localTag = request.to.tag;
    const remoteTag = request.from.tag;
    if (localTag === undefined || remoteTag === undefined) return undefined;
    return this.#live(dialogKey({ callId: request.callId, localTag, remoteTag }));
  }

  /** The dialog a response belongs to, creating an early one per new To tag (forking, §12.1.2). */
  forResponse(request: SipRequest, response: SipResponse): Dialog | undefined {
    const localTag = request.from.tag;
    const remoteTag = response.to.tag;
    if (localTag === undefined || remoteTag === undefined) return undefined;
    const existing = this.#live(dialogKey({ callId: request.callId, localTag, remoteTag }));
    if (existing) return existing;
    if (response.status > 100 && response.status < 300 && request.method === "INVITE") {
      return this.add(Dialog.forUac(request, response));
    }
    return undefined;
  }

  remove(dialog: Dialog): void {
    this.#dialogs.delete(dialog.key);
  }

  #live(key: string): Dialog | undefined {
    const dialog = this.#dialogs.get(key);
    if (dialog?.state === "Terminated") {
      this.#dialogs.delete(key);
      return undefined;
    }
    return dialog;
  }
}
