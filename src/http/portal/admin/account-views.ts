import { html } from "../html.ts";
import type { PortalAccount, PortalAccountKind, PortalLedgerEntry } from "../ports.ts";
import { formatMoney } from "../views/format.ts";
import { csrfField, type PageContext } from "../views/layout.ts";
import { adminPage, when } from "./admin-kit.ts";

const KINDS: readonly PortalAccountKind[] = ["member", "merchant", "sponsor"];
export const accountUrl = (id: string) => `/admin/accounts/${encodeURIComponent(id)}`;

export interface NewAccountForm {
  id: string;
  kind: string;
  currency: string;
  owner: string;
}

export interface AccountsView {
  accounts: readonly PortalAccount[];
  form: NewAccountForm;
  error?: string;
}

/** /admin/accounts: every account with balance and hold, and the form that opens one. */
export function accountsPage(context: PageContext, view: AccountsView): string {
  const { form } = view;
  return adminPage(
    context,
    { title: "Accounts", area: "accounts" },
    html`<h1>Accounts</h1>
<div class="table-wrap"><table>
<caption>Prepaid accounts (amounts in each account's currency)</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Kind</th><th scope="col">Owner</th><th scope="col">Balance</th>
<th scope="col">Held for calls</th><th scope="col">Available</th></tr></thead>
<tbody>
${view.accounts.map(
  (
    a,
  ) => html`<tr><th scope="row"><a href="${accountUrl(a.id)}">${a.id}</a></th><td>${a.kind}</td><td>${a.owner}</td>
<td>${formatMoney(a.balance, a.currency)}</td><td>${formatMoney(a.reserved, a.currency)}</td>
<td>${formatMoney(a.balance - a.reserved, a.currency)}</td></tr>`,
)}
</tbody></table></div>
<h2 id="new-account">Open an account</h2>
${view.error ? html`<p class="notice error" role="alert" id="account-error">${view.error}</p>` : ""}
<form method="post" action="/admin/accounts" class="stack" aria-labelledby="new-account">
  ${csrfField(context)}
  <div class="field">
    <label for="account-id">Account id</label>
    <input id="account-id" name="id" required maxlength="200" value="${form.id}" aria-describedby="account-id-hint">
    <p class="hint" id="account-id-hint">A member's account is member:extension@domain; a merchant's or a sponsor's any name (acme-ads).</p>
  </div>
  <div class="field">
    <label for="account-kind">Kind</label>
    <select id="account-kind" name="kind">
      ${KINDS.map((k) => (k === form.kind ? html`<option value="${k}" selected>${k}</option>` : html`<option value="${k}">${k}</option>`))}
    </select>
  </div>
  <div class="field">
    <label for="account-currency">Currency</label>
    <input id="account-currency" name="currency" required pattern="[A-Z]{3}" maxlength="3" value="${form.currency}" aria-describedby="account-currency-hint">
    <p class="hint" id="account-currency-hint">ISO 4217 code such as EUR or USD.</p>
  </div>
  <div class="field">
    <label for="account-owner">Owner</label>
    <input id="account-owner" name="owner" required maxlength="200" value="${form.owner}" aria-describedby="account-owner-hint">
    <p class="hint" id="account-owner-hint">Who the money belongs to: extension@domain, a merchant's id, a company.</p>
  </div>
  <button type="submit">Open account</button>
</form>`,
  );
}

export interface AccountView {
  account: PortalAccount;
  entries: readonly PortalLedgerEntry[];
  /** Entries before those shown. */
  earlier: number;
  amount: string;
  /** Pre-filled with a fresh reference, so that sending the form twice tops up once. */
  reference: string;
  error?: string;
  /** The result of the last top-up (after the redirect). */
  notice?: string;
}

/** /admin/accounts/:id: the account, its top-up form and its ledger (latest entries). */
export function accountPage(context: PageContext, view: AccountView): string {
  const { account } = view;
  const money = (minor: number) => formatMoney(minor, account.currency);
  const action = `${accountUrl(account.id)}/top-ups`;
  return adminPage(
    context,
    { title: `Account ${account.id}`, area: "accounts" },
    html`<p><a href="/admin/accounts">← All accounts</a></p>
<h1>Account ${account.id}</h1>
${view.notice ? html`<p class="notice" role="status" id="top-up-notice">${view.notice}</p>` : ""}
<dl class="facts">
  <dt>Kind</dt><dd>${account.kind}</dd>
  <dt>Owner</dt><dd>${account.owner}</dd>
  <dt>Balance</dt><dd id="balance">${money(account.balance)}</dd>
  <dt>Held for calls</dt><dd>${money(account.reserved)}</dd>
  <dt>Available</dt><dd>${money(account.balance - account.reserved)}</dd>
</dl>
<h2 id="top-up">Top up</h2>
${view.error ? html`<p class="notice error" role="alert" id="top-up-error">${view.error}</p>` : ""}
<form method="post" action="${action}" class="stack" aria-labelledby="top-up">
  ${csrfField(context)}
  <div class="field">
    <label for="amount">Amount (${account.currency})</label>
    <input id="amount" name="amount" required inputmode="decimal" maxlength="14" value="${view.amount}" aria-describedby="amount-hint">
    <p class="hint" id="amount-hint">In ${account.currency} with its decimals, such as 5.00.</p>
  </div>
  <div class="field">
    <label for="reference">Reference</label>
    <input id="reference" name="reference" required maxlength="200" value="${view.reference}" aria-describedby="reference-hint">
    <p class="hint" id="reference-hint">A payment or invoice id. A top-up with a reference already used on this account adds nothing.</p>
  </div>
  <button type="submit">Top up</button>
</form>
<h2>Ledger</h2>
<div class="table-wrap"><table>
<caption>${view.earlier > 0 ? `The latest ${view.entries.length} entries (${view.earlier} earlier)` : "All entries"}</caption>
<thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Amount</th>
<th scope="col">Balance after</th><th scope="col">Reference or call</th></tr></thead>
<tbody>
${view.entries.map(
  (
    e,
  ) => html`<tr><th scope="row">${e.seq}</th><td>${when(e.at)}</td><td>${e.kind}</td><td>${money(e.amount)}</td>
<td>${money(e.balanceAfter)}</td><td>${e.call ? `${e.call.callId} to ${e.call.destination}, ${e.call.billableSeconds} s${e.shortfall > 0 ? `, ${money(e.shortfall)} unpaid` : ""}` : (e.reference ?? "")}</td></tr>`,
)}
</tbody></table></div>`,
  );
}
