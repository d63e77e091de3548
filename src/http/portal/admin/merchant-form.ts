import { html, raw } from "../html.ts";
import type { PortalAdminMerchant, PortalRatePlan } from "../ports.ts";
import { csrfField, type PageContext } from "../views/layout.ts";
import { adminPage } from "./admin-kit.ts";

/** The merchant form as typed: every field text, number rows included. */
export interface MerchantForm {
  id: string;
  name: string;
  description: string;
  category: string;
  owner: string;
  numbers: Array<{ label: string; number: string }>;
  payerKind: string;
  payerAccount: string;
  planId: string;
  active: boolean;
}

export const merchantEditUrl = (id: string) => `/admin/merchants/${encodeURIComponent(id)}`;

export function formOfMerchant(merchant: PortalAdminMerchant): MerchantForm {
  return {
    id: merchant.id,
    name: merchant.name,
    description: merchant.description,
    category: merchant.category,
    owner: merchant.owner ?? "",
    numbers: merchant.numbers.map((n) => ({ ...n })),
    payerKind: merchant.payer.kind,
    payerAccount: merchant.payer.kind === "member" ? "" : merchant.payer.accountId,
    planId: merchant.planId,
    active: merchant.active,
  };
}

export const EMPTY_MERCHANT_FORM: MerchantForm = {
  id: "",
  name: "",
  description: "",
  category: "",
  owner: "",
  numbers: [],
  payerKind: "member",
  payerAccount: "",
  planId: "",
  active: true,
};

/** Number rows to show: the merchant's, then `blank` empty ones to add more (at least one row). */
const rowsOf = (form: MerchantForm, blank: number) => [
  ...form.numbers,
  ...Array.from({ length: Math.max(blank, form.numbers.length === 0 ? 1 : 0) }, () => ({
    label: "",
    number: "",
  })),
];

export const MAX_NUMBER_ROWS = 20;
/** Empty number rows under the filled ones, for adding numbers without a script. */
const BLANK_ROWS = 2;

export interface MerchantFormView {
  form: MerchantForm;
  /** Editing a stored merchant (its id is fixed) rather than creating one. */
  editing: boolean;
  plans: readonly PortalRatePlan[];
  accountIds: readonly string[];
  error?: string;
  saved?: boolean;
}

const PAYERS = [
  { kind: "member", text: "The member who calls (account member:extension@domain)" },
  { kind: "merchant", text: "The merchant (its account below)" },
  { kind: "sponsor", text: "A sponsor (its account below)" },
] as const;

