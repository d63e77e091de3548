import { html } from "../html.ts";
import type { PortalMerchant } from "../ports.ts";
import type { PageContext } from "../views/layout.ts";
import { page } from "../views/layout.ts";

export interface OwnedMerchant {
  merchant: PortalMerchant;
  /** Who pays calls to the merchant, in words ("the caller", "your account shop-1", "a sponsor"). */
  payer: string | undefined;
  /** The merchant's own account balance, formatted, when the merchant pays. */
  balance: string | undefined;
}

/** /merchant: the merchants the user manages, their numbers, who pays and the balance it pays from. */
export function ownerPage(context: PageContext, owned: readonly OwnedMerchant[]): string {
  return page(
    context,
    { title: "Your merchants", section: "merchant" },
    html`<h1>Your merchants</h1>
${owned.map(
  ({ merchant, payer, balance }) => html`<section class="card" aria-labelledby="owned-${merchant.id}">
<h2 id="owned-${merchant.id}">${merchant.name}</h2>
<p class="category">${merchant.category}${merchant.active ? "" : " (not active: not listed in the directory)"}</p>
<p>${merchant.description}</p>
<h3>Numbers</h3>
<ul>${merchant.numbers.map((n) => html`<li><span class="label">${n.label}</span> <span class="number">${n.number}</span></li>`)}</ul>
<dl class="facts">
  ${payer === undefined ? "" : html`<dt>Calls paid by</dt><dd>${payer}</dd>`}
  ${balance === undefined ? "" : html`<dt>Balance</dt><dd class="balance">${balance}</dd>`}
</dl>
</section>`,
)}`,
  );
}
