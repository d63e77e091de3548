import { html } from "../html.ts";
import { csrfField, type PageContext, page } from "./layout.ts";

/** An error page: a heading, a sentence for people, and a way on. */
export function errorPage(
  context: PageContext,
  heading: string,
  message: string,
  link: { href: string; text: string } = { href: "/", text: "Back to the start page" },
): string {
  return page(
    context,
    { title: heading },
    html`<h1>${heading}</h1>
<p class="notice error" role="alert">${message}</p>
<p><a href="${link.href}">${link.text}</a></p>`,
  );
}

export interface LoginView {
  account: string;
  /** Shown in an alert above the form. */
  error?: string;
  /** Where to go after logging in (a path on this site). */
  next?: string;
}

/** The login form: account (extension@domain, or the extension in the default domain) and web password. */
export function loginPage(context: PageContext, view: LoginView): string {
  return page(
    context,
    { title: "Log in" },
    html`<h1>Log in</h1>
${view.error ? html`<p class="notice error" role="alert" id="login-error">${view.error}</p>` : ""}
<form method="post" action="/login" class="stack">
  ${csrfField(context)}
  ${view.next ? html`<input type="hidden" name="next" value="${view.next}">` : ""}
  <div class="field">
    <label for="account">Account</label>
    <input id="account" name="account" type="text" required autocomplete="username"
      autocapitalize="none" spellcheck="false" value="${view.account}" aria-describedby="account-hint">
    <p class="hint" id="account-hint">Your extension, or extension@domain</p>
  </div>
  <div class="field">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required autocomplete="current-password">
  </div>
  <button type="submit">Log in</button>
</form>`,
  );
}

export interface AccountView {
  user: string;
  displayName: string;
  phoneNumbers: readonly string[];
  roles: readonly string[];
  balance: string | undefined;
}

/** The member's own page: who they are, their numbers and their balance. */
export function accountPage(context: PageContext, view: AccountView): string {
  return page(
    context,
    { title: "Account", section: "account" },
    html`<h1>Account</h1>
<dl class="facts">
  <dt>Name</dt><dd>${view.displayName}</dd>
  <dt>Account</dt><dd>${view.user}</dd>
  <dt>Roles</dt><dd>${view.roles.join(", ")}</dd>
  <dt>Phone numbers</dt><dd>${view.phoneNumbers.length > 0 ? view.phoneNumbers.join(", ") : "none"}</dd>
  <dt>Balance</dt><dd id="balance">${view.balance ?? "No prepaid account"}</dd>
</dl>
${view.roles.includes("merchant") ? html`<p><a href="/merchant">Your merchants</a></p>` : ""}
${view.roles.includes("admin") ? html`<p><a href="/admin">Administration</a></p>` : ""}`,
  );
}
