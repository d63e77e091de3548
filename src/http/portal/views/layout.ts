import { type HtmlValue, html, raw, type SafeHtml } from "../html.ts";

/** URLs of the static assets, with their content hash so a changed file is fetched again. */
export interface AssetUrls {
  css: string;
  callStatusJs: string;
}

/** What every page needs besides its own body. */
export interface PageContext {
  assets: AssetUrls;
  /** extension@domain when logged in. */
  user: string | null;
  /** The session's CSRF token, for forms (the logout button included). */
  csrfToken: string | undefined;
  /** Whether the user has the admin role (the navigation links the admin pages). */
  admin?: boolean;
}

export interface PageOptions {
  title: string;
  /** Extra elements for <head> (a script, a no-JS refresh). */
  head?: HtmlValue;
  /** Marks the current navigation link. */
  section?: "merchants" | "account" | "admin" | "merchant" | "recording" | "voicemail" | "background-calls";
}

/** A hidden CSRF field for a form. */
export function csrfField(context: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${context.csrfToken ?? ""}">`;
}

/**
 * The page shell: lang, viewport, one stylesheet, a skip link, a header with the navigation
 * (links and a logout button in a form, all reachable by keyboard) and the main landmark.
 */
export function page(context: PageContext, options: PageOptions, body: SafeHtml): string {
  const current = (section: PageOptions["section"]) =>
    options.section === section ? raw(' aria-current="page"') : "";
  const nav =
    context.user === null
      ? html``
      : html`<nav aria-label="Main">
  <ul>
    <li><a href="/merchants"${current("merchants")}>Merchants</a></li>
    <li><a href="/voicemail"${current("voicemail")}>Voicemail</a></li>
    <li><a href="/background-calls"${current("background-calls")}>Background calls</a></li>
    <li><a href="/recording"${current("recording")}>Recording</a></li>
    <li><a href="/account"${current("account")}>Account</a></li>
    ${context.admin ? html`<li><a href="/admin"${current("admin")}>Admin</a></li>` : ""}
    <li>
      <form method="post" action="/logout" class="inline">
        ${csrfField(context)}
        <button type="submit" class="link">Log out <span class="who">${context.user}</span></button>
      </form>
    </li>
  </ul>
</nav>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Parley</title>
<link rel="stylesheet" href="${context.assets.css}">
${options.head}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <a class="brand" href="/">Parley</a>
  ${nav}
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`.value;
}
