import { type Clock, SystemClock } from "../kernel/clock.ts";
import type { MailboxChange, MailboxStatus, MailStore, StoredMessage } from "./mail-store.ts";

export interface MemoryMailStoreOptions {
  /** Gives INTERNALDATE to messages appended without a date; the system clock by default. */
  clock?: Clock;
  /** UIDVALIDITY of the first mailbox created; each later mailbox gets the next number. */
  firstUidValidity?: number;
}

interface MemoryMessage {
  uid: number;
  flags: string[];
  internalDate: Date;
  raw: Buffer;
}

interface MemoryMailbox {
  name: string;
  uidValidity: number;
  uidNext: number;
  messages: Map<number, MemoryMessage>;
}

/** INBOX is case-insensitive (https://www.rfc-editor.org/rfc/rfc3501#section-5.1); other names are not. */
function canonicalName(name: string): string {
  return name.toUpperCase() === "INBOX" ? "INBOX" : name;
}

function uniqueFlags(flags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const flag of flags) if (!seen.has(flag.toLowerCase())) seen.set(flag.toLowerCase(), flag);
  return [...seen.values()];
}

/**
 * The in-process MailStore (ARCHITECTURE §2 rule 6: the port's in-memory twin, as wildduck's
 * test-server.js sits next to imap-core). Mailboxes keep a stable UIDVALIDITY and strictly
 * ascending UIDs (https://www.rfc-editor.org/rfc/rfc3501#section-2.3.1.1); every change is
 * reported to the user's watchers synchronously, whoever made it.
 */
export class MemoryMailStore implements MailStore {
  readonly #clock: Clock;
  readonly #users = new Map<string, Map<string, MemoryMailbox>>();
  readonly #watchers = new Map<string, Set<(change: MailboxChange) => void>>();
  #nextUidValidity: number;

  constructor(options: MemoryMailStoreOptions = {}) {
    this.#clock = options.clock ?? new SystemClock();
    this.#nextUidValidity = options.firstUidValidity ?? 1;
  }

  /** Creates a mailbox (INBOX included) when the user does not have it yet; returns its status. */
  createMailbox(user: string, name: string): MailboxStatus {
    const mailboxes = this.#users.get(user) ?? new Map<string, MemoryMailbox>();
    this.#users.set(user, mailboxes);
    const key = canonicalName(name);
    let mailbox = mailboxes.get(key);
    if (!mailbox) {
      mailbox = { name: key, uidValidity: this.#nextUidValidity++, uidNext: 1, messages: new Map() };
      mailboxes.set(key, mailbox);
    }
    return this.#statusOf(mailbox);
  }

  /** Adds a message as a phone deposit would (creating the mailbox if needed); returns its UID. */
  append(user: string, mailbox: string, raw: Buffer, flags: readonly string[] = [], date?: Date): number {
    this.createMailbox(user, mailbox);
    const box = this.#mailbox(user, mailbox);
    if (!box) throw new Error("mailbox vanished while appending");
    const uid = box.uidNext++;
    box.messages.set(uid, {
      uid,
      flags: uniqueFlags(flags),
      internalDate: date ?? new Date(this.#clock.now()),
      raw: Buffer.from(raw),
    });
    this.#notify(user, { kind: "added", mailbox: box.name, uid });
    return uid;
  }

  async mailboxes(user: string): Promise<MailboxStatus[]> {
    return [...(this.#users.get(user)?.values() ?? [])].map((m) => this.#statusOf(m));
  }

  async status(user: string, mailbox: string): Promise<MailboxStatus | undefined> {
    const box = this.#mailbox(user, mailbox);
    return box ? this.#statusOf(box) : undefined;
  }

  async messages(user: string, mailbox: string): Promise<StoredMessage[]> {
    const box = this.#mailbox(user, mailbox);
    if (!box) return [];
    return [...box.messages.values()]
      .sort((a, b) => a.uid - b.uid)
      .map((m) => ({ uid: m.uid, flags: [...m.flags], internalDate: m.internalDate, size: m.raw.length }));
  }

  async source(user: string, mailbox: string, uid: number): Promise<Buffer | undefined> {
    return this.#mailbox(user, mailbox)?.messages.get(uid)?.raw;
  }

  async setFlags(
    user: string,
    mailbox: string,
    uid: number,
    flags: readonly string[],
  ): Promise<readonly string[] | undefined> {
    const box = this.#mailbox(user, mailbox);
    const message = box?.messages.get(uid);
    if (!box || !message) return undefined;
    message.flags = uniqueFlags(flags);
    this.#notify(user, { kind: "flags", mailbox: box.name, uid, flags: [...message.flags] });
    return [...message.flags];
  }

  async copy(
    user: string,
    from: string,
    uids: readonly number[],
    to: string,
  ): Promise<{ uidValidity: number; uids: number[] }> {
    const source = this.#mailbox(user, from);
    const target = this.#mailbox(user, to);
    if (!source || !target) throw new Error(`no mailbox ${source ? to : from}`);
    const copied: number[] = [];
    for (const uid of uids) {
      const message = source.messages.get(uid);
      if (!message) continue;
      const newUid = target.uidNext++;
      target.messages.set(newUid, { ...message, uid: newUid, flags: [...message.flags] });
      copied.push(newUid);
      this.#notify(user, { kind: "added", mailbox: target.name, uid: newUid });
    }
    return { uidValidity: target.uidValidity, uids: copied };
  }

  async expunge(user: string, mailbox: string, uids: readonly number[]): Promise<void> {
    const box = this.#mailbox(user, mailbox);
    if (!box) return;
    for (const uid of uids) {
      if (box.messages.delete(uid)) this.#notify(user, { kind: "expunged", mailbox: box.name, uid });
    }
  }

  watch(user: string, listener: (change: MailboxChange) => void): () => void {
    const set = this.#watchers.get(user) ?? new Set();
    this.#watchers.set(user, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#watchers.delete(user);
    };
  }

  /** Watchers currently registered for a user (tests check that sessions unsubscribe). */
  watcherCount(user: string): number {
    return this.#watchers.get(user)?.size ?? 0;
  }

  #mailbox(user: string, name: string): MemoryMailbox | undefined {
    return this.#users.get(user)?.get(canonicalName(name));
  }

  #statusOf(box: MemoryMailbox): MailboxStatus {
    let unseen = 0;
    for (const m of box.messages.values()) if (!m.flags.some((f) => f.toLowerCase() === "\\seen")) unseen++;
    return {
      name: box.name,
      uidValidity: box.uidValidity,
      uidNext: box.uidNext,
      messages: box.messages.size,
      unseen,
    };
  }

  #notify(user: string, change: MailboxChange): void {
    for (const listener of [...(this.#watchers.get(user) ?? [])]) {
      try {
        listener(change);
      } catch {
        // A watcher's failure belongs to that watcher's session, not to the writer.
      }
    }
  }
}
