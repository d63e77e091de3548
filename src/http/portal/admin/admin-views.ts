import { html } from "../html.ts";
import type { PortalCallInProgress, PortalCdr } from "../ports.ts";
import { formatMoney } from "../views/format.ts";
import type { PageContext } from "../views/layout.ts";
import { ADMIN_AREAS, adminPage, when } from "./admin-kit.ts";

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  members: "Users who can log in to the portal, with their prepaid balance.",
  merchants: "The merchant directory: numbers, who pays, rate plan; create and edit.",
  accounts: "Prepaid accounts of members, merchants and sponsors: balances, top-ups, ledgers.",
  "rate-plans": "Prices per destination prefix, connection fees and billing increments.",
  calls: "Calls going on right now.",
  cdrs: "The latest call records, with who paid and what it cost.",
  emergency: "Emergency numbers, emergency calls in progress (add a user, mute, kick) and their audit trail.",
};

/** /admin: a link to each admin page with a line about it. */
export function overviewPage(context: PageContext): string {
  return adminPage(
    context,
    { title: "Administration", area: "overview" },
    html`<h1>Administration</h1>
<ul class="admin-links">
${ADMIN_AREAS.filter((a) => a.area !== "overview").map(
  (a) => html`<li><a href="${a.href}">${a.text}</a> <span class="hint">${DESCRIPTIONS[a.area]}</span></li>`,
)}
</ul>`,
  );
}

export interface MemberRow {
  user: string;
  displayName: string;
  phoneNumbers: readonly string[];
  balance: { amount: number; currency: string } | undefined;
}

export interface MembersView {
  members: readonly MemberRow[];
  /** Members with a web password (all pages). */
  total: number;
  page: number;
  pages: number;
  /** The directory had more users than were scanned. */
  truncated: boolean;
}

/** /admin/members: users with a web password and the balance of their member account. */
export function membersPage(context: PageContext, view: MembersView): string {
  return adminPage(
    context,
    { title: "Members", area: "members" },
    html`<h1>Members</h1>
<p role="status">${view.total === 1 ? "1 member" : `${view.total} members`} (users with a web password).
${view.truncated ? " Only the first users of the directory were read." : ""}</p>
<div class="table-wrap"><table>
<caption>Members, page ${view.page} of ${view.pages}</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Name</th><th scope="col">Phone numbers</th><th scope="col">Balance</th></tr></thead>
<tbody>
${view.members.map(
  (m) => html`<tr><th scope="row">${m.user}</th><td>${m.displayName}</td><td>${m.phoneNumbers.join(", ")}</td>
<td>${m.balance ? formatMoney(m.balance.amount, m.balance.currency) : "no account"}</td></tr>`,
)}
</tbody></table></div>
${pager("/admin/members", view.page, view.pages)}`,
  );
}

function pager(path: string, current: number, pages: number) {
  if (pages <= 1) return html``;
  return html`<nav aria-label="Pages" class="pager"><ul>
${current > 1 ? html`<li><a href="${path}?page=${current - 1}" rel="prev">Previous page</a></li>` : ""}
${current < pages ? html`<li><a href="${path}?page=${current + 1}" rel="next">Next page</a></li>` : ""}
</ul></nav>`;
}

/** /admin/calls: the calls call control holds now. */
export function callsPage(context: PageContext, calls: readonly PortalCallInProgress[] | undefined): string {
  const body =
    calls === undefined
      ? html`<p class="notice" role="status">Call control is not running on this node.</p>`
      : html`<p role="status">${calls.length === 1 ? "1 call" : `${calls.length} calls`} in progress.</p>
<div class="table-wrap"><table>
<caption>Calls in progress</caption>
<thead><tr><th scope="col">Call</th><th scope="col">Service</th><th scope="col">From</th><th scope="col">Dialled</th><th scope="col">Parties</th><th scope="col">Started</th></tr></thead>
<tbody>
${calls.map(
  (c) => html`<tr><th scope="row">${c.id}</th><td>${c.service}</td><td>${c.from}</td><td>${c.dialled}</td>
<td><ul class="plain">${c.parties.map((p) => html`<li>${p.id} ${p.direction}, ${p.state}</li>`)}</ul></td>
<td>${when(c.startedAt)}</td></tr>`,
)}
</tbody></table></div>`;
  return adminPage(
    context,
    { title: "Calls in progress", area: "calls" },
    html`<h1>Calls in progress</h1>
${body}
<p><a href="/admin/calls">Refresh</a></p>`,
  );
}

const cost = (cdr: PortalCdr) =>
  cdr.cost !== undefined && cdr.currency !== undefined ? formatMoney(cdr.cost, cdr.currency) : "";

/** /admin/cdrs: the latest call records, newest first. */
export function cdrsPage(context: PageContext, cdrs: readonly PortalCdr[]): string {
  return adminPage(
    context,
    { title: "Call records", area: "cdrs" },
    html`<h1>Call records</h1>
<div class="table-wrap"><table>
<caption>The latest ${cdrs.length} call records, newest first</caption>
<thead><tr><th scope="col">Call</th><th scope="col">Started</th><th scope="col">Service</th><th scope="col">From</th><th scope="col">To</th>
<th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Payer</th><th scope="col">Cost</th></tr></thead>
<tbody>
${cdrs.map(
  (
    c,
  ) => html`<tr data-call="${c.id}"><th scope="row">${c.id}</th><td>${when(c.startedAt)}</td><td>${c.service}</td>
<td>${c.from}</td><td>${c.to}</td><td>${c.disposition ?? "in progress"}</td>
<td>${c.answeredAt !== undefined && c.endedAt !== undefined ? `${Math.round((c.endedAt - c.answeredAt) / 1000)} s` : ""}</td>
<td>${c.payer ?? ""}</td><td>${cost(c)}</td></tr>`,
)}
</tbody></table></div>`,
  );
}
