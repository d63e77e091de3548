import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hash } from "@node-rs/argon2";
import { defineService, type ServiceModule, type UnansweredReason } from "../../calls/index.ts";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import { toNarrowbandWav, type UploadedAudioType } from "../../media/index.ts";
import type { MailboxSettings, MailboxSettingsStore } from "./mailbox-settings.ts";
import { type MailRelay, MessageDelivery } from "./message-delivery.ts";
import type { SignatureLookup } from "./signature-lookup.ts";
import { depositMessage } from "./voicemail-deposit.ts";
import { VoicemailMenu } from "./voicemail-menu.ts";
import { VoicemailSpool } from "./voicemail-spool.ts";
import type { MessageCounts, VoicemailStore } from "./voicemail-store.ts";

/** Where message-waiting state goes (RFC 3842 NOTIFYs through call control); undefined = unknown, send nothing. */
export interface MessageWaitingSink {
  update(aor: string, counts: MessageCounts | undefined): void;
}

export interface VoicemailServiceOptions {
  store: VoicemailStore;
  settings: MailboxSettingsStore;
  signatures: SignatureLookup;
  relay?: MailRelay;
  messageWaiting?: MessageWaitingSink;
  isLocalDomain(domain: string): Promise<boolean>;
  userExists(user: string): Promise<boolean>;
  /** The domain of mailboxes asked for by number from callers that are not users. */
  defaultDomain: string;
  /** Folder for the spool, greetings and scratch audio. */
  dir: string;
  enabled: boolean;
  divertOn: readonly UnansweredReason[];
  maxMessageSeconds: number;
  minMessageSeconds: number;
  maxMessages: number;
  silenceSeconds: number;
  ownBoxCode: string;
  anyBoxCode: string;
  /** Sender of e-mail notifications; empty: voicemail@ and the user's domain. */
  notifyFrom?: string;
  clock: Clock;
  logger: Logger;
}

/**
 * Service 2: voicemail. Unanswered calls to users are offered to it (`unanswered`); for users with
 * the `voicemail` feature it takes those whose reason `[voicemail] divert_on` lists (and all, for a
 * mailbox that diverts every call).
 * `*98`/`*99` reach the phone menu. Every change to a mailbox, from a deposit, the menu, IMAP or
 * SMTP, re-counts the owner's messages and updates their message-waiting lamps.
 */
export class VoicemailService {
  readonly module: ServiceModule;
  readonly delivery: MessageDelivery;
  readonly #o: VoicemailServiceOptions;
  readonly #spool: VoicemailSpool;
  readonly #greetings: string;
  readonly #scratch: string;
  #unwatch: (() => void) | undefined;

  constructor(options: VoicemailServiceOptions) {
    this.#o = options;
    this.#greetings = join(options.dir, "greetings");
    this.#scratch = join(options.dir, "scratch");
    mkdirSync(this.#greetings, { recursive: true });
    mkdirSync(this.#scratch, { recursive: true });
    this.delivery = new MessageDelivery({
      store: options.store,
      settings: options.settings,
      signatures: options.signatures,
      ...(options.relay ? { relay: options.relay } : {}),
      isLocalDomain: options.isLocalDomain,
      userExists: options.userExists,
      maxMessages: options.maxMessages,
      clock: options.clock,
      logger: options.logger,
      onFiled: (user, raw) => void this.#notifyByEmail(user, raw),
    });
    this.#spool = new VoicemailSpool({
      dir: join(options.dir, "spool"),
      delivery: this.delivery,
      logger: options.logger,
    });
    this.module = this.#module();
  }

  /**
   * E-mail notification: a user with `notifyEmail` set gets a copy of each new message, audio
   * attached, through the SMTP relay (queued and retried like messages to other servers).
   */
  async #notifyByEmail(user: string, raw: Buffer): Promise<void> {
    const relay = this.#o.relay;
    const email = relay && (await this.#o.settings.get(user).catch(() => undefined))?.notifyEmail;
    if (!relay || !email) return;
    const from = this.#o.notifyFrom || `voicemail@${user.slice(user.lastIndexOf("@") + 1)}`;
    await relay
      .enqueue({ id: `notify-${randomUUID()}`, envelope: { from, to: [email] }, raw })
      .catch((error: unknown) =>
        this.#o.logger.error({ err: error, user }, "e-mail notification not queued"),
      );
  }

