/**
 * The words that SmtpSender, SmtpOutbox and the non-delivery notice share: what is sent (an SMTP
 * envelope and the raw message) and how each recipient fared.
 */

/** The SMTP envelope (RFC 5321 §2.3.1): MAIL FROM and RCPT TO, independent of the message headers. */
export interface Envelope {
  /** The reverse-path; "" is the null reverse-path that non-delivery notices use (RFC 5321 §4.5.5). */
  from: string;
  to: readonly string[];
}

/** A message ready to go: its envelope and its bytes, sent as they are. */
export interface OutgoingMessage {
  envelope: Envelope;
  raw: Buffer;
}

/** A recipient the message did not reach (this time). */
export interface RecipientFailure {
  recipient: string;
  /**
   * true for a 5xx reply or a recipient no route leads to: trying again cannot help. false for a
   * 4xx reply, a refused or broken connection or a timeout (RFC 5321 §4.2.1, §4.5.4.1).
   */
  permanent: boolean;
  /** The reply code when a server answered (550, 451 …). */
  responseCode?: number;
  /** The server's reply as it came ("550 5.1.1 No such mailbox"), when there was one. */
  reply?: string;
  /** RFC 3463 enhanced status code: from the reply when it has one, derived from the reply class otherwise. */
  status: string;
  /** A one-line reason for logs and for the non-delivery notice. */
  reason: string;
  /** The peer tried, as `host:port`. */
  remoteMta?: string;
}

/** How one delivery attempt went, recipient by recipient. */
export interface DeliveryReport {
  accepted: string[];
  failed: RecipientFailure[];
}

const ENHANCED_STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/**
 * The RFC 3463 status for a reply: the enhanced code it carries (RFC 2034), else X.0.0 of its class
 * (https://www.rfc-editor.org/rfc/rfc3463#section-3.1 "Other undefined status").
 */
export function enhancedStatus(
  reply: string | undefined,
  responseCode: number | undefined,
  permanent: boolean,
): string {
  const match = reply === undefined ? null : ENHANCED_STATUS.exec(reply.slice(0, 16));
  if (match) return `${match[1]}.${match[2]}.${match[3]}`;
  if (responseCode !== undefined && responseCode >= 500) return "5.0.0";
  if (responseCode !== undefined && responseCode >= 400) return "4.0.0";
  return permanent ? "5.0.0" : "4.4.1";
}
