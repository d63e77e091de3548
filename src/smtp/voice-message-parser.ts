import { type Attachment, type HeaderValue, type ParsedMail, simpleParser } from "mailparser";
import { SmtpMessageError } from "./errors.ts";
import { decodeEncodedWords, type MailAddress } from "./mime-encoding.ts";
import type { SignatureStatus } from "./voice-message-mime.ts";

/**
 * A voice message as Parley reads it back, from a Parley server or from another vendor's VPIM-like
 * system. Every field a foreign message may lack is optional; only the audio is required.
 */
export interface ParsedVoiceMessage {
  from?: MailAddress;
  to: MailAddress[];
  date?: Date;
  /** The Message-ID without angle brackets. */
  messageId?: string;
  subject?: string;
  /** `X-Parley-Caller-Id`, or for a foreign message the number in the From local part (RFC 3804 style). */
  callerId?: string;
  /** `X-Parley-Caller-Name`, or the From display name. */
  callerName?: string;
  /** `X-Parley-Duration`, or the audio part's `Content-Duration` (RFC 3803). */
  durationSeconds?: number;
  /** `X-Parley-Urgent: yes`, or `Importance: high` / `Priority: urgent` from other systems. */
  urgent: boolean;
  audio: { data: Buffer; contentType: string };
  /** The text/plain body a mail reader would show, when there is one. */
  summary?: string;
  /**
   * Signature parts marked `X-Parley-Signature`. A VPIM originator's spoken name
   * (`Content-Disposition: inline; voice=Originator-Spoken-Name`, RFC 3801 §4.3) is read as the voice part.
   */
  signature: { text?: string; voice?: Buffer; image?: { data: Buffer; contentType: string } };
  /** `X-Parley-Signature-Status`; undefined when the header is missing or not understood. */
  signatureStatus?: SignatureStatus;
}

/**
 * The values of the VPIM `voice` Content-Disposition parameter (RFC 3801 §4.3, first defined in
 * RFC 2421) that mark an audio part as something other than the message itself.
 */
const NOT_THE_MESSAGE = new Set(["originator-spoken-name", "recipient-spoken-name", "spoken-subject"]);

function headerText(value: HeaderValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return decodeEncodedWords(value).trim();
  if (Array.isArray(value)) {
    const first = value[0];
    return typeof first === "string" ? decodeEncodedWords(first).trim() : undefined;
  }
  if (typeof value === "object" && "value" in value && typeof value.value === "string")
    return value.value.trim();
  return undefined;
}

function voiceParameter(part: Attachment): string | undefined {
  const disposition = part.headers.get("content-disposition");
  if (disposition === undefined || typeof disposition !== "object" || Array.isArray(disposition))
    return undefined;
  const params = "params" in disposition ? (disposition.params as Record<string, unknown>) : {};
  const voice = params.voice;
  return typeof voice === "string" ? voice.toLowerCase() : undefined;
}

/** The part's MIME type in lower case; "" when a damaged header left none. */
function typeOf(part: Attachment): string {
  return typeof part.contentType === "string" ? part.contentType.toLowerCase() : "";
}

function signatureKind(part: Attachment): string | undefined {
  return headerText(part.headers.get("x-parley-signature"))?.toLowerCase();
}

function seconds(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}

function addresses(header: ParsedMail["to"]): MailAddress[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: MailAddress[] = [];
  const visit = (entry: { name: string; address?: string; group?: (typeof entry)[] }): void => {
    if (entry.group) for (const member of entry.group) visit(member);
    else if (entry.address)
      out.push(entry.name ? { address: entry.address, name: entry.name } : { address: entry.address });
  };
  for (const object of objects) for (const entry of object.value) visit(entry);
  return out;
}

/** `attached`, `none`, `unavailable` or `unavailable (<reason>)`. */
export function parseSignatureStatus(text: string | undefined): SignatureStatus | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (/^attached$/i.test(value)) return { state: "attached" };
  if (/^none$/i.test(value)) return { state: "none" };
  const unavailable = /^unavailable(?:\s*\((.*)\))?$/is.exec(value);
  if (unavailable) return { state: "unavailable", reason: (unavailable[1] ?? "").trim() };
  return undefined;
}

/** The recording: a part that is audio, not a signature part, and not a VPIM spoken name or subject. */
function messageAudio(parts: readonly Attachment[]): Attachment | undefined {
  const candidates = parts.filter(
    (part) =>
      typeOf(part).startsWith("audio/") &&
      signatureKind(part) === undefined &&
      !NOT_THE_MESSAGE.has(voiceParameter(part) ?? ""),
  );
  return candidates.find((part) => voiceParameter(part) === "voice-message") ?? candidates[0];
}

