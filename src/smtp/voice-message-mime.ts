import { SmtpMessageError } from "./errors.ts";
import {
  base64Body,
  boundaryFor,
  CRLF,
  formatRfc5322Date,
  headerField,
  type MailAddress,
  mailbox,
  quotedParameter,
  quotedPrintableBody,
  unstructuredValue,
  withoutControlCharacters,
} from "./mime-encoding.ts";

export type { MailAddress } from "./mime-encoding.ts";

/** Which part of the sender's signature a MIME part carries (`X-Parley-Signature`). */
export type SignatureKind = "text" | "voice" | "image";

export type SignatureImageType = "image/png" | "image/jpeg";

/** The sender's signature: any of a text, a voice clip (WAV) and an image. */
export interface SignatureParts {
  text?: string;
  voice?: Buffer;
  image?: { data: Buffer; contentType: SignatureImageType };
}

/**
 * Whether the signature travels with the message (`X-Parley-Signature-Status`). `unavailable`
 * means the signature server could not be reached: the message goes out without it rather than
 * waiting.
 */
export type SignatureStatus =
  | { state: "attached" }
  | { state: "none" }
  | { state: "unavailable"; reason: string };

/** What a voice message is made of; composeVoiceMessage turns it into the same bytes every time. */
export interface VoiceMessageParts {
  /** The Message-ID without angle brackets (`id-left@id-right`); it also seeds the MIME boundary. */
  messageId: string;
  from: MailAddress;
  /** One or more recipient mailboxes. */
  to: readonly MailAddress[];
  /** When the caller left the message. */
  date: Date;
  /** The caller: a number or an extension, and the display name when known. */
  caller: { id: string; name?: string };
  /** Length of the recording; written as whole seconds (RFC 3803 Content-Duration is an integer). */
  durationSeconds: number;
  urgent?: boolean;
  /** The recording, a WAV file. */
  audio: Buffer;
  /** The parts of the sender's signature that could be fetched; leave out when there is none. */
  signature?: SignatureParts;
  /** Why the signature server could not be reached; the message is then marked `unavailable (<reason>)`. */
  signatureUnavailable?: string;
}

/** The MIME headers and body of one part of the multipart/mixed body. */
interface BodyPart {
  headers: Array<[name: string, value: string]>;
  body: string;
}

const MESSAGE_ID = /^[\u0021-\u003b\u003d\u003f-\u007e]+@[\u0021-\u003b\u003d\u003f-\u007e]+$/;

const SIGNATURE_IMAGE_FILE: Record<SignatureImageType, string> = {
  "image/png": "signature.png",
  "image/jpeg": "signature.jpg",
};

export function signatureStatusOf(
  m: Pick<VoiceMessageParts, "signature" | "signatureUnavailable">,
): SignatureStatus {
  const s = m.signature;
  const hasParts =
    s !== undefined && (s.text !== undefined || s.voice !== undefined || s.image !== undefined);
  if (hasParts && m.signatureUnavailable !== undefined) {
    throw new SmtpMessageError(
      "SMTP_COMPOSE_INVALID",
      "a message cannot both carry signature parts and say the signature was unavailable",
    );
  }
  if (hasParts) return { state: "attached" };
  if (m.signatureUnavailable !== undefined) return { state: "unavailable", reason: m.signatureUnavailable };
  return { state: "none" };
}

/**
 * `attached`, `none` or `unavailable (<reason>)`, as the X-Parley-Signature-Status header carries
 * it. A non-ASCII reason becomes encoded-words inside the comment (RFC 2047 §5 rule (2)).
 */
export function formatSignatureStatus(status: SignatureStatus): string {
  if (status.state !== "unavailable") return status.state;
  const reason = withoutControlCharacters(status.reason)
    .replace(/[()\\]/g, " ")
    .trim();
  return reason.length > 0 ? `unavailable (${unstructuredValue(reason)})` : "unavailable";
}

function wholeSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new SmtpMessageError("SMTP_COMPOSE_INVALID", `duration ${seconds} is not a number of seconds`);
  }
  return Math.round(seconds);
}

function callerLabel(caller: VoiceMessageParts["caller"]): string {
  const id = withoutControlCharacters(caller.id).trim();
  const name = caller.name === undefined ? "" : withoutControlCharacters(caller.name).trim();
  return name.length > 0 && name !== id ? `${name} (${id})` : id;
}

