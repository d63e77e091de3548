import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { MailboxChange, MailboxStatus, StoredMessage } from "../imap/index.ts";
import type { MessageCounts, VoicemailFolder, VoicemailStore } from "../services/voicemail/index.ts";
import type { MailMessageRow, Tables } from "./tables.ts";

/** The voicemail folders, in listing order (the service's VOICEMAIL_FOLDERS). */
const VOICEMAIL_FOLDERS: readonly VoicemailFolder[] = ["INBOX", "Old", "Saved"];

/** IMAP names INBOX case-insensitively (RFC 3501 §5.1); other names are kept as given. */
function canonical(name: string): string {
  return name.toUpperCase() === "INBOX" ? "INBOX" : name;
}

const splitFlags = (flags: string): string[] => (flags === "" ? [] : flags.split(" "));

/**
 * Voice mailboxes in SQL (SQLite or PostgreSQL), serving both the voicemail service and the IMAP
 * server. UIDVALIDITY and the next UID live in the mailbox row, so they survive restarts; a UID
 * is taken with one `UPDATE … RETURNING`, so two writers never get the same one. Changes made
 * through this object are announced to `watch` listeners of this process (a cluster fans them
 * out through its own channel).
 */
export class SqlVoicemailStore implements VoicemailStore {
  readonly #db: Kysely<Tables>;
  readonly #now: () => number;
  readonly #watchers = new Map<string, Set<(change: MailboxChange) => void>>();
  readonly #everyone = new Set<(user: string, change: MailboxChange) => void>();

  constructor(db: Kysely<Tables>, options: { now: () => number }) {
    this.#db = db;
    this.#now = options.now;
  }

