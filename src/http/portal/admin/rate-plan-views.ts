import { html } from "../html.ts";
import type { PortalRatePlan } from "../ports.ts";
import { formatMoney } from "../views/format.ts";
import { csrfField, type PageContext } from "../views/layout.ts";
import { adminPage } from "./admin-kit.ts";
import { microsToPrice, PRICE_PATTERN } from "./price.ts";

/** One rate as typed: the price in minor units per minute (decimals allowed), the rest whole numbers. */
export interface RateRow {
  prefix: string;
  price: string;
  fee: string;
  first: string;
  next: string;
}

export interface RatePlanForm {
  id: string;
  name: string;
  currency: string;
  rates: RateRow[];
}

export const planUrl = (id: string) => `/admin/rate-plans/${encodeURIComponent(id)}`;
export const MAX_RATE_ROWS = 50;
/** Empty rate rows under the filled ones, for adding rates without a script. */
const BLANK_ROWS = 3;

export function formOfPlan(plan: PortalRatePlan): RatePlanForm {
  return {
    id: plan.id,
    name: plan.name,
    currency: plan.currency,
    rates: plan.rates.map((r) => ({
      prefix: r.prefix,
      price: microsToPrice(r.perMinuteMicros),
      fee: String(r.connectionFee),
      first: String(r.firstIncrement),
      next: String(r.nextIncrement),
    })),
  };
}

export const EMPTY_PLAN_FORM: RatePlanForm = { id: "", name: "", currency: "EUR", rates: [] };

const priceText = (micros: number, currency: string) =>
  `${microsToPrice(micros)} ${currency} minor units/min`;

/** /admin/rate-plans: every plan with its rates. */
export function ratePlansPage(context: PageContext, plans: readonly PortalRatePlan[]): string {
  return adminPage(
    context,
    { title: "Rate plans", area: "rate-plans" },
    html`<h1>Rate plans</h1>
<p><a class="button" href="/admin/rate-plans/new">New rate plan</a></p>
${plans.length === 0 ? html`<p role="status">No rate plans yet.</p>` : ""}
${plans.map(
  (plan) => html`<section class="card" aria-labelledby="plan-${plan.id}">
<h2 id="plan-${plan.id}"><a href="${planUrl(plan.id)}">${plan.name}</a> <span class="category">${plan.id}, ${plan.currency}</span></h2>
<div class="table-wrap"><table>
<caption>Rates of ${plan.name}</caption>
<thead><tr><th scope="col">Prefix</th><th scope="col">Per minute</th><th scope="col">Connection fee</th><th scope="col">Increments</th></tr></thead>
<tbody>
${plan.rates.map(
  (
    r,
  ) => html`<tr><th scope="row">${r.prefix === "" ? "default" : `+${r.prefix}`}</th><td>${priceText(r.perMinuteMicros, plan.currency)}</td>
<td>${formatMoney(r.connectionFee, plan.currency)}</td><td>${r.firstIncrement}/${r.nextIncrement}</td></tr>`,
)}
</tbody></table></div>
</section>`,
)}`,
  );
}

export interface RatePlanFormView {
  form: RatePlanForm;
  editing: boolean;
  error?: string;
  saved?: boolean;
}

/** Create or replace a plan: id, name, currency and rate rows. */
export function ratePlanFormPage(context: PageContext, view: RatePlanFormView): string {
  const { form } = view;
  const title = view.editing ? `Rate plan ${form.name}` : "New rate plan";
  const rows = [
    ...form.rates,
    ...Array.from({ length: BLANK_ROWS }, () => ({ prefix: "", price: "", fee: "", first: "", next: "" })),
  ].slice(0, MAX_RATE_ROWS);
  return adminPage(
    context,
    { title, area: "rate-plans" },
    html`<p><a href="/admin/rate-plans">← All rate plans</a></p>
<h1>${title}</h1>
${view.saved ? html`<p class="notice" role="status" id="plan-saved">Saved.</p>` : ""}
${view.error ? html`<p class="notice error" role="alert" id="plan-error">${view.error}</p>` : ""}
<form method="post" action="/admin/rate-plans" class="stack">
  ${csrfField(context)}
  <div class="field"><label for="p-id">Plan id</label>
    ${
      view.editing
        ? html`<input id="p-id" value="${form.id}" readonly><input type="hidden" name="id" value="${form.id}">
    <input type="hidden" name="editing" value="1">`
        : html`<input id="p-id" name="id" required maxlength="64" value="${form.id}" aria-describedby="p-id-hint">
    <p class="hint" id="p-id-hint">Saving under an id that exists replaces that plan and all its rates.</p>`
    }</div>
  <div class="field"><label for="p-name">Name</label>
    <input id="p-name" name="name" required maxlength="200" value="${form.name}"></div>
  <div class="field"><label for="p-currency">Currency</label>
    <input id="p-currency" name="currency" required pattern="[A-Z]{3}" maxlength="3" value="${form.currency}"></div>
  <fieldset>
    <legend>Rates</legend>
    <p class="hint" id="rates-hint">A call takes the rate of the longest prefix of its number (digits after +); an empty prefix is the
    default rate. The price per minute is in minor units of the currency (cents for EUR) with up to six decimals: 0.4 is 0.4 cent a
    minute. The connection fee is whole minor units. Increments are seconds: 60 and 60 bill whole minutes, 1 and 1 every second.
    Rows with every field empty are dropped; save to get more empty rows.</p>
    ${rows.map(
      (r, i) => html`<div class="row" role="group" aria-label="Rate ${i + 1}">
      <div class="field"><label for="prefix${i}">Prefix ${i + 1}</label>
        <input id="prefix${i}" name="prefix${i}" inputmode="numeric" pattern="[0-9]{0,15}" maxlength="15" value="${r.prefix}"></div>
      <div class="field"><label for="price${i}">Price per minute ${i + 1} (minor units)</label>
        <input id="price${i}" name="price${i}" inputmode="decimal" pattern="${PRICE_PATTERN}" maxlength="16" value="${r.price}"></div>
      <div class="field"><label for="fee${i}">Connection fee ${i + 1} (minor units)</label>
        <input id="fee${i}" name="fee${i}" inputmode="numeric" pattern="[0-9]{1,12}" maxlength="12" value="${r.fee}"></div>
      <div class="field"><label for="first${i}">First increment ${i + 1} (s)</label>
        <input id="first${i}" name="first${i}" inputmode="numeric" pattern="[0-9]{1,4}" maxlength="4" value="${r.first}"></div>
      <div class="field"><label for="next${i}">Next increments ${i + 1} (s)</label>
        <input id="next${i}" name="next${i}" inputmode="numeric" pattern="[0-9]{1,4}" maxlength="4" value="${r.next}"></div>
    </div>`,
    )}
    <input type="hidden" name="rows" value="${rows.length}">
  </fieldset>
  <button type="submit">Save rate plan</button>
</form>`,
  );
}
