import {
  type MailboxChange,
  type MailboxStatus,
  MemoryMailStore,
  type StoredMessage,
} from "../../imap/index.ts";
import {
  countMessages,
  type MessageCounts,
  VOICEMAIL_FOLDERS,
  type VoicemailFolder,
  type VoicemailStore,
} from "./voicemail-store.ts";

/**
 * The in-process VoicemailStore (ARCHITECTURE §2 rule 6): the IMAP server's MemoryMailStore with
 * the voicemail folders, appends and the all-users change feed for message-waiting lamps.
 */
export class MemoryVoicemailStore implements VoicemailStore {
  readonly #mail = new MemoryMailStore();
  readonly #everyone = new Set<(user: string, change: MailboxChange) => void>();
  readonly #followed = new Set<string>();

  async ensureMailboxes(user: string): Promise<void> {
    for (const folder of VOICEMAIL_FOLDERS) this.#mail.createMailbox(user, folder);
    if (this.#followed.has(user)) return;
    this.#followed.add(user);
    this.#mail.watch(user, (change) => {
      for (const listener of [...this.#everyone]) listener(user, change);
    });
  }

  async append(
    user: string,
    mailbox: VoicemailFolder,
    raw: Buffer,
    options: { date: Date; flags?: readonly string[] },
  ): Promise<number> {
    await this.ensureMailboxes(user);
    return this.#mail.append(user, mailbox, raw, options.flags ?? [], options.date);
  }

  counts(user: string): Promise<MessageCounts> {
    return countMessages(this, user);
  }

  watchAll(listener: (user: string, change: MailboxChange) => void): () => void {
    this.#everyone.add(listener);
    return () => this.#everyone.delete(listener);
  }

  async mailboxes(user: string): Promise<MailboxStatus[]> {
    await this.ensureMailboxes(user);
    return this.#mail.mailboxes(user);
  }

  status(user: string, mailbox: string): Promise<MailboxStatus | undefined> {
    return this.#mail.status(user, mailbox);
  }

  messages(user: string, mailbox: string): Promise<StoredMessage[]> {
    return this.#mail.messages(user, mailbox);
  }

  source(user: string, mailbox: string, uid: number): Promise<Buffer | undefined> {
    return this.#mail.source(user, mailbox, uid);
  }

  setFlags(user: string, mailbox: string, uid: number, flags: readonly string[]) {
    return this.#mail.setFlags(user, mailbox, uid, flags);
  }

  copy(user: string, from: string, uids: readonly number[], to: string) {
    return this.#mail.copy(user, from, uids, to);
  }

  expunge(user: string, mailbox: string, uids: readonly number[]): Promise<void> {
    return this.#mail.expunge(user, mailbox, uids);
  }

  watch(user: string, listener: (change: MailboxChange) => void): () => void {
    return this.#mail.watch(user, listener);
  }
}
