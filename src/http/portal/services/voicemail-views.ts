import type { DeliveryReport, RecipientOutcome } from "../../../services/voicemail/index.ts";
import { html, type SafeHtml } from "../html.ts";
import { formatDuration } from "../views/format.ts";
import { csrfField, type PageContext, page } from "../views/layout.ts";

/** A moment as people read it in the portal: "2025-03-01 14:05 UTC". */
export function formatTime(ms: number): SafeHtml {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

function voicemailNav(current: "inbox" | "send" | "signature"): SafeHtml {
  const link = (name: typeof current, href: string, text: string) =>
    name === current
      ? html`<li><a href="${href}" aria-current="page">${text}</a></li>`
      : html`<li><a href="${href}">${text}</a></li>`;
  return html`<nav aria-label="Voicemail" class="sub-nav"><ul class="numbers">
  ${link("inbox", "/voicemail", "Inbox")}
  ${link("send", "/voicemail/send", "Send a voice message")}
  ${link("signature", "/voicemail/signature", "Signature")}
</ul></nav>`;
}

export interface InboxEntry {
  uid: number;
  date: number;
  from: string;
  durationSeconds?: number;
  urgent: boolean;
  heard: boolean;
  /** Which signature parts came with the message. */
  signature: string[];
}

/** The user's INBOX, newest first. */
export function inboxPage(context: PageContext, entries: readonly InboxEntry[], total: number): string {
  return page(
    context,
    { title: "Voicemail", section: "voicemail" },
    html`<h1>Voicemail</h1>
${voicemailNav("inbox")}
<h2>Inbox</h2>
${
  entries.length === 0
    ? html`<p>No messages.</p>`
    : html`<p>${total === 1 ? "1 message" : `${total} messages`}${
        total > entries.length ? ` (the newest ${entries.length} shown)` : ""
      }</p>
<ul class="merchants" id="inbox">
${entries.map(
  (entry) => html`<li class="card" data-uid="${entry.uid}">
  <h3>${entry.from}</h3>
  <p>${formatTime(entry.date)}${entry.durationSeconds === undefined ? "" : html`, ${formatDuration(entry.durationSeconds)}`}${
    entry.urgent ? html`, <strong>urgent</strong>` : ""
  }${entry.heard ? "" : html`, <strong>new</strong>`}</p>
  ${entry.signature.length > 0 ? html`<p class="hint">Signature: ${entry.signature.join(", ")}</p>` : ""}
</li>`,
)}
</ul>`
}
<p class="hint">Listen to your messages by phone or with a mail client (IMAP).</p>`,
  );
}

export interface SignatureView {
  text?: string;
  hasVoice: boolean;
  image?: string;
  /** Shown in an alert above the form (status 400). */
  error?: string;
  saved?: boolean;
  removed?: boolean;
}

/** The user's signature as stored, the form that stores a new one, and the remove button. */
export function signaturePage(context: PageContext, view: SignatureView): string {
  const any = view.text !== undefined || view.hasVoice || view.image !== undefined;
  const current = any
    ? html`<dl class="facts" id="signature">
  <dt>Text</dt><dd id="signature-text">${view.text ?? "none"}</dd>
  <dt>Voice clip</dt><dd>${
    view.hasVoice
      ? html`<audio controls preload="none" src="/voicemail/signature/voice.wav" aria-label="Your voice clip"></audio>
    <a href="/voicemail/signature/voice.wav" id="signature-voice">Download the voice clip (WAV)</a>`
      : "none"
  }</dd>
  <dt>Image</dt><dd>${
    view.image === undefined
      ? "none"
      : html`<img src="/voicemail/signature/image" alt="Your signature image" id="signature-image" width="160">`
  }</dd>
</dl>
<form method="post" action="/voicemail/signature/remove" class="inline">
  ${csrfField(context)}
  <button type="submit">Remove the signature</button>
</form>`
    : html`<p id="signature">You have no signature yet.</p>`;
  return page(
    context,
    { title: "Signature", section: "voicemail" },
    html`<h1>Signature</h1>
${voicemailNav("signature")}
<p>Your signature goes with every voice message you send: any of a text, a short voice clip and an image.</p>
${view.error ? html`<p class="notice error" role="alert" id="signature-error">${view.error}</p>` : ""}
${view.saved ? html`<p class="notice" role="status">Signature saved.</p>` : ""}
${view.removed ? html`<p class="notice" role="status">Signature removed.</p>` : ""}
<h2>Current signature</h2>
${current}
<h2>Store a signature</h2>
<form method="post" action="/voicemail/signature" enctype="multipart/form-data" class="stack">
  ${csrfField(context)}
  <div class="field">
    <label for="text">Text</label>
    <textarea id="text" name="text" rows="3" maxlength="2000">${view.text ?? ""}</textarea>
  </div>
  <div class="field">
    <label for="voice">Voice clip</label>
    <input id="voice" name="voice" type="file" accept="audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3"
      aria-describedby="voice-hint">
    <p class="hint" id="voice-hint">WAV or MP3, up to 30 seconds and 5 MB. Leave empty to keep the current clip.</p>
  </div>
  ${
    view.hasVoice
      ? html`<div class="choice">
    <input id="drop-voice" name="dropVoice" type="checkbox" value="on">
    <label for="drop-voice">Remove the voice clip</label>
  </div>`
      : ""
  }
  <div class="field">
    <label for="image">Image</label>
    <input id="image" name="image" type="file" accept="image/png,image/jpeg" aria-describedby="image-hint">
    <p class="hint" id="image-hint">PNG or JPEG, up to 5 MB. Leave empty to keep the current image.</p>
  </div>
  ${
    view.image !== undefined
      ? html`<div class="choice">
    <input id="drop-image" name="dropImage" type="checkbox" value="on">
    <label for="drop-image">Remove the image</label>
  </div>`
      : ""
  }
  <button type="submit">Save the signature</button>
</form>`,
  );
}

export interface SendView {
  recipients: string;
  urgent: boolean;
  error?: string;
  /** After sending: what happened to each recipient. */
  report?: DeliveryReport;
}

const OUTCOMES: Readonly<Record<RecipientOutcome, string>> = {
  filed: "delivered to the mailbox",
  queued: "on its way to the other server",
  full: "not delivered: the mailbox is full",
  unknown: "not delivered: there is no such mailbox",
  "no-route": "not delivered: that server cannot be reached from here",
};
const SIGNATURE: Readonly<Record<DeliveryReport["signature"], string>> = {
  attached: "Your signature was attached.",
  none: "No signature was attached (you have none).",
  unavailable: "Your signature could not be fetched; the message went without it.",
};

/** The send form, with the delivery report above it after a message went out. */
export function sendPage(context: PageContext, view: SendView): string {
  const report = view.report;
  return page(
    context,
    { title: "Send a voice message", section: "voicemail" },
    html`<h1>Send a voice message</h1>
${voicemailNav("send")}
${view.error ? html`<p class="notice error" role="alert" id="send-error">${view.error}</p>` : ""}
${
  report
    ? html`<section class="notice" role="status" id="send-report" aria-labelledby="report-heading">
  <h2 id="report-heading">Message sent</h2>
  <ul>
  ${report.recipients.map(
    (r) => html`<li data-outcome="${r.outcome}">${r.address}: ${OUTCOMES[r.outcome]}</li>`,
  )}
  </ul>
  <p>${SIGNATURE[report.signature]}</p>
</section>`
    : ""
}
<form method="post" action="/voicemail/send" enctype="multipart/form-data" class="stack">
  ${csrfField(context)}
  <div class="field">
    <label for="recipients">To</label>
    <input id="recipients" name="recipients" type="text" required autocapitalize="none" spellcheck="false"
      value="${view.recipients}" aria-describedby="recipients-hint"${view.error ? html` aria-invalid="true"` : ""}>
    <p class="hint" id="recipients-hint">Mailboxes as extension@domain (an extension alone is in your domain), separated by commas.</p>
  </div>
  <div class="field">
    <label for="audio">Recording</label>
    <input id="audio" name="audio" type="file" required accept="audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3"
      aria-describedby="audio-hint">
    <p class="hint" id="audio-hint">WAV or MP3, up to 10 minutes and 5 MB.</p>
  </div>
  <div class="choice">
    <input id="urgent" name="urgent" type="checkbox" value="on"${view.urgent ? html` checked` : ""}>
    <label for="urgent">Urgent</label>
  </div>
  <button type="submit">Send</button>
</form>`,
  );
}
