import type { Logger } from "../kernel/log.ts";
import type { DigestChallenger, SipRequest } from "../sip/index.ts";
import type { AuthFailureBan } from "./auth-failure-ban.ts";

/** What a request's credentials came to: a user, or the answer to send (401 challenge, 403). */
export type DigestGateVerdict =
  | { kind: "authenticated"; username: string }
  | { kind: "refused"; status: 401 | 403; headers: Array<[string, string]> };

/**
 * RFC 3261 §22 digest authentication of a user's request, as REGISTER, SUBSCRIBE and MESSAGE all
 * need it: no or stale credentials get a 401 challenge; wrong ones get 403 and count against the
 * source address in the AuthFailureBan (a success clears it). With `proxyAuthorization`,
 * credentials in Proxy-Authorization are read too (some phones send them for MESSAGE).
 */
export class DigestGate {
  readonly #o: { challenger: DigestChallenger; ban?: AuthFailureBan; logger: Logger };

  constructor(options: { challenger: DigestChallenger; ban?: AuthFailureBan; logger: Logger }) {
    this.#o = options;
  }

  async check(
    request: SipRequest,
    domain: string,
    context: { source?: string; what: string; proxyAuthorization?: boolean },
  ): Promise<DigestGateVerdict> {
    const { challenger } = this.#o;
    let verdict = await challenger.verify(request, domain);
    if (
      verdict.kind === "challenge" &&
      context.proxyAuthorization &&
      request.headers.has("proxy-authorization")
    ) {
      const proxy = await challenger.verify(request, domain, "proxy-authorization");
      if (proxy.kind !== "challenge") verdict = proxy;
    }
    if (verdict.kind === "challenge") {
      return {
        kind: "refused",
        status: 401,
        headers: challenger
          .challenge(domain, verdict.stale)
          .map((c): [string, string] => ["WWW-Authenticate", c]),
      };
    }
    if (verdict.kind === "failed") {
      if (context.source) this.#o.ban?.recordFailure(context.source, verdict.username);
      this.#o.logger.info(
        {
          callId: request.callId,
          source: context.source,
          username: verdict.username,
          reason: verdict.reason,
        },
        `${context.what} refused`,
      );
      return { kind: "refused", status: 403, headers: [] };
    }
    if (context.source) this.#o.ban?.recordSuccess(context.source);
    return { kind: "authenticated", username: verdict.username };
  }
}
