import { splitList } from "../sip/index.ts";

/** How the phone rings for an incoming INVITE: an emergency call, or any other call. */
export type RingKind = "emergency" | "normal";

/**
 * The alert URN of the emergency service (RFC 7462, `alert-category` "service", indication
 * "emergency"). Its grammar lets an indication be refined by further `:`-separated parts, and a UA
 * that does not know a refinement falls back to the more general indication, so
 * `urn:alert:service:emergency:<anything>` is still the emergency service.
 * https://www.rfc-editor.org/rfc/rfc7462
 */
const EMERGENCY_URN = "urn:alert:service:emergency";

/**
 * The ring kind an incoming INVITE asks for through its Alert-Info header (RFC 3261 §20.4, RFC 7462).
 * A value marks an emergency call, case-insensitively, when it is
 * - the RFC 7462 URN `<urn:alert:service:emergency>` (or a refinement of it, see above);
 * - the vendor form with an `info=alert-emergency` parameter (`<http://localhost/>;info=alert-emergency`),
 *   which phones that predate RFC 7462 read;
 * - or carries one of `extraMarkers` (e.g. `Bellcore-dr5`, a distinctive-ring name a site reserved for
 *   emergency calls) as a whole word anywhere in the value: the URI's last path segment, a parameter
 *   value or the bare value.
 * Everything else (no Alert-Info, `<urn:alert:service:normal>`, ring-tone URLs) is a normal ring.
 * `alertInfoValues` are header values as received: each may still hold several comma-separated
 * values (RFC 3261 §7.3.1), which are split outside `<…>` and quotes. Malformed text never throws;
 * it just does not match.
 *
 * https://www.rfc-editor.org/rfc/rfc3261#section-20.4 (Alert-Info),
 * https://www.rfc-editor.org/rfc/rfc7462 (URNs for Alert-Info)
 */
export function ringKind(alertInfoValues: readonly string[], extraMarkers: readonly string[] = []): RingKind {
  const markers = extraMarkers.map((m) => m.trim().toLowerCase()).filter((m) => m !== "");
  for (const line of alertInfoValues) {
    for (const value of splitList(line)) {
      if (isEmergencyValue(value.toLowerCase(), markers)) return "emergency";
    }
  }
  return "normal";
}

/** One Alert-Info value (lower case): `<uri>` with optional `;name=value` parameters after it. */
function isEmergencyValue(value: string, markers: readonly string[]): boolean {
  const open = value.indexOf("<");
  const close = open < 0 ? -1 : value.indexOf(">", open + 1);
  const uri = (close < 0 ? value : value.slice(open + 1, close)).trim();
  if (uri === EMERGENCY_URN || uri.startsWith(`${EMERGENCY_URN}:`)) return true;
  // Parameters follow the `<uri>`; a value without brackets (not RFC 3261, but phones send it) is
  // read as parameters throughout.
  const params = close < 0 ? value : value.slice(close + 1);
  for (const param of params.split(";")) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim();
    const text = unquoted(param.slice(eq + 1).trim());
    if (name === "info" && text === "alert-emergency") return true;
  }
  return markers.some((marker) => containsWord(value, marker));
}

function unquoted(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** A word character of a marker name: letters, digits, `-` and `_`. */
const WORD = /[a-z0-9_-]/;

/** Whether `marker` stands in `text` with no word character right before or after it. */
function containsWord(text: string, marker: string): boolean {
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
    const before = at === 0 ? "" : (text[at - 1] ?? "");
    const after = text[at + marker.length] ?? "";
    if (!WORD.test(before) && !WORD.test(after)) return true;
  }
  return false;
}
