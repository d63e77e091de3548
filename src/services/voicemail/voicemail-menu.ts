import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verify } from "@node-rs/argon2";
import type { CallParty, CallPlayItem, CallSession } from "../../calls/index.ts";
import type { Logger } from "../../kernel/log.ts";
import { parseVoiceMessage } from "../../smtp/index.ts";
import type { MailboxSettingsStore } from "./mailbox-settings.ts";
import { spokenDate, spokenDigits, spokenNumber } from "./spoken-items.ts";
import type { VoicemailStore } from "./voicemail-store.ts";

export interface MenuOptions {
  store: VoicemailStore;
  settings: MailboxSettingsStore;
  logger: Logger;
  /** Where played audio is written for the player. */
  scratchDir: string;
  /** Whether a mailbox (extension@domain) exists. */
  userExists(user: string): Promise<boolean>;
  /** Stores a greeting recorded by phone. */
  saveGreeting(user: string, wav: Buffer): Promise<void>;
  /** The greeting file to play, when the user has one. */
  greetingFile(user: string): Promise<string | undefined>;
  maxGreetingSeconds: number;
}

const prompt = (name: string): CallPlayItem => ({ kind: "prompt", name });
const MENU_TIMEOUT_MS = 6000;

/**
 * The phone menu (`*98` own box, `*99` any box): PIN, then the messages, newest unheard first, each
 * introduced by its date and sender, then the sender's voice signature, then the message; digits
 * act at once, also while a prompt plays (barge-in): 7 delete, 9 save (to Saved), # next (the
 * heard message moves to Old), 0 options (1 record greeting, 2 hear it, 3 standard greeting,
 * * back). The options are offered again after the last message. State changes here are the IMAP state: \Seen, moves between INBOX/Old/Saved, expunge.
 */
export class VoicemailMenu {
  readonly #o: MenuOptions;
  readonly #session: CallSession;
  readonly #party: CallParty;
  readonly #scratch: string[] = [];
  #ownerCalling = false;

  constructor(session: CallSession, party: CallParty, options: MenuOptions) {
    this.#session = session;
    this.#party = party;
    this.#o = options;
  }

