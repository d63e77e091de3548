import {
  type CallbackJob,
  type CallbackJobState,
  isActive,
} from "../../../services/background-call/index.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, type PageContext, page } from "../views/layout.ts";
import { formatTime } from "./voicemail-views.ts";

const STATES: Readonly<Record<CallbackJobState, string>> = {
  pending: "Starting",
  trying: "Trying",
  "callee-answered": "Answered, calling you",
  "calling-caller": "Calling you",
  bridged: "Connected",
  "caller-missed": "Answered, but you did not pick up",
  stopped: "Stopped",
  exhausted: "Gave up",
};

/** The part of an address people dial: "1002" for "1002@example.com". */
export const dialable = (id: string) => (id.includes("@") ? id.slice(0, id.indexOf("@")) : id);

export interface BackgroundCallsView {
  jobs: readonly CallbackJob[];
  /** An open offer: the callee named when the call history shows who it is. */
  offer?: { callee?: string; threshold: number };
  /** Recent unanswered calls of the user, newest first (numbers as dialled). */
  unanswered: ReadonlyArray<{ to: string; at: number }>;
  callee: string;
  /** A refusal or a form problem (role=alert). */
  error?: string;
  /** The notice after a start or a stop. */
  notice?: string;
}

function keepTrying(context: PageContext, callee: string): SafeHtml {
  return html`<form method="post" action="/background-calls" class="inline">
  ${csrfField(context)}
  <input type="hidden" name="callee" value="${callee}">
  <button type="submit" aria-label="Keep trying ${callee}">Keep trying</button>
</form>`;
}

function jobCard(context: PageContext, job: CallbackJob): SafeHtml {
  const active = isActive(job);
  return html`<li class="card" data-job="${job.id}" data-state="${job.state}">
  <h3>${dialable(job.callee)}</h3>
  <dl class="facts">
    <dt>State</dt><dd class="state">${STATES[job.state] ?? job.state}</dd>
    <dt>Attempts</dt><dd>${job.attempts} of ${job.maxAttempts}</dd>
    ${job.nextAttemptAt === undefined ? "" : html`<dt>Next attempt</dt><dd>${formatTime(job.nextAttemptAt)}</dd>`}
    <dt>Started</dt><dd>${formatTime(job.createdAt)}</dd>
  </dl>
  ${
    active
      ? html`<form method="post" action="/background-calls/${encodeURIComponent(job.id)}/stop" class="inline">
    ${csrfField(context)}
    <button type="submit" aria-label="Stop the background call to ${dialable(job.callee)}">Stop</button>
  </form>`
      : ""
  }
</li>`;
}

/** The user's background calls, the offer (when one is open), the start form and recent misses. */
export function backgroundCallsPage(context: PageContext, view: BackgroundCallsView): string {
  const offer = view.offer;
  return page(
    context,
    { title: "Background calls", section: "background-calls" },
    html`<h1>Background calls</h1>
<p>Parley keeps calling someone who does not answer, and calls you back when they do.</p>
${view.error ? html`<p class="notice error" role="alert" id="background-error">${view.error}</p>` : ""}
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ""}
${
  offer
    ? html`<section class="notice" id="offer" aria-labelledby="offer-heading">
  <h2 id="offer-heading">${offer.callee ?? "Someone you called"} did not answer ${offer.threshold} times — keep trying?</h2>
  <form method="post" action="/background-calls/offer" class="inline">
    ${csrfField(context)}
    <button type="submit">Yes, keep trying</button>
  </form>
</section>`
    : ""
}
<h2>Start a background call</h2>
<form method="post" action="/background-calls" class="search">
  ${csrfField(context)}
  <div class="field">
    <label for="callee">Number to keep trying</label>
    <input id="callee" name="callee" type="text" required inputmode="tel" autocomplete="off" maxlength="320"
      value="${view.callee}" aria-describedby="callee-hint"${view.error ? html` aria-invalid="true"` : ""}>
    <p class="hint" id="callee-hint">An extension, extension@domain or a phone number</p>
  </div>
  <button type="submit">Start</button>
</form>
${
  view.unanswered.length > 0
    ? html`<h2>Recent unanswered calls</h2>
<ul class="merchants" id="unanswered">
${view.unanswered.map(
  (call) => html`<li class="card">${call.to}, ${formatTime(call.at)}
  ${keepTrying(context, call.to)}</li>`,
)}
</ul>`
    : ""
}
<h2>Your background calls</h2>
${
  view.jobs.length === 0
    ? html`<p id="jobs">None yet.</p>`
    : html`<ul class="merchants" id="jobs">
${view.jobs.map((job) => jobCard(context, job))}
</ul>`
}
<p><a href="/background-calls">Refresh</a></p>`,
  );
}
