import { atom, flagList, type ResponseItem } from "./compiler/response.ts";
import { ImapCommandError } from "./errors.ts";
import type { MailboxChange, MailStore } from "./mail-store.ts";
import type { SequenceSet } from "./parser/sequence-set.ts";

/** A message as this session sees it: its sequence number is its position in the list. */
export interface MessageEntry {
  readonly uid: number;
  flags: readonly string[];
  readonly internalDate: Date;
  readonly size: number;
}

export interface SelectedMailboxOptions {
  store: MailStore;
  user: string;
  /** The canonical mailbox name (INBOX upper-cased). */
  name: string;
  readOnly: boolean;
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}

export function hasFlag(flags: readonly string[], flag: string): boolean {
  const lower = flag.toLowerCase();
  return flags.some((f) => f.toLowerCase() === lower);
}

/**
 * One session's view of its selected mailbox (https://www.rfc-editor.org/rfc/rfc3501#section-3.3):
 * the sequence-number map, the session's \Recent set and the changes made by other writers
 * (other IMAP sessions, the phone menu) waiting to be told. Changes arrive from MailStore.watch at
 * any time and are only written as untagged EXISTS/EXPUNGE/FETCH when the connection asks
 * (`updates`), because §5.2 says "the server MUST NOT send [...] untagged EXPUNGE [...] while no
 * command is in progress" and message sequence numbers may only move at such points.
 */
export class SelectedMailbox {
  readonly name: string;
  readonly readOnly: boolean;
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly #entries: MessageEntry[];
  readonly #recent = new Set<number>();
  readonly #pendingFlags = new Map<number, readonly string[]>();
  readonly #pendingExpunged = new Set<number>();
  readonly #store: MailStore;
  readonly #user: string;
  #pendingAdded = false;
  #highestUid: number;
  #unwatch: (() => void) | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Called when a change arrives (IDLE writes updates at once). */
  onChange: (() => void) | undefined;

  private constructor(
    options: SelectedMailboxOptions,
    status: { uidValidity: number; uidNext: number },
    entries: MessageEntry[],
  ) {
    this.name = options.name;
    this.readOnly = options.readOnly;
    this.#store = options.store;
    this.#user = options.user;
    this.uidValidity = status.uidValidity;
    this.uidNext = status.uidNext;
    this.#entries = entries;
    this.#highestUid = Math.max(status.uidNext - 1, entries[entries.length - 1]?.uid ?? 0);
  }

  /** Opens a mailbox for a session; undefined when it does not exist. */
  static async open(options: SelectedMailboxOptions): Promise<SelectedMailbox | undefined> {
    const pending: MailboxChange[] = [];
    const unwatch = options.store.watch(options.user, (change) => pending.push(change));
    try {
      const status = await options.store.status(options.user, options.name);
      if (!status) {
        unwatch();
        return undefined;
      }
      const messages = await options.store.messages(options.user, options.name);
      const mailbox = new SelectedMailbox(
        options,
        status,
        messages.map((m) => ({
          uid: m.uid,
          flags: [...m.flags],
          internalDate: m.internalDate,
          size: m.size,
        })),
      );
      unwatch();
      mailbox.#unwatch = options.store.watch(options.user, (change) => mailbox.#receive(change));
      for (const change of pending) mailbox.#receive(change);
      return mailbox;
    } catch (error) {
      unwatch();
      throw error;
    }
  }

  get exists(): number {
    return this.#entries.length;
  }

  get recentCount(): number {
    return this.#recent.size;
  }

  get entries(): readonly MessageEntry[] {
    return this.#entries;
  }

  get user(): string {
    return this.#user;
  }

  isRecent(uid: number): boolean {
    return this.#recent.has(uid);
  }

  /** The largest UID this session has seen (what `*` means in a UID set). */
  get highestUid(): number {
    return this.#entries[this.#entries.length - 1]?.uid ?? 0;
  }

  seqOf(uid: number): number {
    return this.#entries.findIndex((e) => e.uid === uid) + 1;
  }

