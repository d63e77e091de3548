import type {
  EmergencyAuditEntry,
  EmergencyCallView,
  EmergencyNumber,
} from "../../../services/emergency/index.ts";
import { html, raw, type SafeHtml } from "../html.ts";
import { csrfField, type PageContext } from "../views/layout.ts";
import { adminPage, when } from "./admin-kit.ts";

/** The number form as typed (every field text, as the browser sent it). */
export interface EmergencyNumberForm {
  number: string;
  label: string;
  /** Users separated by commas or spaces. */
  users: string;
  priority: string;
  ringTimeout: string;
  retries: string;
  resourcePriority: string;
  record: boolean;
  announcement: boolean;
}

/** A new number's form, with the config file's defaults. */
export const EMPTY_NUMBER_FORM: EmergencyNumberForm = {
  number: "",
  label: "",
  users: "",
  priority: "1",
  ringTimeout: "30",
  retries: "1",
  resourcePriority: "esnet.0",
  record: false,
  announcement: true,
};

export function formOfNumber(entry: EmergencyNumber): EmergencyNumberForm {
  return {
    number: entry.number,
    label: entry.label,
    users: entry.users.join(", "),
    priority: String(entry.priority),
    ringTimeout: String(entry.ringTimeout),
    retries: String(entry.retries),
    resourcePriority: entry.resourcePriority,
    record: entry.record,
    announcement: entry.announcement,
  };
}

export const emergencyCallUrl = (callId: string) => `/admin/emergency/calls/${encodeURIComponent(callId)}`;
const partyUrl = (callId: string, partyId: string, verb: "mute" | "kick") =>
  `${emergencyCallUrl(callId)}/participants/${encodeURIComponent(partyId)}/${verb}`;

export interface EmergencyPageView {
  numbers: readonly EmergencyNumber[];
  calls: readonly EmergencyCallView[];
  form: EmergencyNumberForm;
  /** The form changes an existing admin number (its number is fixed). */
  editing: boolean;
  /** What the last action did, for the status line. */
  notice?: string;
  error?: string;
}

const checked = (yes: boolean) => (yes ? raw(" checked") : "");
const yesNo = (yes: boolean) => (yes ? "yes" : "no");

/** /admin/emergency: the numbers with their form, and the emergency calls in progress. */
export function emergencyPage(context: PageContext, view: EmergencyPageView): string {
  return adminPage(
    context,
    { title: "Emergency", area: "emergency" },
    html`<h1>Emergency</h1>
${view.notice ? html`<p class="notice" role="status" id="emergency-notice">${view.notice}</p>` : ""}
${view.error ? html`<p class="notice error" role="alert" id="emergency-error">${view.error}</p>` : ""}
<section aria-labelledby="calls-heading">
<h2 id="calls-heading">Emergency calls in progress</h2>
${view.calls.length === 0 ? html`<p role="status">No emergency call in progress.</p>` : ""}
${view.calls.map((call) => callCard(context, call))}
<p><a href="/admin/emergency">Refresh</a></p>
</section>
<section aria-labelledby="numbers-heading">
<h2 id="numbers-heading">Emergency numbers</h2>
${numbersTable(context, view.numbers)}
${numberForm(context, view)}
</section>`,
  );
}

function numbersTable(context: PageContext, numbers: readonly EmergencyNumber[]): SafeHtml {
  if (numbers.length === 0) return html`<p role="status">No emergency numbers yet.</p>`;
  return html`<div class="table-wrap"><table>
<caption>Emergency numbers; those of the config file are changed there</caption>
<thead><tr><th scope="col">Number</th><th scope="col">Label</th><th scope="col">Users</th><th scope="col">Priority</th>
<th scope="col">Ringing</th><th scope="col">Record</th><th scope="col">Announcement</th><th scope="col">Resource-Priority</th>
<th scope="col">Source</th><th scope="col">Actions</th></tr></thead>
<tbody>
${numbers.map(
  (
    n,
  ) => html`<tr data-number="${n.number}"><th scope="row">${n.number}</th><td>${n.label}</td><td>${n.users.join(", ")}</td>
<td>${n.priority}</td><td>${n.ringTimeout} s, ${n.retries} ${n.retries === 1 ? "retry" : "retries"}</td>
<td>${yesNo(n.record)}</td><td>${yesNo(n.announcement)}</td><td>${n.resourcePriority}</td>
${
  n.source === "config"
    ? html`<td>config file (read-only)</td><td></td>`
    : html`<td>admin</td><td><a href="/admin/emergency?edit=${encodeURIComponent(n.number)}#number-form">Edit ${n.number}</a>
<form method="post" action="/admin/emergency/numbers/remove" class="inline">${csrfField(context)}
<input type="hidden" name="number" value="${n.number}"><button type="submit">Remove ${n.number}</button></form></td>`
}</tr>`,
)}
</tbody></table></div>`;
}

