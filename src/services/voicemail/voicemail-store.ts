import type { MailboxChange, MailStore } from "../../imap/index.ts";

/**
 * The voice mailboxes (declared by the voicemail service, its consumer). They are the IMAP
 * server's mailboxes too: the SQL adapter implements both ports over the same rows, so flags set
 * over IMAP and state changed by phone are one state. Each message is the MIME message as it was
 * delivered (VPIM-style, signature parts included).
 *
 * Conventions (docs/voicemail.md):
 * - folders `INBOX` (new and heard), `Old` (heard, moved there by the phone menu), `Saved`;
 * - `\Seen` = heard, `\Flagged` = urgent, `\Deleted` = deleted until the next expunge.
 */
export const VOICEMAIL_FOLDERS = ["INBOX", "Old", "Saved"] as const;
export type VoicemailFolder = (typeof VOICEMAIL_FOLDERS)[number];

/** RFC 3842 §5.2 counts: new = unheard in INBOX, old = every other message not deleted. */
export interface MessageCounts {
  newMessages: number;
  oldMessages: number;
  urgentNew: number;
  urgentOld: number;
}

export interface VoicemailStore extends MailStore {
  /** Creates the user's INBOX, Old and Saved when missing (each with a fresh UIDVALIDITY). */
  ensureMailboxes(user: string): Promise<void>;
  /** Files a message; returns its UID. */
  append(
    user: string,
    mailbox: VoicemailFolder,
    raw: Buffer,
    options: { date: Date; flags?: readonly string[] },
  ): Promise<number>;
  /** The message-waiting counts of one user. */
  counts(user: string): Promise<MessageCounts>;
  /** Calls `listener` on every change to anyone's mailboxes (message-waiting lamps); returns the unsubscribe. */
  watchAll(listener: (user: string, change: MailboxChange) => void): () => void;
}

/** Counts a user's messages the RFC 3842 way, from each folder's list (for stores without a query of their own). */
export async function countMessages(store: MailStore, user: string): Promise<MessageCounts> {
  const counts: MessageCounts = { newMessages: 0, oldMessages: 0, urgentNew: 0, urgentOld: 0 };
  for (const folder of VOICEMAIL_FOLDERS) {
    for (const message of await store.messages(user, folder)) {
      if (message.flags.includes("\\Deleted")) continue;
      const isNew = folder === "INBOX" && !message.flags.includes("\\Seen");
      const urgent = message.flags.includes("\\Flagged");
      if (isNew) {
        counts.newMessages += 1;
        if (urgent) counts.urgentNew += 1;
      } else {
        counts.oldMessages += 1;
        if (urgent) counts.urgentOld += 1;
      }
    }
  }
  return counts;
}

export type { MailboxChange };