  /**
   * The messages a sequence set names, with their sequence numbers, in ascending order. A message
   * sequence number past the mailbox is an error (§9: "the server should respond with a tagged
   * BAD"); UIDs that do not exist are skipped (§6.4.8).
   */
  resolve(set: SequenceSet, byUid: boolean): Array<{ seq: number; entry: MessageEntry }> {
    if (!byUid) {
      // `*` in an empty mailbox names no message: `FETCH 1:*` there answers OK with nothing, for
      // clients that fetch a whole mailbox without looking at EXISTS first.
      if (this.#entries.length === 0 && set.hasStar) return [];
      if (this.#entries.length === 0 || set.largestNumber > this.#entries.length) {
        throw new ImapCommandError("BAD", "Invalid message sequence number");
      }
    }
    const star = byUid ? this.highestUid : this.#entries.length;
    const out: Array<{ seq: number; entry: MessageEntry }> = [];
    this.#entries.forEach((entry, i) => {
      if (set.contains(byUid ? entry.uid : i + 1, star)) out.push({ seq: i + 1, entry });
    });
    return out;
  }

  /** Records flags this session just stored, so the store's echo of the change is not repeated. */
  setFlags(uid: number, flags: readonly string[]): void {
    const entry = this.#entries.find((e) => e.uid === uid);
    if (entry) entry.flags = [...flags];
  }

  /**
   * Removes messages this session expunged; returns the sequence numbers to announce, highest
   * first so that each is right when it is read (§7.4.1).
   */
  removeExpunged(uids: readonly number[]): number[] {
    const seqs: number[] = [];
    for (const uid of [...uids].sort((a, b) => b - a)) {
      const index = this.#entries.findIndex((e) => e.uid === uid);
      if (index < 0) continue;
      this.#entries.splice(index, 1);
      this.#recent.delete(uid);
      seqs.push(index + 1);
    }
    return seqs;
  }

  /** The untagged responses for what changed since the last call (EXPUNGE only when allowed). */
  updates(allowExpunge: boolean): Promise<ResponseItem[][]> {
    const run = this.#chain.then(() => this.#collect(allowExpunge));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.onChange = undefined;
  }

  #receive(change: MailboxChange): void {
    const mailbox = change.mailbox.toUpperCase() === "INBOX" ? "INBOX" : change.mailbox;
    if (mailbox !== this.name) return;
    if (change.kind === "added") this.#pendingAdded = true;
    else if (change.kind === "flags") this.#pendingFlags.set(change.uid, change.flags);
    else this.#pendingExpunged.add(change.uid);
    this.onChange?.();
  }

  async #collect(allowExpunge: boolean): Promise<ResponseItem[][]> {
    const lines: ResponseItem[][] = [];
    if (allowExpunge && this.#pendingExpunged.size > 0) {
      const gone = [...this.#pendingExpunged];
      this.#pendingExpunged.clear();
      for (const seq of this.removeExpunged(gone)) lines.push([seq, atom("EXPUNGE")]);
    }
    for (const [uid, flags] of this.#pendingFlags) {
      const seq = this.seqOf(uid);
      const entry = this.#entries[seq - 1];
      if (!entry || sameFlags(entry.flags, flags)) continue;
      entry.flags = [...flags];
      lines.push([seq, atom("FETCH"), [atom("UID"), uid, atom("FLAGS"), flagList(this.flagsOf(entry))]]);
    }
    this.#pendingFlags.clear();
    if (this.#pendingAdded) {
      this.#pendingAdded = false;
      const messages = await this.#store.messages(this.#user, this.name);
      const fresh = messages.filter((m) => m.uid > this.#highestUid);
      for (const m of fresh) {
        this.#entries.push({ uid: m.uid, flags: [...m.flags], internalDate: m.internalDate, size: m.size });
        this.#recent.add(m.uid);
        this.#highestUid = m.uid;
      }
      if (fresh.length > 0)
        lines.push([this.#entries.length, atom("EXISTS")], [this.#recent.size, atom("RECENT")]);
    }
    return lines;
  }

  /** A message's flags as FETCH FLAGS shows them, \Recent included for this session. */
  flagsOf(entry: MessageEntry): readonly string[] {
    return this.#recent.has(entry.uid) ? [...entry.flags, "\\Recent"] : entry.flags;
  }
}
