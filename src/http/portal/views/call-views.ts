import { html, raw } from "../html.ts";
import type { PortalClickCall, PortalMerchant } from "../ports.ts";
import { FINAL_STEPS, outcomeText, STEP_LABELS } from "./format.ts";
import { csrfField, type PageContext, page } from "./layout.ts";

/** E.164 (RFC: ITU-T E.164, at most 15 digits) or a local extension of 2 to 8 digits. */
export const MEMBER_NUMBER = /^(?:\+[1-9][0-9]{6,14}|[0-9]{2,8})$/;
/** The same rule for the browser's own validation (the pattern attribute is anchored by itself). */
const MEMBER_NUMBER_PATTERN = "\\+[1-9][0-9]{6,14}|[0-9]{2,8}";

export interface ConfirmView {
  merchant: PortalMerchant;
  index: number;
  /** What the input holds: pre-filled from the member's record, or what they typed. */
  memberNumber: string;
  /** The member's other numbers, offered as suggestions. */
  suggestions: readonly string[];
  /** A problem with the number (the input is marked invalid). */
  numberError?: string;
  /** Why the service refused the call (balance, limits …). */
  refusal?: string;
}

/** The confirm page: which number of which merchant, and the member's own number to call first. */
export function confirmPage(context: PageContext, view: ConfirmView): string {
  const { merchant, index } = view;
  const target = merchant.numbers[index];
  const invalid = view.numberError !== undefined;
  return page(
    context,
    { title: `Call ${merchant.name}`, section: "merchants" },
    html`<p><a href="/merchants/${encodeURIComponent(merchant.id)}">← ${merchant.name}</a></p>
<h1>Call ${merchant.name}</h1>
<p>We call you first, then connect you to <strong>${merchant.name}</strong>
${target ? html` (${target.label}, ${target.number})` : ""}.</p>
${view.refusal ? html`<p class="notice error" role="alert" id="refusal">${view.refusal}</p>` : ""}
<form method="post" action="/calls" class="stack" novalidate>
  ${csrfField(context)}
  <input type="hidden" name="merchantId" value="${merchant.id}">
  <input type="hidden" name="index" value="${index}">
  <div class="field">
    <label for="memberNumber">Your phone number</label>
    <input id="memberNumber" name="memberNumber" type="tel" required inputmode="tel" autocomplete="tel"
      value="${view.memberNumber}" pattern="${MEMBER_NUMBER_PATTERN}" maxlength="16" list="own-numbers"
      aria-describedby="memberNumber-hint${invalid ? " memberNumber-error" : ""}"${invalid ? raw(' aria-invalid="true"') : ""}>
    <p class="hint" id="memberNumber-hint">An international number such as +15551234567, or your extension.</p>
    ${invalid ? html`<p class="field-error" id="memberNumber-error">${view.numberError}</p>` : ""}
    <datalist id="own-numbers">${view.suggestions.map((n) => html`<option value="${n}">`)}</datalist>
  </div>
  <button type="submit">Call me now</button>
</form>`,
  );
}

export interface StatusView {
  call: PortalClickCall;
  merchantName: string;
  eventsUrl: string;
}

/**
 * The live status page. Without JavaScript it shows the steps so far, refreshes itself every few
 * seconds (a <noscript> refresh) and offers a refresh link; with it, call-status.js appends the
 * steps as the event stream delivers them.
 */
export function callStatusPage(context: PageContext, view: StatusView): string {
  const { call } = view;
  const final = FINAL_STEPS.has(call.step);
  const outcome = outcomeText(call);
  const head = final
    ? html``
    : html`<script src="${context.assets.callStatusJs}" defer></script>
<noscript><meta http-equiv="refresh" content="3"></noscript>`;
  return page(
    context,
    { title: `Call to ${view.merchantName}`, head },
    html`<h1>Call to ${view.merchantName}</h1>
<p>Your number: <span class="number">${call.memberNumber}</span></p>
<section aria-labelledby="steps-heading" id="call-status" data-events-url="${view.eventsUrl}"
  data-last-seq="${call.events.at(-1)?.seq ?? 0}" data-final="${final ? "true" : "false"}">
  <h2 id="steps-heading">Progress</h2>
  <ol class="steps" id="steps" aria-live="polite">
  ${call.events.map(
    (event) => html`<li data-step="${event.step}" data-seq="${event.seq}">
    <span class="step">${STEP_LABELS[event.step] ?? event.step}</span>
    <span class="message">${event.message}</span></li>`,
  )}
  </ol>
  <p id="call-outcome" class="outcome" role="status">${outcome ?? ""}</p>
  ${final ? html`<p><a href="/merchants">Back to the merchants</a></p>` : html`<p class="refresh"><a href="/calls/${encodeURIComponent(call.id)}">Refresh</a></p>`}
</section>`,
  );
}
