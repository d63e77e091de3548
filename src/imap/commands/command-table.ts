import { authenticateCommand } from "./authenticate.ts";
import { capabilityCommand } from "./capability.ts";
import { checkCommand } from "./check.ts";
import { closeCommand, unselectCommand } from "./close.ts";
import type { ImapCommand, ImapState } from "./command.ts";
import { copyCommand, uidCopyCommand } from "./copy.ts";
import { expungeCommand, uidExpungeCommand } from "./expunge.ts";
import { fetchCommand, uidFetchCommand } from "./fetch.ts";
import { idleCommand } from "./idle.ts";
import { listCommand, lsubCommand } from "./list.ts";
import { loginCommand } from "./login.ts";
import { logoutCommand } from "./logout.ts";
import {
  appendCommand,
  createCommand,
  deleteCommand,
  renameCommand,
  subscribeCommand,
  unsubscribeCommand,
} from "./mailbox-edits.ts";
import { noopCommand } from "./noop.ts";
import { searchCommand, uidSearchCommand } from "./search.ts";
import { examineCommand, selectCommand } from "./select.ts";
import { starttlsCommand } from "./starttls.ts";
import { statusCommand } from "./status.ts";
import { storeCommand, uidStoreCommand } from "./store.ts";

/** Every command the server knows, as one literal table (ARCHITECTURE §5.11). */
const COMMANDS: readonly ImapCommand[] = [
  capabilityCommand,
  noopCommand,
  logoutCommand,
  starttlsCommand,
  loginCommand,
  authenticateCommand,
  selectCommand,
  examineCommand,
  createCommand,
  deleteCommand,
  renameCommand,
  subscribeCommand,
  unsubscribeCommand,
  listCommand,
  lsubCommand,
  statusCommand,
  appendCommand,
  checkCommand,
  closeCommand,
  unselectCommand,
  expungeCommand,
  uidExpungeCommand,
  searchCommand,
  uidSearchCommand,
  fetchCommand,
  uidFetchCommand,
  storeCommand,
  uidStoreCommand,
  copyCommand,
  uidCopyCommand,
  idleCommand,
];

function tableFor(state: ImapState): ReadonlyMap<string, ImapCommand> {
  return new Map(COMMANDS.filter((c) => c.states.includes(state)).map((c) => [c.name, c]));
}

/**
 * One handler table per connection state (https://www.rfc-editor.org/rfc/rfc3501#section-3), in
 * the way Asterisk's cdr.c keeps one fn table per state: a command missing from the current
 * state's table is refused before any handler runs. Logout accepts nothing.
 */
export const commandsByState: Readonly<Record<ImapState, ReadonlyMap<string, ImapCommand>>> = {
  NotAuthenticated: tableFor("NotAuthenticated"),
  Authenticated: tableFor("Authenticated"),
  Selected: tableFor("Selected"),
  Logout: tableFor("Logout"),
};

/** Names of all commands, to tell "wrong state" from "unknown command". */
export const commandNames: ReadonlySet<string> = new Set(COMMANDS.map((c) => c.name));
