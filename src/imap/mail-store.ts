/**
 * The port through which the IMAP server reaches mailboxes (declared here, by its consumer;
 * ARCHITECTURE §2 rule 6). Node/ wires the SQL adapter that voicemail also writes to, so flags read
 * over IMAP and state changed by phone are the same state. `MemoryMailStore` is the in-process
 * implementation used by the IMAP tests.
 *
 * Users are named by their login identity ("alice@example.com"); mailbox names are IMAP names
 * ("INBOX", "Old", "Saved"), INBOX case-insensitive (RFC 3501 §5.1).
 */

/** A mailbox's counters (RFC 3501 §6.3.10 STATUS items; UIDVALIDITY stable across restarts). */
export interface MailboxStatus {
  readonly name: string;
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly messages: number;
  readonly unseen: number;
}

/** One message as the store keeps it: the raw RFC 5322 bytes are fetched separately. */
export interface StoredMessage {
  readonly uid: number;
  /** System flags with their backslash (`\Seen`, `\Deleted`, `\Flagged`, `\Answered`, `\Draft`) and keywords. */
  readonly flags: readonly string[];
  readonly internalDate: Date;
  /** RFC822.SIZE: the raw message's length in bytes. */
  readonly size: number;
}

/** What changed in a user's mailbox, for IDLE and for the untagged updates of other sessions. */
export type MailboxChange =
  | { kind: "added"; mailbox: string; uid: number }
  | { kind: "flags"; mailbox: string; uid: number; flags: readonly string[] }
  | { kind: "expunged"; mailbox: string; uid: number };

export interface MailStore {
  /** The mailboxes this user has, with their counters. */
  mailboxes(user: string): Promise<MailboxStatus[]>;
  /** One mailbox's counters, or undefined when it does not exist. */
  status(user: string, mailbox: string): Promise<MailboxStatus | undefined>;
  /** Every message in a mailbox, in ascending UID order (the sequence numbers are their positions). */
  messages(user: string, mailbox: string): Promise<StoredMessage[]>;
  /** The raw RFC 5322 message, or undefined when it was expunged meanwhile. */
  source(user: string, mailbox: string, uid: number): Promise<Buffer | undefined>;
  /** Replaces a message's flags; returns the new flags (undefined when the message is gone). */
  setFlags(
    user: string,
    mailbox: string,
    uid: number,
    flags: readonly string[],
  ): Promise<readonly string[] | undefined>;
  /** Copies messages into another mailbox of the same user; returns the new UIDs in order (RFC 4315 COPYUID). */
  copy(
    user: string,
    from: string,
    uids: readonly number[],
    to: string,
  ): Promise<{ uidValidity: number; uids: number[] }>;
  /** Removes these messages for good (the caller only passes \Deleted ones). */
  expunge(user: string, mailbox: string, uids: readonly number[]): Promise<void>;
  /** Calls `listener` on every change to the user's mailboxes, from any writer; returns the unsubscribe. */
  watch(user: string, listener: (change: MailboxChange) => void): () => void;
}

/** Checks an IMAP login; returns the canonical user name ("alice@example.com") or undefined. */
export interface MailLogin {
  verify(username: string, password: string): Promise<string | undefined>;
}
