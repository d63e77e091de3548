import { randomUUID } from "node:crypto";
import type { Clock } from "../../kernel/clock.ts";
import type { Logger } from "../../kernel/log.ts";
import {
  composeNonDeliveryNotice,
  composeVoiceMessage,
  parseVoiceMessage,
  type RecipientFailure,
} from "../../smtp/index.ts";
import type { MailboxSettingsStore } from "./mailbox-settings.ts";
import type { SignatureLookup } from "./signature-lookup.ts";
import type { VoicemailStore } from "./voicemail-store.ts";

/** A message for other servers, handed to the SMTP outbox (which retries and reports failures). */
export interface RelayItem {
  id: string;
  envelope: { from: string; to: readonly string[] };
  raw: Buffer;
}

/** The "message sending" port: queues a message for SMTP delivery to other servers. */
export interface MailRelay {
  enqueue(item: RelayItem): Promise<void>;
}

/** A voice message to send: from a call (deposit) or from a user's upload (API). */
export interface OutgoingVoiceMessage {
  /** The sender: a local user (extension@domain), whose signature is attached, or an outside caller. */
  sender: { user?: string; address: string; name?: string };
  /** Mailboxes, as extension@domain. */
  recipients: readonly string[];
  /** The caller id shown with the message (a number or an extension). */
  callerId: string;
  audio: Buffer;
  durationSeconds: number;
  urgent?: boolean;
  date: Date;
}

export type RecipientOutcome = "filed" | "queued" | "full" | "unknown" | "no-route";

export interface DeliveryReport {
  messageId: string;
  signature: "attached" | "none" | "unavailable";
  recipients: Array<{ address: string; outcome: RecipientOutcome }>;
}

export interface MessageDeliveryOptions {
  store: VoicemailStore;
  settings: MailboxSettingsStore;
  signatures: SignatureLookup;
  relay?: MailRelay;
  /** Whether a domain is served here (its mailboxes are local). */
  isLocalDomain(domain: string): Promise<boolean>;
  /** Whether a local user exists (extension@domain). */
  userExists(user: string): Promise<boolean>;
  maxMessages: number;
  clock: Clock;
  logger: Logger;
  /** Called after a message is filed in a local mailbox (e-mail notification). */
  onFiled?(user: string, raw: Buffer): void;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

/**
 * Service 2, steps 3 to 6: looks up the sender's signature (locally or on the signature server),
 * attaches it to the message (VPIM-style MIME, see docs/voicemail.md), and sends it on: recipients
 * on this server's domains get it filed in their INBOX at once, others through the SMTP outbox.
 * Messages that come in by SMTP are filed as delivered, signature intact. A message the outbox
 * gives up on comes back to its sender's mailbox as a non-delivery notice (RFC 3464).
 */
export class MessageDelivery {
  readonly #o: MessageDeliveryOptions;

  constructor(options: MessageDeliveryOptions) {
    this.#o = options;
  }

  async send(message: OutgoingVoiceMessage): Promise<DeliveryReport> {
    const found = message.sender.user
      ? await this.#o.signatures.find(message.sender.user)
      : { none: true as const };
    const messageId = `${randomUUID()}@${domainOf(message.sender.address) || "parley.invalid"}`;
    const raw = composeVoiceMessage({
      messageId,
      from: {
        address: message.sender.address,
        ...(message.sender.name ? { name: message.sender.name } : {}),
      },
      to: message.recipients.map((address) => ({ address })),
      date: message.date,
      caller: { id: message.callerId, ...(message.sender.name ? { name: message.sender.name } : {}) },
      durationSeconds: message.durationSeconds,
      urgent: message.urgent ?? false,
      audio: message.audio,
      ...("signature" in found ? { signature: found.signature } : {}),
      ...("unavailable" in found ? { signatureUnavailable: found.unavailable } : {}),
    });
    const recipients: DeliveryReport["recipients"] = [];
    const remote: string[] = [];
    for (const address of message.recipients) {
      if (await this.#o.isLocalDomain(domainOf(address))) {
        const outcome = await this.file(address, raw, {
          date: message.date,
          urgent: message.urgent ?? false,
        });
        recipients.push({ address, outcome });
      } else if (this.#o.relay) {
        remote.push(address);
        recipients.push({ address, outcome: "queued" });
      } else recipients.push({ address, outcome: "no-route" });
    }
    if (remote.length > 0 && this.#o.relay) {
      await this.#o.relay.enqueue({
        id: messageId,
        envelope: { from: message.sender.address, to: remote },
        raw,
      });
    }
    const signature = "signature" in found ? "attached" : "unavailable" in found ? "unavailable" : "none";
    this.#o.logger.info({ messageId, signature, recipients }, "voice message sent");
    return { messageId, signature, recipients };
  }

  /** Files a message in a local user's INBOX (urgent ones \Flagged), unless the box is full. */
  async file(user: string, raw: Buffer, options: { date: Date; urgent: boolean }): Promise<RecipientOutcome> {
    const key = user.toLowerCase();
    if (!(await this.#o.userExists(key))) return "unknown";
    const limit = (await this.#o.settings.get(key))?.maxMessages ?? this.#o.maxMessages;
    const counts = await this.#o.store.counts(key);
    if (counts.newMessages + counts.oldMessages >= limit) {
      this.#o.logger.warn({ user: key, limit }, "mailbox full; message refused");
      return "full";
    }
    await this.#o.store.append(key, "INBOX", raw, {
      date: options.date,
      flags: options.urgent ? ["\\Flagged"] : [],
    });
    this.#o.onFiled?.(key, raw);
    return "filed";
  }

  /** A message that came in by SMTP: filed for each local recipient as it came (signature parts intact). */
  async receive(envelope: { from: string; to: readonly string[] }, raw: Buffer): Promise<void> {
    const parsed = await parseVoiceMessage(raw);
    const date = parsed.date ?? new Date(this.#o.clock.now());
    for (const address of envelope.to) {
      const outcome = await this.file(address, raw, { date, urgent: parsed.urgent });
      if (outcome !== "filed") throw new Error(`${address}: ${outcome}`);
    }
  }

  /** The outbox gave up on a message: the sender, when local, gets a non-delivery notice in their INBOX. */
  async undeliverable(item: RelayItem, failures: readonly RecipientFailure[]): Promise<void> {
    const sender = item.envelope.from.toLowerCase();
    this.#o.logger.warn({ messageId: item.id, failures }, "voice message undeliverable");
    if (!(await this.#o.isLocalDomain(domainOf(sender)))) return;
    const now = new Date(this.#o.clock.now());
    const notice = composeNonDeliveryNotice({
      messageId: `${randomUUID()}@${domainOf(sender)}`,
      date: now,
      from: { address: `postmaster@${domainOf(sender)}`, name: "Parley voicemail" },
      to: { address: sender },
      reportingMta: domainOf(sender),
      failures,
      original: item.raw,
      lastAttemptDate: now,
    });
    await this.file(sender, notice, { date: now, urgent: false });
  }
}