function numberForm(context: PageContext, view: EmergencyPageView): SafeHtml {
  const { form } = view;
  return html`<form method="post" action="/admin/emergency/numbers" class="stack" id="number-form">
  ${csrfField(context)}
  <fieldset>
  <legend>${view.editing ? `Change emergency number ${form.number}` : "Add an emergency number"}</legend>
  <div class="field"><label for="e-number">Number</label>
    ${
      view.editing
        ? html`<input id="e-number" value="${form.number}" readonly><input type="hidden" name="number" value="${form.number}">`
        : html`<input id="e-number" name="number" required pattern="[0-9*#+]{1,32}" maxlength="32" value="${form.number}" aria-describedby="e-number-hint">
    <p class="hint" id="e-number-hint">What callers dial: digits, *, # or +. Saving a number that exists replaces it.</p>`
    }</div>
  <div class="field"><label for="e-label">Label</label>
    <input id="e-label" name="label" maxlength="100" value="${form.label}"></div>
  <div class="field"><label for="e-users">Users</label>
    <input id="e-users" name="users" required maxlength="4000" value="${form.users}" aria-describedby="e-users-hint">
    <p class="hint" id="e-users-hint">Extensions or extension@domain, separated by commas, in order. One user is called
    directly; several are called into a conference with the caller.</p></div>
  <div class="field"><label for="e-priority">Priority (1–9)</label>
    <input id="e-priority" name="priority" inputmode="numeric" pattern="[1-9]" maxlength="1" value="${form.priority}"></div>
  <div class="field"><label for="e-ring">Ring timeout (5–300 s)</label>
    <input id="e-ring" name="ringTimeout" inputmode="numeric" pattern="[0-9]{1,3}" maxlength="3" value="${form.ringTimeout}"></div>
  <div class="field"><label for="e-retries">Retries (0–5)</label>
    <input id="e-retries" name="retries" inputmode="numeric" pattern="[0-5]" maxlength="1" value="${form.retries}"></div>
  <div class="field"><label for="e-rp">Resource-Priority</label>
    <input id="e-rp" name="resourcePriority" maxlength="64" value="${form.resourcePriority}"></div>
  <div class="choice"><input type="checkbox" id="e-record" name="record" value="1"${checked(form.record)}>
    <label for="e-record">Record every call</label></div>
  <div class="choice"><input type="checkbox" id="e-announcement" name="announcement" value="1"${checked(form.announcement)}>
    <label for="e-announcement">Tell the caller what happens first</label></div>
  ${view.editing ? html`<input type="hidden" name="editing" value="1">` : ""}
  </fieldset>
  <button type="submit">${view.editing ? "Save emergency number" : "Add emergency number"}</button>
  ${view.editing ? html` <a href="/admin/emergency">Add a new number instead</a>` : ""}
</form>`;
}

function callCard(context: PageContext, call: EmergencyCallView): SafeHtml {
  const id = `call-${call.callId}`;
  return html`<section class="card" aria-labelledby="${id}" data-call="${call.callId}">
<h3 id="${id}">Call to ${call.number}${call.label ? ` (${call.label})` : ""} from ${call.caller}</h3>
<p>Started ${when(call.startedAt)}${call.room ? html`, conference room ${call.room}` : ""}.
<a href="${emergencyCallUrl(call.callId)}">Audit trail of call ${call.callId}</a></p>
<div class="table-wrap"><table>
<caption>Participants of call ${call.callId}</caption>
<thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">In the room</th>
<th scope="col">Muted</th><th scope="col">Actions</th></tr></thead>
<tbody>
${call.participants.map(
  (
    p,
  ) => html`<tr data-party="${p.partyId}"><th scope="row">${p.user}</th><td>${p.role}</td><td>${p.state}</td>
<td>${yesNo(p.inRoom)}</td><td>${yesNo(p.muted)}</td><td>
${
  p.inRoom
    ? html`<form method="post" action="${partyUrl(call.callId, p.partyId, "mute")}" class="inline">${csrfField(context)}
<input type="hidden" name="muted" value="${p.muted ? "0" : "1"}"><button type="submit">${p.muted ? "Unmute" : "Mute"} ${p.user}</button></form>`
    : ""
}
<form method="post" action="${partyUrl(call.callId, p.partyId, "kick")}" class="inline">${csrfField(context)}
<button type="submit">Hang up ${p.user}</button></form></td></tr>`,
)}
</tbody></table></div>
${
  call.room
    ? html`<form method="post" action="${emergencyCallUrl(call.callId)}/participants" class="inline">${csrfField(context)}
<label for="add-${call.callId}">Ring another user into the room</label>
<input id="add-${call.callId}" name="user" required maxlength="320" placeholder="extension or extension@domain">
<button type="submit">Add user</button></form>`
    : ""
}
</section>`;
}

/** /admin/emergency/calls/:callId: the call's steps oldest first, and its participants while it lasts. */
export function emergencyCallPage(
  context: PageContext,
  view: { callId: string; call: EmergencyCallView | undefined; entries: readonly EmergencyAuditEntry[] },
): string {
  const first = view.entries[0];
  return adminPage(
    context,
    { title: `Emergency call ${view.callId}`, area: "emergency" },
    html`<p><a href="/admin/emergency">← Emergency</a></p>
<h1>Emergency call ${view.callId}</h1>
<p role="status">${
      view.call
        ? html`In progress: ${view.call.participants.length} ${view.call.participants.length === 1 ? "participant" : "participants"}
(${view.call.participants.map((p) => `${p.user}${p.muted ? ", muted" : ""}`).join("; ")}).`
        : "This call has ended."
    }${first ? html` Number ${first.number}.` : ""}</p>
<div class="table-wrap"><table>
<caption>Every step of the call, oldest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Step</th><th scope="col">Who</th><th scope="col">Detail</th></tr></thead>
<tbody>
${view.entries.map(
  (
    e,
  ) => html`<tr data-event="${e.event}"><td>${when(e.at)}</td><th scope="row">${e.event}</th><td>${e.party ?? ""}</td>
<td>${e.detail ?? ""}</td></tr>`,
)}
</tbody></table></div>`,
  );
}
