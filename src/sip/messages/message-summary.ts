import { SipParseError } from "../errors.ts";

/** RFC 3842 §5.1: the body type of `message-summary` NOTIFYs. */
export const MESSAGE_SUMMARY_TYPE = "application/simple-message-summary";

/** Message context classes (RFC 3458 §4), as the header names of RFC 3842 §5.2's summary lines. */
export type MessageContextClass =
  | "voice-message"
  | "fax-message"
  | "pager-message"
  | "multimedia-message"
  | "text-message"
  | "none";

/** One summary line: `new/old (urgent new/urgent old)`. */
export interface MessageCounts {
  new: number;
  old: number;
  urgentNew?: number;
  urgentOld?: number;
}

/**
 * What a mailbox holds, as RFC 3842 §5.2 tells it: the voice-message counts at the top level
 * (voicemail is what Parley stores), other context classes under `others`.
 */
export interface MessageSummary extends MessageCounts {
  /** `Messages-Waiting`; when left out, "yes" when some class has new (or new urgent) messages. */
  waiting?: boolean;
  /** `Message-Account`: the mailbox URI (RFC 3842 §5.2 Account-URI). */
  account?: string;
  /** Summary lines of the other context classes (fax-message, text-message …). */
  others?: Partial<Record<Exclude<MessageContextClass, "voice-message">, MessageCounts>>;
}

/** RFC 3842 §5.2: "msgcount = 1*DIGIT ; MUST NOT exceed 2^32-1". */
const MAX_COUNT = 2 ** 32 - 1;

const CLASSES: readonly MessageContextClass[] = [
  "voice-message",
  "fax-message",
  "pager-message",
  "multimedia-message",
  "text-message",
  "none",
];

/** The canonical spelling of each class in a body ("Voice-Message"), as RFC 3842's examples write them. */
const DISPLAY: Readonly<Record<MessageContextClass, string>> = {
  "voice-message": "Voice-Message",
  "fax-message": "Fax-Message",
  "pager-message": "Pager-Message",
  "multimedia-message": "Multimedia-Message",
  "text-message": "Text-Message",
  none: "None",
};

const COUNTS =
  /^(\d{1,10})[ \t]*\/[ \t]*(\d{1,10})(?:[ \t]*\([ \t]*(\d{1,10})[ \t]*\/[ \t]*(\d{1,10})[ \t]*\))?$/;

/**
 * Writes an `application/simple-message-summary` body (RFC 3842 §5.2):
 *
 *     Messages-Waiting: yes
 *     Message-Account: sip:alice@vmail.example.com
 *     Voice-Message: 4/8 (1/2)
 *
 * The urgent counts are always written (0/0 when not given), as Asterisk and FreeSWITCH do, since
 * some phones read the line only in that form. Counts that are not integers in 0..2^32-1 and an
 * account with a line break are the caller's bug and throw a RangeError.
 * https://www.rfc-editor.org/rfc/rfc3842#section-5.2
 */
export function formatMessageSummary(summary: MessageSummary): string {
  const lines = [`Messages-Waiting: ${waitingOf(summary) ? "yes" : "no"}`];
  if (summary.account !== undefined) {
    if (/[\r\n]/.test(summary.account) || summary.account.trim() === "")
      throw new RangeError("Message-Account must be a URI on one line");
    lines.push(`Message-Account: ${summary.account.trim()}`);
  }
  lines.push(`${DISPLAY["voice-message"]}: ${countsText(summary)}`);
  for (const name of CLASSES) {
    if (name === "voice-message") continue;
    const counts = summary.others?.[name];
    if (counts) lines.push(`${DISPLAY[name]}: ${countsText(counts)}`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * Reads an `application/simple-message-summary` body (RFC 3842 §5.2). Header names are matched
 * without regard to case, as SIP header names are; lines the grammar does not name (and the
 * `opt-msg-headers` after an empty line) are skipped. A body without a `Messages-Waiting` line,
 * with a status other than yes/no, or with a summary line that is not `n/n [(n/n)]` throws a
 * SipParseError ("Bad message-summary"); nothing else is thrown. A missing voice line reads as 0/0.
 */
export function parseMessageSummary(body: Buffer | string): MessageSummary {
  const text = typeof body === "string" ? body : body.toString("utf8");
  const fail = (detail: string): never => {
    throw new SipParseError("Bad message-summary", detail);
  };
  const lines = unfold(text);
  let waiting: boolean | undefined;
  let account: string | undefined;
  const found = new Map<MessageContextClass, Required<MessageCounts>>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) fail(`not a header line: ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "messages-waiting") {
      if (waiting !== undefined) fail("more than one Messages-Waiting");
      const status = value.toLowerCase();
      if (status !== "yes" && status !== "no") fail(`Messages-Waiting must be yes or no, not ${value}`);
      waiting = status === "yes";
    } else if (name === "message-account") {
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) fail("Message-Account is not a URI");
      account = value;
    } else if ((CLASSES as readonly string[]).includes(name)) {
      found.set(name as MessageContextClass, parseCounts(value, fail));
    }
  }
  if (waiting === undefined) return fail("no Messages-Waiting line");
  const voice = found.get("voice-message") ?? { new: 0, old: 0, urgentNew: 0, urgentOld: 0 };
  const summary: MessageSummary = { waiting, ...voice };
  if (account !== undefined) summary.account = account;
  for (const [name, counts] of found) {
    if (name === "voice-message") continue;
    summary.others ??= {};
    summary.others[name] = counts;
  }
  return summary;
}

/** `Messages-Waiting` as written: the stated value, else whether any class has new messages. */
function waitingOf(summary: MessageSummary): boolean {
  if (summary.waiting !== undefined) return summary.waiting;
  const all: MessageCounts[] = [summary, ...Object.values(summary.others ?? {})];
  return all.some((c) => c.new > 0 || (c.urgentNew ?? 0) > 0);
}

function countsText(counts: MessageCounts): string {
  const n = [counts.new, counts.old, counts.urgentNew ?? 0, counts.urgentOld ?? 0];
  for (const value of n) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT)
      throw new RangeError(`a message count must be an integer in 0..2^32-1, not ${value}`);
  }
  return `${n[0]}/${n[1]} (${n[2]}/${n[3]})`;
}

function parseCounts(value: string, fail: (detail: string) => never): Required<MessageCounts> {
  const match = COUNTS.exec(value);
  if (!match) return fail(`a summary line must be new/old [(urgent/urgent)], not ${JSON.stringify(value)}`);
  const n = match.slice(1).map((digits) => (digits === undefined ? 0 : Number(digits)));
  if (n.some((count) => count > MAX_COUNT)) fail("a message count above 2^32-1");
  return { new: n[0] ?? 0, old: n[1] ?? 0, urgentNew: n[2] ?? 0, urgentOld: n[3] ?? 0 };
}

/**
 * The lines of the summary part: up to the first empty line after content (what follows is
 * `opt-msg-headers`), with folded continuation lines joined as in SIP headers (RFC 3261 §7.3.1).
 */
function unfold(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === "") {
      if (lines.length > 0) break;
      continue;
    }
    if (/^[ \t]/.test(raw) && lines.length > 0) lines[lines.length - 1] += ` ${raw.trim()}`;
    else lines.push(raw);
  }
  return lines;
}