  /** Runs the menu for `box` (undefined: ask for the mailbox number); `needPin` false for a user's own phone without a PIN. */
  async run(box: string | undefined, domain: string): Promise<void> {
    this.#session.answer(this.#party);
    try {
      const user = box ?? (await this.#askMailbox(domain));
      if (!user || !(await this.#authenticate(user))) {
        await this.#say(prompt("goodbye"));
        return;
      }
      this.#o.logger.info({ mailbox: user }, "voicemail menu opened");
      await this.#messages(user);
      if (this.#ended) return;
      // After the messages, the mailbox options (greeting); star or silence ends the call.
      await this.#say(prompt("no-more-messages"));
      await this.#options(user);
      await this.#say(prompt("goodbye"));
    } finally {
      for (const file of this.#scratch) rmSync(file, { force: true });
      if (!this.#ended) this.#session.hangup(this.#party);
    }
  }

  get #ended(): boolean {
    return this.#party.state === "Ended";
  }

  async #askMailbox(domain: string): Promise<string | undefined> {
    const digits = await this.#askDigits([prompt("enter-mailbox")], 16);
    const user = `${digits}@${domain}`.toLowerCase();
    return digits !== "" && (await this.#o.userExists(user)) ? user : undefined;
  }

  /** Three tries at the PIN; a box without a PIN opens only from its owner's phone (box given). */
  async #authenticate(user: string): Promise<boolean> {
    const pinHash = (await this.#o.settings.get(user))?.pinHash;
    if (!pinHash) return this.#ownerCalling;
    for (let attempt = 0; attempt < 3 && !this.#ended; attempt++) {
      const pin = await this.#askDigits([prompt("enter-pin")], 12);
      if (pin !== "" && (await verify(pinHash, pin).catch(() => false))) return true;
      this.#o.logger.warn({ mailbox: user }, "wrong voicemail PIN");
      await this.#say(prompt("wrong-pin"));
    }
    return false;
  }

  /** Marks that the caller is the box's owner on their own authenticated phone. */
  ownerCalling(): this {
    this.#ownerCalling = true;
    return this;
  }

  async #messages(user: string): Promise<void> {
    const inbox = await this.#o.store.messages(user, "INBOX");
    const unheard = inbox.filter((m) => !m.flags.includes("\\Seen") && !m.flags.includes("\\Deleted"));
    const heard = inbox.filter((m) => m.flags.includes("\\Seen") && !m.flags.includes("\\Deleted"));
    await this.#say(
      ...(unheard.length === 0
        ? [prompt("no-messages")]
        : [...spokenNumber(Math.min(unheard.length, 59)), prompt("new-messages")]),
    );
    for (const message of [...unheard.reverse(), ...heard.reverse()]) {
      if (this.#ended) return;
      const digit = await this.#playMessage(user, message.uid, message.flags);
      if (digit === "hangup") return;
    }
  }

  /** Plays one message and acts on the digit pressed; returns what happened. */
  async #playMessage(user: string, uid: number, flags: readonly string[]): Promise<string> {
    const raw = await this.#o.store.source(user, "INBOX", uid);
    if (!raw) return "gone";
    const parsed = await parseVoiceMessage(raw).catch(() => undefined);
    const items: CallPlayItem[] = [];
    if (flags.includes("\\Flagged")) items.push(prompt("urgent"));
    if (parsed?.callerId) items.push(prompt("message-from"), ...spokenDigits(parsed.callerId));
    if (parsed?.date) items.push(...spokenDate(parsed.date));
    if (parsed?.signature.voice)
      items.push({ kind: "file", path: this.#scratchFile(parsed.signature.voice) });
    if (parsed) items.push({ kind: "file", path: this.#scratchFile(parsed.audio.data) });
    let digit = await this.#playCollect(items);
    if (!flags.includes("\\Seen")) await this.#o.store.setFlags(user, "INBOX", uid, [...flags, "\\Seen"]);
    for (let asked = 0; digit === undefined && asked < 2 && !this.#ended; asked++) {
      digit = await this.#playCollect([prompt("message-menu")]);
    }
    while (digit === "0" && !this.#ended) {
      await this.#options(user);
      digit = await this.#playCollect([prompt("message-menu")]);
    }
    if (this.#ended) return "hangup";
    if (digit === "7") {
      const now = (await this.#o.store.messages(user, "INBOX")).find((m) => m.uid === uid);
      await this.#o.store.setFlags(user, "INBOX", uid, [...(now?.flags ?? []), "\\Deleted"]);
      await this.#o.store.expunge(user, "INBOX", [uid]);
      await this.#say(prompt("message-deleted"));
      return "7";
    }
    const folder = digit === "9" ? "Saved" : "Old";
    await this.#o.store.copy(user, "INBOX", [uid], folder);
    await this.#o.store.expunge(user, "INBOX", [uid]);
    if (digit === "9") await this.#say(prompt("message-kept"));
    return digit ?? "#";
  }

  /** 0: 1 record greeting, 2 hear it, 3 standard greeting, * back. */
  async #options(user: string): Promise<void> {
    for (;;) {
      const digit = await this.#playCollect([prompt("options-menu")]);
      if (this.#ended || digit === undefined || digit === "*") return;
      if (digit === "1") {
        await this.#say(prompt("record-greeting"), { kind: "tone", tone: "beep", maxMs: 500 });
        const path = join(this.#o.scratchDir, `${randomUUID()}.wav`);
        this.#scratch.push(path);
        const result = await this.#session.recordMessage(this.#party, {
          path,
          maxSeconds: this.#o.maxGreetingSeconds,
          silenceSeconds: 5,
          terminators: "#*",
        });
        if (result.reason === "hangup") return;
        await this.#o.saveGreeting(user, readFileSync(path));
        await this.#say(prompt("greeting-saved"));
      } else if (digit === "2") {
        const file = await this.#o.greetingFile(user);
        await this.#say(file ? { kind: "file", path: file } : prompt("not-available"));
      } else if (digit === "3") {
        await this.#o.settings.update(user, { greeting: null });
        await this.#say(prompt("greeting-saved"));
      } else await this.#say(prompt("invalid"));
    }
  }

  /**
   * Plays a question and gathers the answer up to `#`: digits typed while the question plays stop
   * it and count (callers who know the menu need not wait).
   */
  async #askDigits(items: CallPlayItem[], max: number): Promise<string> {
    let typed = "";
    let done = false;
    const onDigit = (party: CallParty, event: { digit: string }) => {
      if (party.id !== this.#party.id || done) return;
      if (event.digit === "#") done = true;
      else typed += event.digit;
      if (typed.length >= max) done = true;
    };
    this.#session.on("dtmf", onDigit);
    try {
      await this.#session.play(this.#party, items, { bargeIn: true });
    } finally {
      this.#session.off("dtmf", onDigit);
    }
    if (done || this.#ended) return typed;
    const rest = await this.#session.collectDigits(this.#party, {
      max: max - typed.length,
      terminator: "#",
      timeoutMs: 10_000,
    });
    return typed + rest;
  }

  /** Plays items; a digit pressed meanwhile stops them and is returned, else waits for one. */
  async #playCollect(items: CallPlayItem[]): Promise<string | undefined> {
    let pressed: string | undefined;
    const onDigit = (party: CallParty, event: { digit: string }) => {
      if (party.id === this.#party.id && pressed === undefined) pressed = event.digit;
    };
    this.#session.on("dtmf", onDigit);
    try {
      await this.#session.play(this.#party, items, { bargeIn: true });
    } finally {
      this.#session.off("dtmf", onDigit);
    }
    if (pressed !== undefined || this.#ended) return pressed;
    const digits = await this.#session.collectDigits(this.#party, { max: 1, timeoutMs: MENU_TIMEOUT_MS });
    return digits === "" ? undefined : digits;
  }

  async #say(...items: CallPlayItem[]): Promise<void> {
    if (this.#ended) return;
    await this.#session.play(this.#party, items);
  }

  #scratchFile(data: Buffer): string {
    const path = join(this.#o.scratchDir, `${randomUUID()}.wav`);
    writeFileSync(path, data);
    this.#scratch.push(path);
    return path;
  }
}
