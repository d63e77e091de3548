import type { RecipientFailure } from "./delivery-report.ts";
import { SmtpMessageError } from "./errors.ts";
import {
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
import { assertMessageId, type BodyPart, multipartEntity } from "./voice-message-mime.ts";

/** What a non-delivery notice says and about which message. */
export interface NonDeliveryNoticeParts {
  /** The notice's own Message-ID, without angle brackets. */
  messageId: string;
  date: Date;
  /** Who the notice is from, e.g. the voicemail system's postmaster mailbox. */
  from: MailAddress;
  /** The sender of the failed message, whose mailbox gets the notice. */
  to: MailAddress;
  /** This server's host name, for `Reporting-MTA: dns; <name>` (RFC 3464 §2.2.2). */
  reportingMta: string;
  /** The recipients the message never reached and why (each becomes a per-recipient block). */
  failures: readonly RecipientFailure[];
  /** When the last delivery attempt was made (`Last-Attempt-Date`, RFC 3464 §2.3.7). */
  lastAttemptDate?: Date;
  /** When the message was first queued (`Arrival-Date`, RFC 3464 §2.2.5). */
  arrivalDate?: Date;
  /** The message that failed, as it was sent. */
  original: Buffer;
  /** `full` returns the whole original (audio included, so the caller can hear what was lost); `headers` only its header block. */
  returnContent?: "full" | "headers";
}

/** ASCII only and no control characters: what a message/delivery-status field may hold. */
function dsnText(text: string): string {
  return withoutControlCharacters(text)
    .replace(/[^\u0020-\u007e]/g, "?")
    .replace(/ {2,}/g, " ")
    .trim();
}

function headerBlock(original: Buffer): Buffer {
  const end = original.indexOf("\r\n\r\n");
  if (end >= 0) return original.subarray(0, end + 2);
  const lfEnd = original.indexOf("\n\n");
  return lfEnd >= 0 ? original.subarray(0, lfEnd + 1) : original;
}

/** The original's Message-ID (unfolded header lookup), for In-Reply-To/References. */
function originalMessageId(original: Buffer): string | undefined {
  const headers = headerBlock(original)
    .toString("latin1")
    .replace(/\r?\n[ \t]+/g, " ");
  const match = /^message-id:\s*(<[^<>\s]+>)/im.exec(headers);
  return match?.[1];
}

function humanText(m: NonDeliveryNoticeParts): string {
  const lines = ["Your voice message could not be delivered to the following recipients:", ""];
  for (const failure of m.failures) {
    lines.push(`  ${failure.recipient}`);
    lines.push(`    ${failure.reason}`);
    if (failure.reply !== undefined) lines.push(`    The server answered: ${dsnText(failure.reply)}`);
  }
  lines.push("");
  lines.push(
    m.returnContent === "headers"
      ? "The headers of the original message are attached."
      : "The original message, with its recording, is attached.",
  );
  return `${lines.join("\n")}\n`;
}

/**
 * The message/delivery-status body (https://www.rfc-editor.org/rfc/rfc3464#section-2.1): one
 * per-message block, then one per-recipient block per failure, each a header-like field list
 * followed by a blank line.
 */
function deliveryStatus(m: NonDeliveryNoticeParts): string {
  const perMessage: Array<[string, string]> = [["Reporting-MTA", `dns; ${dsnText(m.reportingMta)}`]];
  if (m.arrivalDate) perMessage.push(["Arrival-Date", formatRfc5322Date(m.arrivalDate)]);
  let out = perMessage.map(([name, value]) => headerField(name, value)).join("");
  for (const failure of m.failures) {
    const fields: Array<[string, string]> = [
      ["Final-Recipient", `rfc822; ${dsnText(failure.recipient)}`],
      // §2.3.3: "failed" - the message could not be delivered and no further attempts will be made.
      ["Action", "failed"],
      ["Status", failure.status],
    ];
    if (failure.remoteMta !== undefined) fields.push(["Remote-MTA", `dns; ${dsnText(failure.remoteMta)}`]);
    // §2.3.6: Diagnostic-Code "smtp; <reply>" when the remote server answered.
    if (failure.reply !== undefined) fields.push(["Diagnostic-Code", `smtp; ${dsnText(failure.reply)}`]);
    if (m.lastAttemptDate) fields.push(["Last-Attempt-Date", formatRfc5322Date(m.lastAttemptDate)]);
    out += CRLF + fields.map(([name, value]) => headerField(name, value)).join("");
  }
  return out;
}

function isAsciiBytes(data: Buffer): boolean {
  return data.every((byte) => byte < 0x80);
}

/** A boundary derived from the notice's id that the returned original does not contain. */
function uniqueBoundary(seed: string, returned: Buffer): string {
  for (let level = 0; ; level++) {
    const boundary = boundaryFor(seed, level);
    if (!returned.includes(boundary)) return boundary;
  }
}

/**
 * A non-delivery notice for the sender's mailbox, as an RFC 3464 delivery status notification:
 * `multipart/report; report-type=delivery-status` (https://www.rfc-editor.org/rfc/rfc6522#section-3)
 * with a text/plain explanation, a message/delivery-status part with one block per recipient that
 * failed, and the original as message/rfc822 (or its headers as text/rfc822-headers). It carries
 * `Auto-Submitted: auto-replied` (https://www.rfc-editor.org/rfc/rfc3834#section-5) and should be
 * sent with the null reverse-path so that it can never cause another notice (RFC 5321 §4.5.5).
 */
export function composeNonDeliveryNotice(m: NonDeliveryNoticeParts): Buffer {
  assertMessageId(m.messageId);
  if (m.failures.length === 0) {
    throw new SmtpMessageError(
      "SMTP_COMPOSE_INVALID",
      "a non-delivery notice needs at least one failed recipient",
    );
  }
  const returned = m.returnContent === "headers" ? headerBlock(m.original) : m.original;
  const boundary = uniqueBoundary(m.messageId, returned);
  const headers: Array<[string, string]> = [
    ["MIME-Version", "1.0"],
    ["From", mailbox(m.from, "From")],
    ["To", mailbox(m.to, "To")],
    ["Date", formatRfc5322Date(m.date)],
    ["Message-ID", `<${m.messageId}>`],
    ["Subject", unstructuredValue("Undelivered voice message")],
    ["Auto-Submitted", "auto-replied"],
  ];
  const inReplyTo = originalMessageId(m.original);
  if (inReplyTo) headers.push(["In-Reply-To", inReplyTo], ["References", inReplyTo]);
  headers.push([
    "Content-Type",
    `multipart/report; report-type=delivery-status; boundary=${quotedParameter(boundary)}`,
  ]);

  // RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary, never base64.
  const returnedEncoding = isAsciiBytes(returned) ? "7bit" : "8bit";
  const returnedText = returned.toString("latin1");
  const parts: BodyPart[] = [
    {
      headers: [
        ["Content-Type", "text/plain; charset=utf-8"],
        ["Content-Transfer-Encoding", "quoted-printable"],
      ],
      body: quotedPrintableBody(humanText(m)),
    },
    { headers: [["Content-Type", "message/delivery-status"]], body: deliveryStatus(m) },
    {
      headers: [
        ["Content-Type", m.returnContent === "headers" ? "text/rfc822-headers" : "message/rfc822"],
        ["Content-Transfer-Encoding", returnedEncoding],
      ],
      body: returnedText.endsWith("\n") ? returnedText : `${returnedText}${CRLF}`,
    },
  ];
  return Buffer.from(
    multipartEntity(headers, boundary, "This is a delivery status notification in MIME format.", parts),
    "latin1",
  );
}
