import type { ResponseItem } from "../compiler/response.ts";
import { ImapCommandError } from "../errors.ts";
import type { MailLogin, MailStore } from "../mail-store.ts";
import type { ImapToken } from "../parser/command-parser.ts";
import type { SelectedMailbox } from "../selected-mailbox.ts";

/**
 * The connection states of https://www.rfc-editor.org/rfc/rfc3501#section-3, by their RFC names.
 */
export type ImapState = "NotAuthenticated" | "Authenticated" | "Selected" | "Logout";

/** A tagged answer (https://www.rfc-editor.org/rfc/rfc3501#section-7.1). */
export interface CommandResult {
  readonly status: "OK" | "NO" | "BAD";
  /** Response code without brackets (`READ-WRITE`, `COPYUID 1 2 3`, `UNAVAILABLE`). */
  readonly code?: string;
  readonly text: string;
  /** Runs once the tagged answer is written: the STARTTLS handshake, LOGOUT's close. */
  readonly after?: () => void | Promise<void>;
}

/** What a command handler may see and change of its connection. */
export interface ImapSession {
  readonly state: ImapState;
  /** The canonical user name once authenticated. */
  readonly user: string | undefined;
  readonly selected: SelectedMailbox | undefined;
  /** Whether the connection runs over TLS (implicit or after STARTTLS). */
  readonly secure: boolean;
  readonly tlsAvailable: boolean;
  readonly requireTls: boolean;
  readonly remoteAddress: string;
  readonly store: MailStore;
  readonly login: MailLogin;
  capabilities(): string[];
  /** False while the source address is over its login failure budget. */
  loginAllowed(): boolean;
  loginFailed(): void;
  authenticated(user: string): void;
  select(mailbox: SelectedMailbox): void;
  unselect(): void;
  startTls(): Promise<void>;
  logout(): void;
}

/** One command's view of its connection while it runs. */
export interface CommandContext {
  readonly tag: string;
  readonly name: string;
  readonly session: ImapSession;
  /** Writes an untagged response: `* <items>`. */
  send(...items: ResponseItem[]): void;
  /** Writes a command continuation request: `+ <text>` (§7.5). */
  continuation(text: string): void;
  /** The client's next line (AUTHENTICATE responses, IDLE's DONE); undefined once it is gone. */
  readLine(): Promise<Buffer | undefined>;
  /** Writes the selected mailbox's pending updates now, expunges included (IDLE). */
  flushUpdates(): Promise<void>;
}

/**
 * One IMAP command as a table entry (wildduck imap-core's commands/*.js shape): the states it
 * runs in, which untagged updates may follow it, and its handler. The connection refuses a command
 * in another state before the handler runs.
 */
export interface ImapCommand {
  readonly name: string;
  readonly states: readonly ImapState[];
  /**
   * Untagged mailbox updates written before the tagged answer: `all`, `no-expunge` (FETCH,
   * STORE and SEARCH: §7.4.1 "An EXPUNGE response MUST NOT be sent when no command is in
   * progress, nor while responding to a FETCH, STORE, or SEARCH command") or `none`.
   */
  readonly updates: "all" | "no-expunge" | "none";
  handle(context: CommandContext, args: readonly ImapToken[]): Promise<CommandResult>;
}

export function ok(text: string, code?: string): CommandResult {
  return code === undefined ? { status: "OK", text } : { status: "OK", code, text };
}

export function no(text: string, code?: string): CommandResult {
  return code === undefined ? { status: "NO", text } : { status: "NO", code, text };
}

export function bad(text: string): CommandResult {
  return { status: "BAD", text };
}

/** Refuses extra or missing arguments with BAD (the argument count part of a command's schema). */
export function expectArgs(
  context: CommandContext,
  args: readonly ImapToken[],
  min: number,
  max = min,
): void {
  if (args.length < min || args.length > max) {
    throw new ImapCommandError(
      "BAD",
      `${context.name} takes ${min === max ? min : `${min} to ${max}`} arguments`,
    );
  }
}

/** The selected mailbox; only called by commands that run in the Selected state. */
export function selectedOf(context: CommandContext): SelectedMailbox {
  const selected = context.session.selected;
  if (!selected) throw new ImapCommandError("BAD", "No mailbox selected");
  return selected;
}

/** The authenticated user; only called by commands that run after authentication. */
export function userOf(context: CommandContext): string {
  const user = context.session.user;
  if (user === undefined) throw new ImapCommandError("BAD", "Not authenticated");
  return user;
}

/** INBOX is case-insensitive (https://www.rfc-editor.org/rfc/rfc3501#section-5.1). */
export function mailboxName(name: string): string {
  return name.toUpperCase() === "INBOX" ? "INBOX" : name;
}