  /** Sends what a stopped process left in the spool and starts following mailbox changes for the lamps. */
  async start(): Promise<void> {
    this.#unwatch = this.#o.store.watchAll((user) => void this.refreshLamp(user));
    await this.#spool.recover(this.#o.minMessageSeconds * 1000);
  }

  stop(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** The counts for a lamp; a store that cannot be read gives undefined (the lamp is left as it is). */
  async counts(user: string): Promise<MessageCounts | undefined> {
    return this.#o.store.counts(user).catch((error: unknown) => {
      this.#o.logger.error({ err: error, user }, "mailbox unreadable; no message-waiting count sent");
      return undefined;
    });
  }

  async refreshLamp(user: string): Promise<void> {
    if (!this.#o.messageWaiting) return;
    this.#o.messageWaiting.update(`sip:${user}`, await this.counts(user));
  }

  async setPin(user: string, pin: string | null): Promise<void> {
    await this.#o.settings.update(user, { pinHash: pin === null ? null : await hash(pin) });
  }

  /** Stores a greeting uploaded as WAV or MP3, converted to 8 kHz mono. */
  async uploadGreeting(user: string, audio: Uint8Array, type: UploadedAudioType): Promise<number> {
    const wav = await toNarrowbandWav(audio, type, { maxSeconds: 120 });
    await this.#o.settings.update(user, { greeting: wav });
    return wav.length;
  }

  async updateSettings(
    user: string,
    changes: {
      maxMessageSeconds?: number;
      maxMessages?: number;
      divertAlways?: boolean;
      greeting?: null;
      notifyEmail?: string | null;
    },
  ): Promise<void> {
    await this.#o.settings.update(user, changes);
  }

  /** The service's clock as a date (API messages are dated by it). */
  now(): Date {
    return new Date(this.#o.clock.now());
  }

  async settings(user: string): Promise<MailboxSettings | undefined> {
    return this.#o.settings.get(user);
  }

  /** The greeting of a user as a file the player can read (written once per content). */
  async greetingFile(user: string): Promise<string | undefined> {
    const greeting = (await this.#o.settings.get(user))?.greeting;
    if (!greeting) return undefined;
    const path = join(
      this.#greetings,
      `${createHash("sha256").update(greeting).digest("hex").slice(0, 32)}.wav`,
    );
    if (!existsSync(path)) writeFileSync(path, greeting);
    return path;
  }

  #module(): ServiceModule {
    const o = this.#o;
    return defineService({
      name: "voicemail",
      claims: (info) => o.enabled && (info.dialled === o.ownBoxCode || info.dialled === o.anyBoxCode),
      handle: async (session, caller, info) => {
        const own = info.dialled === o.ownBoxCode && info.caller;
        const menu = new VoicemailMenu(session, caller, {
          store: o.store,
          settings: o.settings,
          logger: o.logger,
          scratchDir: this.#scratch,
          userExists: o.userExists,
          saveGreeting: async (user, wav) => {
            await o.settings.update(user, { greeting: wav });
          },
          greetingFile: (user) => this.greetingFile(user),
          maxGreetingSeconds: 60,
        });
        if (own) await menu.ownerCalling().run(`${own.extension}@${own.domain}`.toLowerCase(), own.domain);
        else await menu.run(undefined, info.caller?.domain ?? o.defaultDomain);
      },
      unanswered: async (session, caller, info) => {
        // Only users who subscribe to voicemail (features.voicemail) have a mailbox.
        if (!o.enabled || info.callee.features.voicemail !== true) return false;
        const user = `${info.callee.extension}@${info.callee.domain}`.toLowerCase();
        const settings = await o.settings.get(user);
        if (info.reason === "unconditional" ? !settings?.divertAlways : !o.divertOn.includes(info.reason))
          return false;
        const limit = settings?.maxMessages ?? o.maxMessages;
        const counts = await o.store.counts(user);
        const greetingFile = await this.greetingFile(user);
        o.logger.info({ mailbox: user, reason: info.reason, callId: session.id }, "call goes to voicemail");
        await depositMessage(session, caller, info, {
          spool: this.#spool,
          logger: o.logger,
          maxMessageSeconds: o.maxMessageSeconds,
          minMessageSeconds: o.minMessageSeconds,
          silenceSeconds: o.silenceSeconds,
          settings,
          full: counts.newMessages + counts.oldMessages >= limit,
          date: new Date(o.clock.now()),
          ...(greetingFile ? { greetingFile } : {}),
        }).catch((error: unknown) =>
          o.logger.error({ err: error, mailbox: user }, "voicemail deposit failed"),
        );
        return true;
      },
    });
  }
}
