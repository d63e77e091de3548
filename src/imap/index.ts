/**
 * Parley's IMAP4rev1 server (RFC 3501) for reading voice mailboxes: the public surface. Nothing
 * outside src/imap imports a deeper path (ARCHITECTURE §2 rule 7).
 */
export { ImapCommandError, ImapOptionsError, ImapParseError } from "./errors.ts";
export { ImapServer, type ImapServerOptions } from "./imap-server.ts";
export type { MailboxChange, MailboxStatus, MailLogin, MailStore, StoredMessage } from "./mail-store.ts";
export { MemoryMailStore, type MemoryMailStoreOptions } from "./memory-mail-store.ts";
