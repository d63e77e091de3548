import { splitOutside, unquote } from "../messages/scanner.ts";

/**
 * The auth-param list of a Digest challenge or credentials (RFC 7616 §3.3/§3.4, RFC 3261 §25.1):
 * `Digest realm="x", nonce="y", qop="auth", algorithm=SHA-256`. Names are lower-cased; quoted
 * values are unquoted. Returns undefined when the scheme is not Digest or a parameter is malformed.
 */
export function parseDigestParams(value: string): Map<string, string> | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const part of splitOutside(match[1] as string, ",")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq < 0) return undefined;
    const name = trimmed.slice(0, eq).trim().toLowerCase();
    const raw = trimmed.slice(eq + 1).trim();
    const text = raw.startsWith('"') ? unquote(raw) : raw;
    if (text === undefined || name === "" || params.has(name)) return undefined;
    params.set(name, text);
  }
  return params;
}

/** Writes a Digest header value; `quoted` names the parameters whose values are quoted. */
export function formatDigestParams(
  params: ReadonlyArray<[string, string]>,
  unquoted: ReadonlySet<string>,
): string {
  const parts = params.map(([name, value]) =>
    unquoted.has(name) ? `${name}=${value}` : `${name}="${value.replace(/(["\\])/g, "\\$1")}"`,
  );
  return `Digest ${parts.join(", ")}`;
}