function signatureOf(parts: readonly Attachment[]): ParsedVoiceMessage["signature"] {
  const signature: ParsedVoiceMessage["signature"] = {};
  for (const part of parts) {
    const kind = signatureKind(part);
    const type = typeOf(part);
    if (kind === "text" && signature.text === undefined && type.startsWith("text/")) {
      signature.text = part.content.toString("utf8");
    } else if (kind === "voice" && signature.voice === undefined && type.startsWith("audio/")) {
      signature.voice = part.content;
    } else if (kind === "image" && signature.image === undefined && type.startsWith("image/")) {
      signature.image = { data: part.content, contentType: type };
    }
  }
  if (signature.voice === undefined) {
    const spokenName = parts.find(
      (part) => typeOf(part).startsWith("audio/") && voiceParameter(part) === "originator-spoken-name",
    );
    if (spokenName) signature.voice = spokenName.content;
  }
  return signature;
}

function callerIdOf(mail: ParsedMail, from: MailAddress | undefined): string | undefined {
  const header = headerText(mail.headers.get("x-parley-caller-id"));
  if (header) return header;
  // RFC 3804 VPIM addresses carry the number as the local part: +15551230002@vpim.example.net.
  const local = from?.address.split("@")[0];
  return local !== undefined && /^\+?\d{2,20}$/.test(local) ? local : undefined;
}

function isUrgent(mail: ParsedMail): boolean {
  if (headerText(mail.headers.get("x-parley-urgent"))?.toLowerCase() === "yes") return true;
  // mailparser folds Importance, Priority and X-Priority into one "priority" value (high|normal|low).
  return headerText(mail.headers.get("priority"))?.toLowerCase() === "high";
}

async function parseMime(raw: Buffer): Promise<ParsedMail> {
  try {
    return await simpleParser(raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
    });
  } catch (cause) {
    throw new SmtpMessageError("SMTP_MESSAGE_INVALID", "the message is not readable as MIME", { cause });
  }
}

/**
 * Reads a voice message: Parley's own layout (see composeVoiceMessage) and, as far as it goes, a
 * VPIM message from another system (https://www.rfc-editor.org/rfc/rfc3801#section-4.3: a
 * multipart/voice-message whose audio parts carry `Content-Disposition: inline; voice=...`).
 * Fields that are missing come back undefined. Throws SmtpMessageError SMTP_MESSAGE_INVALID only
 * when the message cannot be parsed at all or holds no audio part.
 */
export async function parseVoiceMessage(raw: Buffer): Promise<ParsedVoiceMessage> {
  const mail = await parseMime(raw);
  const attachments = mail.attachments.filter(
    (part) => Buffer.isBuffer(part.content) && part.headers instanceof Map,
  );
  const audio = messageAudio(attachments);
  if (audio === undefined) {
    throw new SmtpMessageError("SMTP_MESSAGE_INVALID", "the message has no audio part");
  }
  const fromEntry = addresses(mail.from)[0];
  const callerName = headerText(mail.headers.get("x-parley-caller-name")) || fromEntry?.name || undefined;
  const callerId = callerIdOf(mail, fromEntry);
  const durationSeconds =
    seconds(headerText(mail.headers.get("x-parley-duration"))) ??
    seconds(headerText(audio.headers.get("content-duration")));
  const date = mail.date !== undefined && !Number.isNaN(mail.date.getTime()) ? mail.date : undefined;
  const messageId = mail.messageId?.replace(/^<|>$/g, "") || undefined;
  const signatureStatus = parseSignatureStatus(headerText(mail.headers.get("x-parley-signature-status")));
  const parsed: ParsedVoiceMessage = {
    to: addresses(mail.to),
    urgent: isUrgent(mail),
    audio: { data: audio.content, contentType: typeOf(audio) },
    signature: signatureOf(attachments),
  };
  if (fromEntry) parsed.from = fromEntry;
  if (date) parsed.date = date;
  if (messageId) parsed.messageId = messageId;
  if (mail.subject) parsed.subject = mail.subject;
  if (callerId) parsed.callerId = callerId;
  if (callerName) parsed.callerName = callerName;
  if (durationSeconds !== undefined) parsed.durationSeconds = durationSeconds;
  if (typeof mail.text === "string" && mail.text.length > 0) parsed.summary = mail.text;
  if (signatureStatus) parsed.signatureStatus = signatureStatus;
  return parsed;
}
