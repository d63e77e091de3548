import type { CallParty, CallPlayItem, CallSession, UnansweredCallInfo } from "../../calls/index.ts";
import type { Logger } from "../../kernel/log.ts";
import type { MailboxSettings } from "./mailbox-settings.ts";
import type { VoicemailSpool } from "./voicemail-spool.ts";

export interface DepositOptions {
  spool: VoicemailSpool;
  logger: Logger;
  maxMessageSeconds: number;
  minMessageSeconds: number;
  silenceSeconds: number;
  /** The callee's greeting as a file to play, when they recorded one. */
  greetingFile?: string;
  settings: MailboxSettings | undefined;
  /** Whether the callee's mailbox has room. */
  full: boolean;
  /** When the call came in (the message's date). */
  date: Date;
}

const prompt = (name: string): CallPlayItem => ({ kind: "prompt", name });

/**
 * Leaving a message (the deposit of operators' voicemail): the caller is answered, hears the
 * callee's greeting (or the standard one), a beep, and is recorded until `#`, silence, hang-up or
 * the mailbox's maximum length. The caller's identity comes from the call: an authenticated user
 * is the sender (their signature goes with the message); anyone else is named by their From.
 */
export async function depositMessage(
  session: CallSession,
  caller: CallParty,
  info: UnansweredCallInfo,
  o: DepositOptions,
): Promise<void> {
  const mailbox = `${info.callee.extension}@${info.callee.domain}`.toLowerCase();
  session.answer(caller);
  if (o.full) {
    await session.play(caller, [prompt("mailbox-full"), prompt("goodbye")]);
    session.hangup(caller);
    return;
  }
  const greeting: CallPlayItem[] = o.greetingFile
    ? [{ kind: "file", path: o.greetingFile }]
    : [prompt("not-available"), prompt("leave-message")];
  // "#" during the greeting skips it (barge-in); the beep always plays.
  await session.play(caller, greeting, { bargeIn: true });
  if (ended(caller)) return;
  await session.play(caller, [{ kind: "tone", tone: "beep", maxMs: 500 }]);
  if (ended(caller)) return;
  const sender = info.caller
    ? {
        user: `${info.caller.extension}@${info.caller.domain}`.toLowerCase(),
        address: `${info.caller.extension}@${info.caller.domain}`.toLowerCase(),
        ...(info.presented?.name ? { name: info.presented.name } : {}),
      }
    : {
        address: `${mailLocalPart(info.presented?.user ?? "anonymous")}@${info.callee.domain}`,
        ...(info.presented?.name ? { name: info.presented.name } : {}),
      };
  const entry = o.spool.open({
    sender,
    recipients: [mailbox],
    callerId: info.caller?.extension ?? info.presented?.user ?? "anonymous",
    date: o.date,
  });
  const maxSeconds = o.settings?.maxMessageSeconds ?? o.maxMessageSeconds;
  const result = await session.recordMessage(caller, {
    path: entry.path,
    maxSeconds,
    silenceSeconds: o.silenceSeconds,
    terminators: "#",
  });
  o.logger.info({ mailbox, reason: result.reason, durationMs: result.durationMs }, "voice message recorded");
  const outcome = await o.spool
    .finish(entry.id, {
      minMs: o.minMessageSeconds * 1000,
      ...(result.reason === "silence" ? { trimMs: o.silenceSeconds * 1000 } : {}),
    })
    .catch((error: unknown) => {
      o.logger.error({ err: error, mailbox }, "voice message could not be delivered");
      return "failed" as const;
    });
  if (ended(caller)) return;
  await session.play(caller, [prompt(outcome === "sent" ? "message-saved" : "invalid"), prompt("goodbye")]);
  session.hangup(caller);
}

/** A caller id as the local part of a mail address (dot-atom characters only). */
function mailLocalPart(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]/g, "");
  return cleaned === "" ? "anonymous" : cleaned;
}

/** Whether the party hung up (read fresh: `state` changes under awaits). */
function ended(party: CallParty): boolean {
  return party.state === "Ended";
}