  async ensureMailboxes(user: string): Promise<void> {
    const existing = await this.#db
      .selectFrom("mail_mailboxes")
      .select("name")
      .where("owner", "=", user)
      .execute();
    const have = new Set(existing.map((row) => row.name));
    const uidValidity = Math.floor(this.#now() / 1000);
    for (const name of VOICEMAIL_FOLDERS) {
      if (have.has(name)) continue;
      await this.#db
        .insertInto("mail_mailboxes")
        .values({ id: randomUUID(), owner: user, name, uid_validity: uidValidity, uid_next: 1 })
        .onConflict((oc) => oc.columns(["owner", "name"]).doNothing())
        .execute();
    }
  }

  async mailboxes(user: string): Promise<MailboxStatus[]> {
    await this.ensureMailboxes(user);
    const rows = await this.#db.selectFrom("mail_mailboxes").selectAll().where("owner", "=", user).execute();
    const order = (name: string) => {
      const i = (VOICEMAIL_FOLDERS as readonly string[]).indexOf(name);
      return i === -1 ? VOICEMAIL_FOLDERS.length : i;
    };
    rows.sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
    const out: MailboxStatus[] = [];
    for (const row of rows) out.push(await this.#status(row));
    return out;
  }

  async status(user: string, mailbox: string): Promise<MailboxStatus | undefined> {
    const row = await this.#mailbox(user, mailbox);
    return row ? this.#status(row) : undefined;
  }

  async messages(user: string, mailbox: string): Promise<StoredMessage[]> {
    const row = await this.#mailbox(user, mailbox);
    if (!row) return [];
    const rows = await this.#db
      .selectFrom("mail_messages")
      .select(["uid", "flags", "internal_date", "size"])
      .where("mailbox_id", "=", row.id)
      .orderBy("uid")
      .execute();
    return rows.map((m) => ({
      uid: Number(m.uid),
      flags: splitFlags(m.flags),
      internalDate: new Date(m.internal_date),
      size: Number(m.size),
    }));
  }

  async source(user: string, mailbox: string, uid: number): Promise<Buffer | undefined> {
    const row = await this.#mailbox(user, mailbox);
    if (!row) return undefined;
    const found = await this.#db
      .selectFrom("mail_messages")
      .select("source")
      .where("mailbox_id", "=", row.id)
      .where("uid", "=", uid)
      .executeTakeFirst();
    return found ? Buffer.from(found.source) : undefined;
  }

  async setFlags(
    user: string,
    mailbox: string,
    uid: number,
    flags: readonly string[],
  ): Promise<readonly string[] | undefined> {
    const row = await this.#mailbox(user, mailbox);
    if (!row) return undefined;
    const unique = [...new Set(flags)].filter((f) => f !== "\\Recent");
    const result = await this.#db
      .updateTable("mail_messages")
      .set({ flags: unique.join(" ") })
      .where("mailbox_id", "=", row.id)
      .where("uid", "=", uid)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    this.#announce(user, { kind: "flags", mailbox: row.name, uid, flags: unique });
    return unique;
  }

  async copy(
    user: string,
    from: string,
    uids: readonly number[],
    to: string,
  ): Promise<{ uidValidity: number; uids: number[] }> {
    const source = await this.#mailbox(user, from);
    const target = await this.#mailbox(user, to);
    if (!source || !target) throw new Error(`no mailbox ${source ? to : from}`);
    const copied: number[] = [];
    for (const uid of uids) {
      const message = await this.#db
        .selectFrom("mail_messages")
        .selectAll()
        .where("mailbox_id", "=", source.id)
        .where("uid", "=", uid)
        .executeTakeFirst();
      if (message) copied.push(await this.#insert(user, target, message));
    }
    return { uidValidity: Number(target.uid_validity), uids: copied };
  }

  async expunge(user: string, mailbox: string, uids: readonly number[]): Promise<void> {
    const row = await this.#mailbox(user, mailbox);
    if (!row || uids.length === 0) return;
    await this.#db
      .deleteFrom("mail_messages")
      .where("mailbox_id", "=", row.id)
      .where("uid", "in", [...uids])
      .execute();
    for (const uid of uids) this.#announce(user, { kind: "expunged", mailbox: row.name, uid });
  }

  watch(user: string, listener: (change: MailboxChange) => void): () => void {
    let set = this.#watchers.get(user);
    if (!set) {
      set = new Set();
      this.#watchers.set(user, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#watchers.delete(user);
    };
  }

  watchAll(listener: (user: string, change: MailboxChange) => void): () => void {
    this.#everyone.add(listener);
    return () => this.#everyone.delete(listener);
  }

  async append(
    user: string,
    mailbox: VoicemailFolder,
    raw: Buffer,
    options: { date: Date; flags?: readonly string[] },
  ): Promise<number> {
    await this.ensureMailboxes(user);
    const target = await this.#mailbox(user, mailbox);
    if (!target) throw new Error(`no mailbox ${mailbox}`);
    return this.#insert(user, target, {
      flags: (options.flags ?? []).join(" "),
      internal_date: options.date.toISOString(),
      size: raw.length,
      source: raw,
    });
  }

  /** RFC 3842 counts: new = unheard in INBOX, old = every other message; \Deleted ones not at all. */
  async counts(user: string): Promise<MessageCounts> {
    const rows = await this.#db
      .selectFrom("mail_messages")
      .innerJoin("mail_mailboxes", "mail_mailboxes.id", "mail_messages.mailbox_id")
      .select(["mail_mailboxes.name", "mail_messages.flags"])
      .where("mail_mailboxes.owner", "=", user)
      .execute();
    const counts: MessageCounts = { newMessages: 0, oldMessages: 0, urgentNew: 0, urgentOld: 0 };
    for (const row of rows) {
      const flags = splitFlags(row.flags);
      if (flags.includes("\\Deleted")) continue;
      const urgent = flags.includes("\\Flagged");
      if (row.name === "INBOX" && !flags.includes("\\Seen")) {
        counts.newMessages += 1;
        if (urgent) counts.urgentNew += 1;
      } else {
        counts.oldMessages += 1;
        if (urgent) counts.urgentOld += 1;
      }
    }
    return counts;
  }

  async #insert(
    user: string,
    target: { id: string; name: string },
    message: Pick<MailMessageRow, "flags" | "internal_date" | "size" | "source">,
  ): Promise<number> {
    const taken = await this.#db
      .updateTable("mail_mailboxes")
      .set((eb) => ({ uid_next: eb("uid_next", "+", 1) }))
      .where("id", "=", target.id)
      .returning("uid_next")
      .executeTakeFirstOrThrow();
    const uid = Number(taken.uid_next) - 1;
    await this.#db
      .insertInto("mail_messages")
      .values({
        mailbox_id: target.id,
        uid,
        flags: message.flags,
        internal_date: message.internal_date,
        size: Number(message.size),
        source: Buffer.from(message.source),
      })
      .execute();
    this.#announce(user, { kind: "added", mailbox: target.name, uid });
    return uid;
  }

  #mailbox(user: string, name: string) {
    return this.#db
      .selectFrom("mail_mailboxes")
      .selectAll()
      .where("owner", "=", user)
      .where("name", "=", canonical(name))
      .executeTakeFirst();
  }

  async #status(row: {
    id: string;
    name: string;
    uid_validity: number | string;
    uid_next: number;
  }): Promise<MailboxStatus> {
    const flags = await this.#db
      .selectFrom("mail_messages")
      .select("flags")
      .where("mailbox_id", "=", row.id)
      .execute();
    return {
      name: row.name,
      uidValidity: Number(row.uid_validity),
      uidNext: Number(row.uid_next),
      messages: flags.length,
      unseen: flags.filter((f) => !splitFlags(f.flags).includes("\\Seen")).length,
    };
  }

  #announce(user: string, change: MailboxChange): void {
    for (const listener of [...this.#everyone]) {
      try {
        listener(user, change);
      } catch {
        // As below.
      }
    }
    for (const listener of [...(this.#watchers.get(user) ?? [])]) {
      try {
        listener(change);
      } catch {
        // A watcher's failure is its own; the write has happened.
      }
    }
  }
}
