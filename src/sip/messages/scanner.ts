/**
 * Small lexical helpers shared by the header parsers: splitting on a separator outside quoted
 * strings and angle brackets, and unquoting (RFC 3261 §25.1: quoted-string with quoted-pair).
 */

/** Splits `text` on `separator` where it is not inside "…" or <…>. */
export function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "<") depth++;
    else if (c === ">") depth = Math.max(0, depth - 1);
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `"a \"b\""` → `a "b"`; returns undefined when the quotes are not balanced. */
export function unquote(text: string): string | undefined {
  if (text.length < 2 || text[0] !== '"' || text[text.length - 1] !== '"') return undefined;
  let out = "";
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i] as string;
    if (c === "\\") {
      i++;
      if (i >= text.length - 1) return undefined;
      out += text[i];
    } else if (c === '"') {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/** Quotes a string for a header when it is not a plain token. */
export function quoteIfNeeded(text: string): string {
  return /^[A-Za-z0-9\-.!%*_+`'~]+$/.test(text) ? text : `"${text.replace(/(["\\])/g, "\\$1")}"`;
}

/** RFC 3261 §25.1 token characters. */
export const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Generic parameters after a value: `;name=value;flag;q="x"` → Map (names lower-cased, flags map
 * to null, quoted values kept with their quotes so they re-serialize unchanged).
 */
export function parseParams(
  text: string,
  what: string,
  fail: (reason: string) => never,
): Map<string, string | null> {
  const params = new Map<string, string | null>();
  if (text.trim() === "") return params;
  const parts = splitOutside(text, ";");
  if ((parts[0] ?? "").trim() !== "") fail(`${what}: text before parameters`);
  for (const raw of parts.slice(1)) {
    const eq = raw.indexOf("=");
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    if (!TOKEN.test(name)) fail(`${what}: bad parameter name`);
    const value = eq < 0 ? null : raw.slice(eq + 1).trim();
    if (value?.startsWith('"') && unquote(value) === undefined) fail(`${what}: bad quoted parameter`);
    if (params.has(name.toLowerCase())) fail(`${what}: parameter ${name} given twice`);
    params.set(name.toLowerCase(), value);
  }
  return params;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = "";
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** The comma-separated values of one header line, outside quotes and <> (§7.3.1). */
export function splitList(line: string): string[] {
  return splitOutside(line, ",").map((v) => v.trim());
}
