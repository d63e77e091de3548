import { html, type SafeHtml } from "../html.ts";
import type { PortalMerchant } from "../ports.ts";
import { type PageContext, page } from "./layout.ts";

export interface DirectoryView {
  merchants: readonly PortalMerchant[];
  total: number;
  categories: readonly string[];
  search: string;
  category: string;
}

const merchantUrl = (merchant: PortalMerchant) => `/merchants/${encodeURIComponent(merchant.id)}`;
export const callUrl = (merchant: PortalMerchant, index: number) =>
  `/call/${encodeURIComponent(merchant.id)}/${index}`;

/** Each of the merchant's numbers as its own button (a link to the confirm page). */
function numberButtons(merchant: PortalMerchant): SafeHtml {
  return html`<ul class="numbers" aria-label="Numbers of ${merchant.name}">
${merchant.numbers.map(
  (number, index) =>
    html`<li><a class="button" href="${callUrl(merchant, index)}">Call ${number.label || number.number}</a></li>`,
)}
</ul>`;
}

/** The merchant directory: a search box, a category filter and the merchants found. */
export function directoryPage(context: PageContext, view: DirectoryView): string {
  const option = (value: string, text: string) =>
    view.category === value
      ? html`<option value="${value}" selected>${text}</option>`
      : html`<option value="${value}">${text}</option>`;
  return page(
    context,
    { title: "Merchants", section: "merchants" },
    html`<h1>Merchants</h1>
<form method="get" action="/merchants" class="search" role="search">
  <div class="field">
    <label for="q">Search</label>
    <input id="q" name="q" type="search" value="${view.search}" maxlength="100">
  </div>
  <div class="field">
    <label for="category">Category</label>
    <select id="category" name="category">
      ${option("", "All categories")}
      ${view.categories.map((c) => option(c, c))}
    </select>
  </div>
  <button type="submit">Search</button>
</form>
<p class="count" role="status">${view.total === 1 ? "1 merchant" : `${view.total} merchants`}</p>
<ul class="merchants">
${view.merchants.map(
  (merchant) => html`<li class="card">
  <h2><a href="${merchantUrl(merchant)}">${merchant.name}</a></h2>
  <p class="category">${merchant.category}</p>
  <p>${merchant.description}</p>
  ${numberButtons(merchant)}
</li>`,
)}
</ul>`,
  );
}

/** One merchant: details and a "Call" button per number. */
export function merchantPage(context: PageContext, merchant: PortalMerchant): string {
  return page(
    context,
    { title: merchant.name, section: "merchants" },
    html`<p><a href="/merchants">← All merchants</a></p>
<h1>${merchant.name}</h1>
<p class="category">${merchant.category}</p>
<p>${merchant.description}</p>
<h2>Numbers</h2>
<ul class="numbers">
${merchant.numbers.map(
  (number, index) => html`<li>
  <span class="label">${number.label}</span> <span class="number">${number.number}</span>
  <a class="button" href="${callUrl(merchant, index)}" aria-label="Call ${merchant.name} ${number.label}">Call</a>
</li>`,
)}
</ul>`,
  );
}