/** Create or edit a merchant: details, numbers (label and number rows), payer, rate plan, active. */
export function merchantFormPage(context: PageContext, view: MerchantFormView): string {
  const { form } = view;
  const title = view.editing ? `Edit ${form.name}` : "New merchant";
  const action = view.editing ? merchantEditUrl(form.id) : "/admin/merchants";
  const rows = rowsOf(form, BLANK_ROWS).slice(0, MAX_NUMBER_ROWS);
  const checked = (yes: boolean) => (yes ? raw(" checked") : "");
  return adminPage(
    context,
    { title, area: "merchants" },
    html`<p><a href="/admin/merchants">← All merchants</a></p>
<h1>${title}</h1>
${view.saved ? html`<p class="notice" role="status" id="merchant-saved">Saved.</p>` : ""}
${view.error ? html`<p class="notice error" role="alert" id="merchant-error">${view.error}</p>` : ""}
<form method="post" action="${action}" class="stack">
  ${csrfField(context)}
  <div class="field">
    <label for="m-id">Merchant id</label>
    ${
      view.editing
        ? html`<input id="m-id" value="${form.id}" readonly aria-describedby="m-id-hint">`
        : html`<input id="m-id" name="id" required pattern="[A-Za-z0-9_\\-]{1,64}" maxlength="64" value="${form.id}" aria-describedby="m-id-hint">`
    }
    <p class="hint" id="m-id-hint">Letters, digits, - and _; it cannot change later.</p>
  </div>
  <div class="field"><label for="m-name">Name</label>
    <input id="m-name" name="name" required maxlength="200" value="${form.name}"></div>
  <div class="field"><label for="m-description">Description</label>
    <textarea id="m-description" name="description" maxlength="2000" rows="3">${form.description}</textarea></div>
  <div class="field"><label for="m-category">Category</label>
    <input id="m-category" name="category" required maxlength="100" value="${form.category}"></div>
  <div class="field"><label for="m-owner">Owner (portal user)</label>
    <input id="m-owner" name="owner" maxlength="200" value="${form.owner}" aria-describedby="m-owner-hint">
    <p class="hint" id="m-owner-hint">extension@domain of the user who manages this merchant (the merchant role); may be empty.</p></div>
  <fieldset>
    <legend>Numbers</legend>
    <p class="hint">Each number gets its own call button. An E.164 number (+15551234567) or an extension of 2 to 8 digits. Empty rows are dropped; save to get more empty rows.</p>
    ${rows.map(
      (row, i) => html`<div class="row">
      <div class="field"><label for="label${i}">Label ${i + 1}</label>
        <input id="label${i}" name="label${i}" maxlength="100" value="${row.label}"></div>
      <div class="field"><label for="number${i}">Number ${i + 1}</label>
        <input id="number${i}" name="number${i}" type="tel" maxlength="16" value="${row.number}"></div>
    </div>`,
    )}
    <input type="hidden" name="rows" value="${rows.length}">
  </fieldset>
  <fieldset>
    <legend>Who pays the calls</legend>
    ${PAYERS.map(
      (
        p,
      ) => html`<div class="choice"><input type="radio" id="payer-${p.kind}" name="payerKind" value="${p.kind}"${checked(form.payerKind === p.kind)}>
      <label for="payer-${p.kind}">${p.text}</label></div>`,
    )}
    <div class="field"><label for="m-payer-account">Payer account (merchant or sponsor)</label>
      <input id="m-payer-account" name="payerAccount" maxlength="200" list="account-ids" value="${form.payerAccount}">
      <datalist id="account-ids">${view.accountIds.map((id) => html`<option value="${id}">`)}</datalist></div>
  </fieldset>
  <div class="field"><label for="m-plan">Rate plan</label>
    <select id="m-plan" name="planId" required>
      <option value="">Choose a plan</option>
      ${view.plans.map((p) => html`<option value="${p.id}"${p.id === form.planId ? raw(" selected") : ""}>${p.name} (${p.id}, ${p.currency})</option>`)}
    </select></div>
  <div class="choice"><input type="checkbox" id="m-active" name="active" value="1"${checked(form.active)}>
    <label for="m-active">Active (listed in the directory and callable)</label></div>
  <button type="submit">${view.editing ? "Save merchant" : "Create merchant"}</button>
</form>`,
  );
}

/** /admin/merchants: all merchants, inactive too, with who pays and the plan. */
export function merchantListPage(
  context: PageContext,
  merchants: readonly PortalAdminMerchant[],
  total: number,
): string {
  const payer = (m: PortalAdminMerchant) =>
    m.payer.kind === "member" ? "member" : `${m.payer.kind} ${m.payer.accountId}`;
  return adminPage(
    context,
    { title: "Merchants", area: "merchants" },
    html`<h1>Merchants</h1>
<p><a class="button" href="/admin/merchants/new">New merchant</a></p>
<div class="table-wrap"><table>
<caption>${total === merchants.length ? `${total} merchants` : `The first ${merchants.length} of ${total} merchants`}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Category</th><th scope="col">Numbers</th><th scope="col">Paid by</th>
<th scope="col">Rate plan</th><th scope="col">Owner</th><th scope="col">Active</th></tr></thead>
<tbody>
${merchants.map(
  (m) => html`<tr><th scope="row"><a href="${merchantEditUrl(m.id)}">${m.name}</a></th><td>${m.category}</td>
<td>${m.numbers.map((n) => `${n.label} ${n.number}`).join(", ")}</td><td>${payer(m)}</td><td>${m.planId}</td>
<td>${m.owner ?? ""}</td><td>${m.active ? "yes" : "no"}</td></tr>`,
)}
</tbody></table></div>`,
  );
}