function minutesAndSeconds(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${(seconds % 60).toString().padStart(2, "0")}`;
}

/** The human-readable first part: who called, when, for how long (a mail reader shows this as the body). */
function summaryText(m: VoiceMessageParts, seconds: number, status: SignatureStatus): string {
  const lines = [
    `Voice message from ${callerLabel(m.caller)}`,
    `Received: ${formatRfc5322Date(m.date)}`,
    `Duration: ${seconds} seconds (${minutesAndSeconds(seconds)})`,
  ];
  if (m.urgent === true) lines.push("Urgent: yes");
  if (status.state === "attached") lines.push("The caller's signature is attached.");
  if (status.state === "unavailable") lines.push("The caller's signature could not be fetched.");
  return `${lines.join("\n")}\n`;
}

function attachment(
  contentType: string,
  filename: string,
  data: Buffer,
  extra: Array<[string, string]>,
): BodyPart {
  return {
    headers: [
      ["Content-Type", contentType],
      ["Content-Transfer-Encoding", "base64"],
      ["Content-Disposition", `attachment; filename=${quotedParameter(filename)}`],
      ...extra,
    ],
    body: base64Body(data),
  };
}

function signatureParts(signature: SignatureParts | undefined): BodyPart[] {
  if (signature === undefined) return [];
  const parts: BodyPart[] = [];
  if (signature.text !== undefined) {
    parts.push(
      attachment("text/plain; charset=utf-8", "signature.txt", Buffer.from(signature.text, "utf8"), [
        ["X-Parley-Signature", "text"],
      ]),
    );
  }
  if (signature.voice !== undefined) {
    parts.push(attachment("audio/wav", "signature.wav", signature.voice, [["X-Parley-Signature", "voice"]]));
  }
  if (signature.image !== undefined) {
    const file = SIGNATURE_IMAGE_FILE[signature.image.contentType];
    if (file === undefined) {
      throw new SmtpMessageError(
        "SMTP_COMPOSE_INVALID",
        `signature image type ${JSON.stringify(signature.image.contentType)} is not image/png or image/jpeg`,
      );
    }
    parts.push(
      attachment(signature.image.contentType, file, signature.image.data, [["X-Parley-Signature", "image"]]),
    );
  }
  return parts;
}

/** Top-level header fields and parts joined into one multipart/mixed entity (RFC 2046 §5.1.1). */
export function multipartEntity(
  headers: Array<[string, string]>,
  boundary: string,
  preamble: string,
  parts: readonly BodyPart[],
): string {
  let out = headers.map(([name, value]) => headerField(name, value)).join("");
  out += CRLF;
  out += `${preamble}${CRLF}`;
  for (const part of parts) {
    out += `--${boundary}${CRLF}`;
    out += part.headers.map(([name, value]) => headerField(name, value)).join("");
    out += CRLF;
    out += part.body;
  }
  out += `--${boundary}--${CRLF}`;
  return out;
}

export type { BodyPart };

export function assertMessageId(messageId: string): void {
  if (!MESSAGE_ID.test(messageId)) {
    throw new SmtpMessageError(
      "SMTP_COMPOSE_INVALID",
      `message id ${JSON.stringify(messageId)} is not id-left@id-right (RFC 5322 §3.6.4)`,
    );
  }
}

/**
 * A voice message as an Internet message, modelled on VPIMv2
 * (https://www.rfc-editor.org/rfc/rfc3801#section-4): RFC 5322 headers, `MIME-Version: 1.0`
 * (https://www.rfc-editor.org/rfc/rfc2045#section-4) and a multipart/mixed body
 * (https://www.rfc-editor.org/rfc/rfc2046#section-5.1.3) holding, in order, a text/plain summary,
 * the recording as audio/wav with `Content-Duration` (https://www.rfc-editor.org/rfc/rfc3803#section-3)
 * and each signature part present, each marked with `X-Parley-Signature`.
 *
 * The output is 7-bit clean (RFC 2047 encoded-words in headers, base64 and quoted-printable bodies)
 * with CRLF line ends, so it passes any SMTP relay without 8BITMIME and arrives byte-identical; the
 * same parts always give the same bytes (the boundary is derived from the message id).
 */
export function composeVoiceMessage(m: VoiceMessageParts): Buffer {
  assertMessageId(m.messageId);
  if (m.to.length === 0)
    throw new SmtpMessageError("SMTP_COMPOSE_INVALID", "a voice message needs a recipient");
  const callerId = withoutControlCharacters(m.caller.id).trim();
  if (callerId.length === 0) throw new SmtpMessageError("SMTP_COMPOSE_INVALID", "the caller id is empty");
  const seconds = wholeSeconds(m.durationSeconds);
  const status = signatureStatusOf(m);
  const boundary = boundaryFor(m.messageId, 0);

  const headers: Array<[string, string]> = [
    ["MIME-Version", "1.0"],
    ["From", mailbox(m.from, "From")],
    ["To", m.to.map((to) => mailbox(to, "To")).join(", ")],
    ["Date", formatRfc5322Date(m.date)],
    ["Message-ID", `<${m.messageId}>`],
    ["Subject", unstructuredValue(`Voice message from ${callerLabel(m.caller)}`)],
    ["X-Parley-Caller-Id", unstructuredValue(callerId)],
  ];
  const callerName = m.caller.name === undefined ? "" : withoutControlCharacters(m.caller.name).trim();
  if (callerName.length > 0) headers.push(["X-Parley-Caller-Name", unstructuredValue(callerName)]);
  headers.push(["X-Parley-Duration", String(seconds)]);
  if (m.urgent === true) {
    headers.push(["X-Parley-Urgent", "yes"]);
    // RFC 2156 §5.3.4 Importance, which VPIM systems read (RFC 3801 §4.2) for the same meaning.
    headers.push(["Importance", "high"]);
  }
  headers.push(["X-Parley-Signature-Status", formatSignatureStatus(status)]);
  headers.push(["Content-Type", `multipart/mixed; boundary=${quotedParameter(boundary)}`]);

  const parts: BodyPart[] = [
    {
      headers: [
        ["Content-Type", "text/plain; charset=utf-8"],
        ["Content-Transfer-Encoding", "quoted-printable"],
      ],
      body: quotedPrintableBody(summaryText(m, seconds, status)),
    },
    attachment("audio/wav", "message.wav", m.audio, [
      ["Content-Duration", String(seconds)],
      ["Content-Description", "Voice message"],
    ]),
    ...signatureParts(m.signature),
  ];
  return Buffer.from(
    multipartEntity(headers, boundary, "This is a voice message in MIME format.", parts),
    "utf8",
  );
}
