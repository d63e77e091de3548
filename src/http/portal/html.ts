/**
 * HTML for the portal's server-rendered pages. `html` is a tagged template that escapes every
 * interpolated value (text and quoted attribute values alike); only a `SafeHtml` (made by `html`
 * itself or, for a trusted fragment, by `raw`) goes in unescaped. A merchant called `<script>` is
 * therefore shown as text, never run.
 */
export class SafeHtml {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: nothing (null, undefined, false) renders as an empty string. */
export type HtmlValue = string | number | boolean | null | undefined | SafeHtml | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}

/** A trusted fragment that goes in as it is: never pass it text that came from a request or a store. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}
