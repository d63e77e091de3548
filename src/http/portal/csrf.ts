import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/** Methods that change state: each needs the session's CSRF token. */
export const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";

/** Compares two tokens in constant time (hashing first makes the lengths equal). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Why a state-changing request fails the CSRF check, or undefined when it passes: it must carry
 * the session's token (form field `_csrf` or header `x-csrf-token`), and its Origin (or, without
 * one, its Referer) must name this host when the browser sent one.
 */
export function csrfFailure(request: FastifyRequest, expected: string | undefined): string | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined && hostOf(origin) !== request.host) return "cross-origin request";
  const referer = request.headers.referer;
  if (origin === undefined && referer !== undefined && hostOf(referer) !== request.host)
    return "cross-site referer";
  if (expected === undefined) return "no session";
  const body = request.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body === "object" ? body[CSRF_FIELD] : undefined;
  const fromHeader = request.headers[CSRF_HEADER];
  const given = typeof fromBody === "string" ? fromBody : typeof fromHeader === "string" ? fromHeader : "";
  if (given === "") return "missing token";
  return tokensEqual(given, expected) ? undefined : "wrong token";
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
